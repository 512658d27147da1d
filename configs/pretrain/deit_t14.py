"""DeiT-T/14 pretraining (depth 12, width 192, 3 heads, 14-px patches: a 16x16 token grid at 224), the model MixPro
released (fistyee/MixPro@53a229e ``configs/deit/deit_tiny_patch14_mask56_224_alpha1.yaml``).

    python -m pretrain.train --config configs/pretrain/deit_t14.py --profile paper --method mixpro --seed 0 --out DIR

- ``paper``: the papers' DeiT recipe on ImageNet at 224; MaskMix/MixPro at the paper's scale 4 (56-px cells, a
  4x4 cell grid). The report prints MixPro's published top-1 (73.8) beside this alias, TransMix's beside DeiT-T/16.
- ``demo``: the synthetic data at 56 px with the native 14-px patch (a 4x4 grid, as DeiT/16's demo at 32 px / patch 8);
  MaskMix scale 1 (14-px cells).
- ``tiny``: tests (28 px: a 2x2 grid).
"""

_base_ = ["./_base_.py"]
model = "deit_t14"

profiles = dict(
    paper=dict(method_kwargs=dict(maskmix=dict(scale=4), mixpro=dict(scale=4))),
    demo=dict(img_size=56),
    tiny=dict(img_size=28),
)
