"""Tests only: one short epoch on the tiny synthetic COCO-style data (64-px images)."""

_base_ = ["./det_paper.py"]
img_scale = (64, 64)
train_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadAnnotations", with_bbox=True, with_mask=True),
    dict(type="Resize", scale=img_scale, keep_ratio=True),
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
train_dataloader = dict(batch_size=2, num_workers=0,
                        dataset=dict(pipeline=train_pipeline, filter_cfg=dict(filter_empty_gt=True, min_size=4)))
val_dataloader = dict(num_workers=0, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(type="EpochBasedTrainLoop", max_epochs=1, val_interval=1)
param_scheduler = [dict(type="LinearLR", start_factor=0.1, by_epoch=False, begin=0, end=3)]
default_hooks = dict(logger=dict(interval=1), visualization=dict(type="DetVisualizationHook", draw=False))
