"""CA-Swin-S (Swin-S whose last block is a class-attention block, TransMix section 4.5, Table 7) pretraining.

    python -m pretrain.train --config configs/pretrain/ca_swin_s.py --profile demo --method transmix --seed 0 --out DIR

- ``paper``: the DeiT recipe on ImageNet at 224 (window 7, 7x7 class-attention grid) with Swin-S's drop path 0.3
  (Liu et al., ICCV 2021; the same for the plain Swin-S baseline, ``swin_s.py``).
- ``demo``: the synthetic data at 64 px with window 4 (stage grids 16/8/4/2: the class attention lives on 2x2);
  MaskMix scale 1 (32-px cells).
- ``tiny``: tests (64 px, window 4).
- ``paper`` MaskMix/MixPro cells: scale 1 (32-px cells, the 7x7 stage-4 grid at 224), as CA-Swin-T.
"""

_base_ = ["./_base_.py"]
model = "ca_swin_s"

profiles = dict(
    paper=dict(drop_path=0.3, method_kwargs=dict(maskmix=dict(scale=1), mixpro=dict(scale=1))),
    demo=dict(img_size=64, model_kwargs=dict(window_size=4)),
    tiny=dict(img_size=64, model_kwargs=dict(window_size=4)),
)
