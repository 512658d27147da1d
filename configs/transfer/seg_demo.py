"""Segmentation demo on the built-in synthetic Pascal-Context-style data (128 px scenes), minutes on a 2-core CPU.

    python -m transfer.seg --backbone <run>/pretrain/backbone.pth --decoder linear --profile demo --out DIR

Deviations from the paper protocol (listed in the report): images resized to 64 (ratio 0.5-2) and 64-px crops, slide
test 64/48 (the paper's 480/320 overlap, rounded to whole patches), 120 iterations at batch 8 with SGD lr 1e-2
(10x the paper's: 670x fewer iterations) and the same poly schedule, multi-scale test ratios 0.75-1.25 (the 0.5 scale
would be a 32-px image); training and test under bf16 autocast where bf16 is fast (``precision = "auto"``: CUDA, a
CPU with AMX; the paper trains in fp32; measured on the demo DeiT-S: mIoU 35.66 bf16 vs 35.65 fp32, MS 36.50 vs 36.47,
and training 1.9x faster on one thread of a CPU where bf16 is fast), fp32 elsewhere; no validation during
training (the test set is evaluated once at the end). About 2 minutes a run on one CPU core.
The encoder keeps its demo patch size (8 for the demo DeiT-S); position embeddings are interpolated to the crop.
"""

_base_ = ["./seg_paper.py"]
crop_size = (64, 64)
img_scale = (64, 64)
img_ratios = [0.75, 1.0, 1.25]
data_preprocessor = dict(size=crop_size)
model = dict(data_preprocessor=data_preprocessor, backbone=dict(img_size=crop_size),
             test_cfg=dict(mode="slide", crop_size=crop_size, stride=(48, 48)))
train_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadAnnotations"),
    dict(type="RandomResize", scale=img_scale, ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type="RandomCrop", crop_size=crop_size, cat_max_ratio=0.75),
    dict(type="RandomFlip", prob=0.5),
    dict(type="PhotoMetricDistortion"),
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
        [dict(type="Resize", scale_factor=r * 0.5, keep_ratio=True) for r in img_ratios],  # 128-px images -> 64 x r
        [dict(type="RandomFlip", prob=0.0, direction="horizontal"),
         dict(type="RandomFlip", prob=1.0, direction="horizontal")],
        [dict(type="LoadAnnotations")], [dict(type="PackSegInputs")]]),
]
global_batch_size = None  # the batch below on each process, not the paper's global 16 (which would make
# apply_global_batch accumulate and stretch this short schedule)
train_dataloader = dict(batch_size=8, num_workers=2, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=1, num_workers=2, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_dataloader = val_cfg = val_evaluator = None  # no val loop: MMEngine would validate at the last iteration and then
# the launcher tests the same images again
param_scheduler = [dict(type="PolyLR", eta_min=1e-5, power=0.9, begin=0, end=120, by_epoch=False)]
precision = "auto"  # bf16 autocast where it is fast (CUDA, a CPU with AMX), else fp32 (transfer.common.apply_precision)
optim_wrapper = dict(type="BF16OptimWrapper", optimizer=dict(lr=1e-2))  # bf16 autocast (transfer/common.py)
test_cfg = dict(type="TestLoop", fp16=True)  # MMEngine's autocast: bf16 on CPU (fp16 on a GPU)
train_cfg = dict(type="IterBasedTrainLoop", max_iters=120, val_interval=120)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=60, max_keep_ckpts=1, save_last=True))
