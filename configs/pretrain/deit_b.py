"""DeiT-B/16 pretraining (depth 12, width 768, 12 heads).

    python -m pretrain.train --config configs/pretrain/deit_b.py --profile demo --method mixpro --seed 0 --out DIR

- ``paper``: the papers' DeiT recipe on ImageNet at 224 with 5 warm-up epochs (MixPro Table 11).
- ``demo``: the synthetic data at 32 px with patch 8 (4x4 grid), as configs/pretrain/deit_s.py explains.
- ``tiny``: tests.
- ``paper`` MaskMix/MixPro cells: scale 2 (32-px cells, a 7x7 cell grid at 224). The paper's scale 4 exists only
  on patch 14 (56-px cells, 4x4; configs/pretrain/deit_s14.py); on patch 16 the scales that divide 224 are 1, 2, 7
  and 14, and 32 px is the cell side nearest to 56 px (scale 7 would be a 2x2 grid of 112-px cells).
- ``paper`` TransMix: switch probability 0.8 (Beckschen/TransMix ``configs/deit_b_transmix.yaml`` spells
  ``mixup_switch_prob`` with underscores, so 0.8 applied there; DeiT-S's hyphenated key did not: 0.5).
"""

_base_ = ["./_base_.py"]
model = "deit_b"

profiles = dict(
    paper=dict(warmup_epochs=5,
               method_kwargs=dict(maskmix=dict(scale=2), mixpro=dict(scale=2), transmix=dict(switch_prob=0.8))),
    demo=dict(img_size=32, model_kwargs=dict(patch_size=8)),
    tiny=dict(model_kwargs=dict(patch_size=8)),
)
