"""Semantic segmentation on ADE20K (150 classes; label 0 "other" ignored: reduce_zero_label) with UperNet on a DeiT
encoder converted to MMSegmentation's ``VisionTransformer``: TokenMix's transfer table (ECCV'22; DeiT-T/S/B, mIoU,
mAcc, multi-scale). The recipe is MMSegmentation's for DeiT + UperNet (mmsegmentation 1.2.2
``configs/vit/vit_deit-s16_mln_upernet_8xb2-160k_ade20k-512x512.py`` on ``_base_/models/upernet_vit-b16_ln_mln.py``,
``_base_/datasets/ade20k.py``, and the 0.x ``upernet_vit-b16_mln_512x512_160k_ade20k.py``, which TokenMix's time
ran; TokenMix's repository has no segmentation code): four encoder levels (blocks 3, 6, 9, 12; no final norm) made a
pyramid by MultiLevelNeck (x4, x2, x1, x0.5), UPerHead (512 channels, pool scales 1-6) and an auxiliary FCN head on
the last level (weight 0.4); crop 512 from images resized to 2048x512 (ratio 0.5-2), whole-image test at 2048x512,
AdamW lr 6e-5 wd 0.01 (no decay on position embedding and class token), linear warm-up 1500 iterations then poly(1.0)
to 0, 160k iterations at batch 16; multi-scale (0.5-1.75) + flip test-time augmentation.

    python -m transfer.seg --backbone <run>/pretrain/backbone.pth --decoder upernet --profile paper --out DIR

The launcher injects the encoder's width into the neck and heads (MMSegmentation's DeiT-S / DeiT-B configs: in and
out channels = the embedding width, UPerHead channels 512 for all), the converted checkpoint, the normalisation and
the data root; on a machine without CUDA the heads' SyncBN becomes BN. MMSegmentation's published DeiT baselines
(ImageNet DeiT, this recipe): DeiT-S 43.82 / 45.07 MS, DeiT-B 45.46 / 47.16 MS (its ``configs/vit/metafile.yaml``).
"""

_base_ = ["./seg_paper.py"]  # the runtime (hooks, environment, visualiser, test-time augmentation model) is shared
num_classes = 150
crop_size = (512, 512)
img_scale = (2048, 512)
img_ratios = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
norm_cfg = dict(type="SyncBN", requires_grad=True)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(img_size=crop_size, out_indices=(2, 5, 8, 11), final_norm=False),
    neck=dict(type="MultiLevelNeck", in_channels=[384] * 4, out_channels=384, scales=[4, 2, 1, 0.5]),
    decode_head=None,  # upernet_head, chosen by --decoder upernet
    auxiliary_head=dict(type="FCNHead", in_channels=384, in_index=3, channels=256, num_convs=1, concat_input=False,
                        dropout_ratio=0.1, num_classes=num_classes, norm_cfg=norm_cfg, align_corners=False,
                        loss_decode=dict(type="CrossEntropyLoss", use_sigmoid=False, loss_weight=0.4)),
    test_cfg=dict(_delete_=True, mode="whole"),
)
upernet_head = dict(type="UPerHead", in_channels=[384] * 4, in_index=[0, 1, 2, 3], pool_scales=(1, 2, 3, 6),
                    channels=512, dropout_ratio=0.1, num_classes=num_classes, norm_cfg=norm_cfg, align_corners=False,
                    loss_decode=dict(type="CrossEntropyLoss", use_sigmoid=False, loss_weight=1.0))
dataset_type = "ADE20KDataset"  # reduce_zero_label: ADE20K's label 0 ("other") ignored, 1..150 -> 0..149
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
train_dataloader = dict(num_workers=4, dataset=dict(
    _delete_=True, type=dataset_type, data_root=None,  # injected: configs/datasets.py dataset_root("ade20k")
    data_prefix=dict(img_path="images/training", seg_map_path="annotations/training"), pipeline=train_pipeline))
val_dataloader = dict(num_workers=4, dataset=dict(
    _delete_=True, type=dataset_type, data_root=None,
    data_prefix=dict(img_path="images/validation", seg_map_path="annotations/validation"), pipeline=test_pipeline))
test_dataloader = val_dataloader
# 160k iterations at a global batch of 16 (8 processes x 2); other process counts: apply_global_batch accumulates
optim_wrapper = dict(optimizer=dict(_delete_=True, type="AdamW", lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01),
                     paramwise_cfg=dict(custom_keys={"pos_embed": dict(decay_mult=0.0),
                                                     "cls_token": dict(decay_mult=0.0),
                                                     "norm": dict(decay_mult=0.0)}))
param_scheduler = [dict(type="LinearLR", start_factor=1e-6, by_epoch=False, begin=0, end=1500),
                   dict(type="PolyLR", eta_min=0.0, power=1.0, begin=1500, end=160000, by_epoch=False)]
train_cfg = dict(type="IterBasedTrainLoop", max_iters=160000, val_interval=16000)
default_hooks = dict(checkpoint=dict(interval=16000))
