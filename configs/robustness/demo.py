"""The original protocols on the built-in synthetic data at the demo backbones' resolution.

Deviations (stated in the report): the image size is the backbone's demo size (32 px for DeiT, 64 px for PVT), so the
dropping grid is the model's token grid (4x4 for DeiT-S/8 at 32 px) and the shuffle grids are those of the original
that divide the image (2x2, 2x4, 4x4, 4x8, 8x8; 14x14 and 16x16 do not divide 32); crop_pct 1.0 because the
synthetic images are object-centred and small; VOC-style images at 96 px.

    python -m robustness.run --backbone <run>/pretrain/backbone.pth --suite configs/robustness/demo.py --out DIR
"""

img_size = None
crop_pct = 1.0
batch_size = 100
workers = 2
drop_grid = "model"  # Naseer et al.'s 14x14 does not divide 32
shuffle_grids = [1, [2, 2], [2, 4], [4, 4], [4, 8], [8, 8]]  # 1x1: the clean point of the curve, not in the mean
voc_size = 96
