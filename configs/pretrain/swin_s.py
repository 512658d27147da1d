"""Swin-S (Liu et al., ICCV 2021; timm ``swin_small_patch4_window7_224``), TransMix Table 7's plain baseline for
CA-Swin-S: no class token (methods without attention labels only; no robustness stage), as ``swin_t.py``.

- ``paper``: the DeiT recipe on ImageNet at 224 (window 7) with Swin-S's drop path 0.3, as CA-Swin-S here.
- ``demo``: the synthetic data at 64 px with window 4.
- ``tiny``: tests (64 px, window 4).
"""

_base_ = ["./_base_.py"]
model = "swin_s"

profiles = dict(
    paper=dict(drop_path=0.3),
    demo=dict(img_size=64, model_kwargs=dict(window_size=4)),
    tiny=dict(img_size=64, model_kwargs=dict(window_size=4)),
)
