"""DeiT-T/16 pretraining (depth 12, width 192, 3 heads).

    python -m pretrain.train --config configs/pretrain/deit_t.py --profile demo --method mixpro --seed 0 --out DIR

- ``paper``: the papers' DeiT recipe on ImageNet at 224.
- ``demo``: the synthetic data at 32 px with patch 8 (4x4 grid), as configs/pretrain/deit_s.py explains.
- ``tiny``: tests.
"""

_base_ = ["./_base_.py"]
model = "deit_t"

profiles = dict(
    paper=dict(),
    demo=dict(img_size=32, model_kwargs=dict(patch_size=8)),
    tiny=dict(model_kwargs=dict(patch_size=8)),
)
