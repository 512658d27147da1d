"""Tests only: a few iterations on the tiny synthetic data (64-px scenes, 32-px crops), with the demo profile's
bf16 autocast and no val loop."""

_base_ = ["./seg_paper.py"]
crop_size = (32, 32)
img_scale = (32, 32)
img_ratios = [1.0, 1.5]
data_preprocessor = dict(size=crop_size)
model = dict(data_preprocessor=data_preprocessor, backbone=dict(img_size=crop_size),
             test_cfg=dict(mode="slide", crop_size=crop_size, stride=(24, 24)))
train_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadAnnotations"),
    dict(type="RandomResize", scale=img_scale, ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type="RandomCrop", crop_size=crop_size, cat_max_ratio=0.75),
    dict(type="RandomFlip", prob=0.5),
    dict(type="PackSegInputs"),
]
test_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="Resize", scale=img_scale, keep_ratio=True),
    dict(type="LoadAnnotations"),
    dict(type="PackSegInputs"),
]
tta_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="TestTimeAug", transforms=[
        [dict(type="Resize", scale_factor=r * 0.5, keep_ratio=True) for r in img_ratios],
        [dict(type="RandomFlip", prob=0.0, direction="horizontal"),
         dict(type="RandomFlip", prob=1.0, direction="horizontal")],
        [dict(type="LoadAnnotations")], [dict(type="PackSegInputs")]]),
]
global_batch_size = None  # the batch below on each process, not the paper's global 16 (which would make
# apply_global_batch accumulate and stretch this short schedule)
train_dataloader = dict(batch_size=4, num_workers=0, dataset=dict(pipeline=train_pipeline))  # 2 was too few to beat
# the most frequent class with the Segmenter on the non-square tiny scenes in 40 iterations
val_dataloader = dict(batch_size=1, num_workers=0, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_dataloader = val_cfg = val_evaluator = None  # as the demo: no val loop, one test at the end
param_scheduler = [dict(type="PolyLR", eta_min=1e-5, power=0.9, begin=0, end=40, by_epoch=False)]
precision = "auto"  # bf16 autocast where it is fast (CUDA, a CPU with AMX), else fp32 (transfer.common.apply_precision)
optim_wrapper = dict(type="BF16OptimWrapper", optimizer=dict(lr=1e-2))  # as the demo
test_cfg = dict(type="TestLoop", fp16=True)
train_cfg = dict(type="IterBasedTrainLoop", max_iters=40, val_interval=40)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=20, max_keep_ckpts=1, save_last=True),
                     visualization=dict(type="SegVisualizationHook", draw=False))
