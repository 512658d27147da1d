"""The DeiT training recipe of the TransMix / MixPro papers (MixPro Table 11), shared by every backbone.

Profiles:
- ``paper``: ImageNet-1k at 224 px, AdamW lr 1e-3 at batch 1024 (scaled linearly), wd 0.05, cosine, 20 warm-up
  epochs, RandAugment(9, 0.5), random erasing 0.25, label smoothing 0.1, drop path 0.1, 300 epochs.
- ``tiny``: a few steps on the tiny synthetic data (tests only; numbers meaningless).
- ``demo``: the shared part of the synthetic-data demo (minutes per method on a 2-core CPU); each backbone file
  sets the resolution and token grid and explains them (configs/pretrain/deit_s.py gives the reasons and numbers).
Backbone files override the architecture-specific parts; MMEngine merges their ``profiles`` into these.
"""

profiles = dict(
    paper=dict(),
    demo=dict(train_per_class=500, batch_size=64, lr=1e-4, base_batch=64, epochs=5, warmup_epochs=0.25,
              warmup_lr=1e-6, min_lr=1e-6, reprob=0.0, rrc_scale=[0.5, 1.0], crop_pct=1.0,
              randaug="rand-n1-m5-mstd0.5-inc1", precision="auto", workers=2, eval_batch_size=250,
              method_kwargs=dict(maskmix=dict(scale=1), mixpro=dict(scale=1))),  # one-patch cells: small grids
    tiny=dict(dataset="imagenet", img_size=32, batch_size=8, lr=5e-4, base_batch=512, epochs=2, warmup_epochs=0,
              warmup_lr=5e-4, workers=0, eval_batch_size=16, randaug="rand-m9-mstd0.5-inc1", reprob=0.25,
              rrc_scale=[0.5, 1.0], crop_pct=1.0, drop_path=0.1, max_steps_per_epoch=4,
              method_kwargs=dict(maskmix=dict(scale=1), mixpro=dict(scale=1))),
)
