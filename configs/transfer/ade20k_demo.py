"""ADE20K UperNet demo on the built-in synthetic ADE20K-layout data (short side 128 px), minutes on a 2-core CPU.

    python -m transfer.seg --backbone <run>/pretrain/backbone.pth --decoder upernet --profile demo --out DIR

Deviations from the paper protocol (listed in the report): images resized to 256x64 (the 2048x512 aspect, ratio 0.5-2)
and 64-px crops, whole-image test at 256x64, 120 iterations at batch 8 with AdamW lr 6e-4 (10x MMSegmentation's: 1300x
fewer iterations) with a 10-iteration warm-up and the same poly schedule, UPerHead 128 channels and the auxiliary head
64 (the paper's 512 / 256 would make the head 4x the encoder's cost here), multi-scale test ratios 0.75-1.25; bf16
autocast for training and test where it is fast (``precision = "auto"``) and no validation during training, as the
Pascal Context demo.
"""

_base_ = ["./ade20k_paper.py"]
crop_size = (64, 64)
img_scale = (256, 64)
img_ratios = [0.75, 1.0, 1.25]
data_preprocessor = dict(size=crop_size)
model = dict(data_preprocessor=data_preprocessor, backbone=dict(img_size=crop_size),
             auxiliary_head=dict(channels=64))
upernet_head = dict(channels=128)
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
        [dict(type="Resize", scale_factor=r * 0.5, keep_ratio=True) for r in img_ratios],  # short side 128 -> 64 x r
        [dict(type="RandomFlip", prob=0.0, direction="horizontal"),
         dict(type="RandomFlip", prob=1.0, direction="horizontal")],
        [dict(type="LoadAnnotations")], [dict(type="PackSegInputs")]]),
]
global_batch_size = None  # the batch below on each process (as the Pascal Context demo)
train_dataloader = dict(batch_size=8, num_workers=2, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=1, num_workers=2, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_dataloader = val_cfg = val_evaluator = None  # no val loop: one test at the end
param_scheduler = [dict(type="LinearLR", start_factor=1e-6, by_epoch=False, begin=0, end=10),
                   dict(type="PolyLR", eta_min=0.0, power=1.0, begin=10, end=120, by_epoch=False)]
precision = "auto"  # bf16 autocast where it is fast (CUDA, a CPU with AMX), else fp32 (transfer.common.apply_precision)
optim_wrapper = dict(type="BF16OptimWrapper", optimizer=dict(lr=6e-4))
test_cfg = dict(type="TestLoop", fp16=True)
train_cfg = dict(type="IterBasedTrainLoop", max_iters=120, val_interval=120)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=60, max_keep_ckpts=1, save_last=True))
