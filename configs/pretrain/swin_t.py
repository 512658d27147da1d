"""Swin-T (Liu et al., ICCV 2021; timm ``swin_tiny_patch4_window7_224``), TransMix Table 7's plain baseline: no class
token, so only methods without attention labels train it (the DeiT recipe, Mixup, CutMix ...), and the robustness
suite, whose attention metrics need a class token, is not planned for it.

    python -m pretrain.train --config configs/pretrain/swin_t.py --profile demo --method deit --seed 0 --out DIR

- ``paper``: the DeiT recipe on ImageNet at 224 (window 7), which is Swin's own recipe (AdamW lr 1e-3 at 1024,
  wd 0.05, cosine, 20 warm-up epochs, 300 epochs) with drop path 0.1, the same as CA-Swin-T here (Swin-T's paper
  value is 0.2).
- ``demo``: the synthetic data at 64 px with window 4 (stage grids 16/8/4/2), as CA-Swin-T.
- ``tiny``: tests (64 px, window 4).
"""

_base_ = ["./_base_.py"]
model = "swin_t"

profiles = dict(
    demo=dict(img_size=64, model_kwargs=dict(window_size=4)),
    tiny=dict(img_size=64, model_kwargs=dict(window_size=4)),
)
