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
    demo=dict(img_size=32, model_kwargs=dict(patch_size=8), train_per_class=500, batch_size=64, lr=1e-4,
              base_batch=64, epochs=5, warmup_epochs=0.25, warmup_lr=1e-6, min_lr=1e-6, reprob=0.0,
              rrc_scale=[0.5, 1.0], crop_pct=1.0, randaug="rand-n1-m5-mstd0.5-inc1", bf16=True, workers=2,
              eval_batch_size=250,
              method_kwargs=dict(maskmix=dict(scale=1), mixpro=dict(scale=1))),
    tiny=dict(model_kwargs=dict(patch_size=8), method_kwargs=dict(maskmix=dict(scale=1), mixpro=dict(scale=1))),
)
