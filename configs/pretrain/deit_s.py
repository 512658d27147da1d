"""DeiT-S/16 pretraining.

    python -m pretrain.train --config configs/pretrain/deit_s.py --profile demo --method transmix --seed 0 \
        --out runs/deit_s/transmix/seed0/pretrain

- ``paper``: the papers' recipe on ImageNet at 224 (DeiT-S baseline 79.8, TransMix 80.7, MixPro 81.3 top-1).
- ``demo``: the synthetic ImageNet-style data on a CPU in minutes. Same architecture (depth 12, width 384, 6 heads)
  at 32 px with patch 8 (a 4x4 grid instead of 14x14: a 2-core CPU trains DeiT-S at ~56 images/s at 32 px with
  4x4 tokens), no random erasing and a milder crop (scale 0.5-1) so the small shapes survive augmentation,
  MaskMix scale 1 (8-px cells; scale 4 would be one 32-px cell), a short warm-up. Expect the baseline well above
  the 10% chance level; see the report for measured numbers.
- ``tiny``: tests.
"""

_base_ = ["./_base_.py"]
model = "deit_s"

profiles = dict(
    demo=dict(img_size=32, model_kwargs=dict(patch_size=8), batch_size=64, lr=1e-3, base_batch=512, epochs=3,
              warmup_epochs=1, warmup_lr=1e-5, min_lr=1e-5, reprob=0.0, rrc_scale=[0.5, 1.0], crop_pct=1.0,
              randaug="rand-m5-mstd0.5-inc1", workers=2, eval_batch_size=128,
              method_kwargs=dict(maskmix=dict(scale=1), mixpro=dict(scale=1))),
    tiny=dict(model_kwargs=dict(patch_size=8), method_kwargs=dict(maskmix=dict(scale=1), mixpro=dict(scale=1))),
)
