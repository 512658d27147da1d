"""DeiT-B/16 pretraining (depth 12, width 768, 12 heads).

    python -m pretrain.train --config configs/pretrain/deit_b.py --profile demo --method mixpro --seed 0 --out DIR

- ``paper``: the papers' DeiT recipe on ImageNet at 224 with 5 warm-up epochs (MixPro Table 11).
- ``demo``: the synthetic data at 32 px with patch 8 (4x4 grid), as configs/pretrain/deit_s.py explains.
- ``tiny``: tests.
"""

_base_ = ["./_base_.py"]
model = "deit_b"

profiles = dict(
    paper=dict(warmup_epochs=5),
    demo=dict(img_size=32, model_kwargs=dict(patch_size=8)),
    tiny=dict(model_kwargs=dict(patch_size=8)),
)
