"""Detection demo on the built-in synthetic COCO-style data (128-px images of 1-4 shapes), minutes on a 2-core CPU.

    python -m transfer.det --backbone <run>/pretrain/backbone.pth --profile demo --out DIR

Deviations from the paper protocol (listed in the report): images kept at 128 px (paper: 1333x800), 6 epochs with
steps at 4 and 5 and a 50-iteration warm-up (paper: 12 epochs, 8/11, 500), batch 4; the 10 shape categories of the
synthetic data instead of COCO's 80.
"""

_base_ = ["./det_paper.py"]
img_scale = (128, 128)
train_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadAnnotations", with_bbox=True, with_mask=True),
    dict(type="Resize", scale=img_scale, keep_ratio=True),
    dict(type="RandomFlip", prob=0.5),
    dict(type="PackDetInputs"),
]
test_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="Resize", scale=img_scale, keep_ratio=True),
    dict(type="LoadAnnotations", with_bbox=True, with_mask=True),
    dict(type="PackDetInputs", meta_keys=("img_id", "img_path", "ori_shape", "img_shape", "scale_factor")),
]
global_batch_size = None  # the batch below on each process, not the paper's global 16 (which would make
# apply_global_batch accumulate and stretch this short schedule)
train_dataloader = dict(batch_size=4, num_workers=2,
                        dataset=dict(pipeline=train_pipeline, filter_cfg=dict(filter_empty_gt=True, min_size=8)))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(type="EpochBasedTrainLoop", max_epochs=6, val_interval=6)
param_scheduler = [
    dict(type="LinearLR", start_factor=0.001, by_epoch=False, begin=0, end=50),
    dict(type="MultiStepLR", begin=0, end=6, by_epoch=True, milestones=[4, 5], gamma=0.1),
]
default_hooks = dict(logger=dict(interval=20))
