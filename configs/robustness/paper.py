"""The original protocols at ImageNet scale (PROTOCOLS.md section 2): 224 px, crop 0.875, 14x14 dropping grid for
every backbone (Naseer et al.'s 16-px cells, also on PVT and CA-Swin whose token grid is 7x7),
random k*196//10 for k = 0..9, salient / non-salient mass 0.1..1.0, shuffle grids 2x2, 2x4, 4x4, 4x8, 8x8, 14x14,
16x16 (rows x columns, Naseer et al.'s) and their mean, ImageNet-A calibration in bins of 100, localisation and VOC at
mass 0.9 on squashed images (wsolevaluation's and Naseer et al.'s geometry), VOC at 512 px, void pixels in the union,
bilinear resizing (torchvision's default, as Naseer et al. and Hendrycks). Salient dropping: Naseer et al. rank the
patches with DINO ViT-S/16's last-layer head 1 (``evaluate.py`` l.132): ``run_all --saliency
dino_deitsmall16_pretrain.pth:1``; without it the baseline's backbone (mean over heads) is the one provider.

    python -m robustness.run --backbone <run>/pretrain/backbone.pth --suite configs/robustness/paper.py --out DIR
"""

img_size = 224
crop_pct = 0.875
batch_size = 128
workers = 8
