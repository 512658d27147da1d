"""The original protocols at ImageNet scale (PROTOCOLS.md section 2): 224 px, crop 0.875, 14x14 dropping grid,
random k*196//10 for k = 0..9, salient / non-salient mass 0.1..1.0, shuffle grids 1/2/4/8/14, ImageNet-A calibration
in bins of 100, localisation and VOC at mass 0.9, VOC at 512 px, void pixels in the union.

    python -m robustness.run --backbone <run>/pretrain/backbone.pth --suite configs/robustness/paper.py --out DIR
"""

img_size = 224
crop_pct = 0.875
batch_size = 128
workers = 8
