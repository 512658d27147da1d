"""Semantic segmentation on Pascal Context (60 classes, background counted) with a DeiT encoder converted to
MMSegmentation's ``VisionTransformer`` -- the paper protocol (PROTOCOLS.md section 3; TransMix Table 2):
crop 480 from images resized to 520 (ratio 0.5-2), slide test 480/320, SGD lr 1e-3 momentum 0.9 wd 0, poly(0.9) to
1e-5, 80k iterations at batch 16, ImageNet (DeiT) normalisation; mAcc / mIoU single scale and mIoU with
multi-scale (0.5-1.75) + flip test-time augmentation.

    python -m transfer.seg --backbone <run>/pretrain/backbone.pth --decoder linear|segmenter --profile paper --out DIR

The launcher sets ``model.decode_head`` to ``linear_head`` or ``segmenter_head`` below, injects the backbone
(architecture, converted checkpoint, normalisation) and the data root, and dumps the merged config into the run
directory. Expected with ImageNet-pretrained DeiT-S: Linear 49.1 / 49.6 MS (mAcc 59.4), Segmenter 49.7 / 50.5.
"""

num_classes = 60
crop_size = (480, 480)
img_scale = (520, 520)
img_ratios = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
norm_cfg = dict(type="LN", eps=1e-6, requires_grad=True)
data_preprocessor = dict(type="SegDataPreProcessor", mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                         bgr_to_rgb=True, pad_val=0, seg_pad_val=255, size=crop_size)
model = dict(
    type="EncoderDecoder",
    data_preprocessor=data_preprocessor,
    backbone=dict(type="VisionTransformer", img_size=crop_size, patch_size=16, in_channels=3, embed_dims=384,
                  num_layers=12, num_heads=6, mlp_ratio=4, qkv_bias=True, drop_path_rate=0.1, attn_drop_rate=0.0,
                  drop_rate=0.0, final_norm=True, norm_cfg=norm_cfg, with_cls_token=True, interpolate_mode="bicubic"),
    decode_head=None,  # linear_head or segmenter_head, chosen by --decoder
    train_cfg=dict(),
    test_cfg=dict(mode="slide", crop_size=crop_size, stride=(320, 320)),
)
# Linear: FCNHead(num_convs=0), Segmenter's linear baseline
linear_head = dict(type="FCNHead", in_channels=384, channels=384, num_convs=0, dropout_ratio=0.0, concat_input=False,
                   num_classes=num_classes, align_corners=False,
                   loss_decode=dict(type="CrossEntropyLoss", use_sigmoid=False, loss_weight=1.0))
# Segmenter's mask transformer (Strudel et al.): 2 layers, drop_path_rate 0.0, drop_rate 0.1 as the official code
segmenter_head = dict(type="SegmenterMaskTransformerHead", in_channels=384, channels=384, num_classes=num_classes,
                      num_layers=2, num_heads=6, embed_dims=384, drop_path_rate=0.0, drop_rate=0.1,
                      dropout_ratio=0.0, align_corners=False,
                      loss_decode=dict(type="CrossEntropyLoss", use_sigmoid=False, loss_weight=1.0))
dataset_type = "PascalContextDataset"
data_root = None  # injected: configs/datasets.py dataset_root("pascal_context")
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
        [dict(type="Resize", scale_factor=r, keep_ratio=True) for r in img_ratios],
        [dict(type="RandomFlip", prob=0.0, direction="horizontal"),
         dict(type="RandomFlip", prob=1.0, direction="horizontal")],
        [dict(type="LoadAnnotations")], [dict(type="PackSegInputs")]]),
]
tta_model = dict(type="SegTTAModel")
train_dataloader = dict(
    batch_size=2, num_workers=2, persistent_workers=False, sampler=dict(type="InfiniteSampler", shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file="ImageSets/SegmentationContext/train.txt",
                 data_prefix=dict(img_path="JPEGImages", seg_map_path="SegmentationClassContext"),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=False, sampler=dict(type="DefaultSampler", shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file="ImageSets/SegmentationContext/val.txt",
                 data_prefix=dict(img_path="JPEGImages", seg_map_path="SegmentationClassContext"),
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type="IoUMetric", iou_metrics=["mIoU"])
test_evaluator = val_evaluator
# 80k iterations at a global batch of 16 (8 processes x 2); on other process counts transfer/common.py
# apply_global_batch keeps 16 with accumulation
global_batch_size = 16
optim_wrapper = dict(type="OptimWrapper", optimizer=dict(type="SGD", lr=1e-3, momentum=0.9, weight_decay=0.0),
                     clip_grad=None)
param_scheduler = [dict(type="PolyLR", eta_min=1e-5, power=0.9, begin=0, end=80000, by_epoch=False)]
train_cfg = dict(type="IterBasedTrainLoop", max_iters=80000, val_interval=8000)
val_cfg = dict(type="ValLoop")
test_cfg = dict(type="TestLoop")
default_scope = "mmseg"
env_cfg = dict(cudnn_benchmark=True, mp_cfg=dict(mp_start_method="fork", opencv_num_threads=0),
               dist_cfg=dict(backend="nccl"))
default_hooks = dict(
    timer=dict(type="IterTimerHook"), logger=dict(type="LoggerHook", interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type="ParamSchedulerHook"),
    checkpoint=dict(type="CheckpointHook", by_epoch=False, interval=8000, max_keep_ckpts=1, save_last=True),
    sampler_seed=dict(type="DistSamplerSeedHook"), visualization=dict(type="SegVisualizationHook"))
vis_backends = [dict(type="LocalVisBackend")]
visualizer = dict(type="SegLocalVisualizer", vis_backends=vis_backends, name="visualizer")
log_processor = dict(by_epoch=False)
log_level = "INFO"
load_from = None
resume = False
randomness = dict(seed=0)
