"""DeiT-B/14 pretraining (depth 12, width 768, 12 heads, 14-px patches: a 16x16 token grid at 224), the model MixPro
released (fistyee/MixPro@53a229e ``configs/deit/deit_base_patch14_mask112_224_alpha1_attn_all.yaml``).

    python -m pretrain.train --config configs/pretrain/deit_b14.py --profile paper --method mixpro --seed 0 --out DIR

- ``paper``: the papers' DeiT recipe on ImageNet at 224 with 5 warm-up epochs (MixPro Table 11); MaskMix/MixPro at
  scale 4 (56-px cells, a 4x4 cell grid), as MixPro's own DeiT-B config: despite its file name ``..._mask112_...``
  it sets ``MASK_PATCH_SIZE: 56`` (and names the model ``deit_base_patch14_mask56_224_alpha1``), as the DeiT-T/S
  configs do. The report prints MixPro's published top-1 (82.9) beside this alias, TransMix's beside DeiT-B/16.
- ``demo``: the synthetic data at 56 px with the native 14-px patch (a 4x4 grid, as DeiT/16's demo at 32 px / patch 8);
  MaskMix scale 1 (14-px cells).
- ``tiny``: tests (28 px: a 2x2 grid).
"""

_base_ = ["./_base_.py"]
model = "deit_b14"

profiles = dict(
    paper=dict(warmup_epochs=5, method_kwargs=dict(maskmix=dict(scale=4), mixpro=dict(scale=4))),
    demo=dict(img_size=56),
    tiny=dict(img_size=28),
)
