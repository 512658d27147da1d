"""CA-Swin-T (Swin-T whose last block is a class-attention block, TransMix section 4.5) pretraining.

    python -m pretrain.train --config configs/pretrain/ca_swin_t.py --profile demo --method transmix --seed 0 --out DIR

- ``paper``: the DeiT recipe on ImageNet at 224 (window 7, 7x7 class-attention grid).
- ``demo``: the synthetic data at 64 px with window 4 (stage grids 16/8/4/2: the class attention lives on 2x2);
  MaskMix scale 1 (32-px cells).
- ``tiny``: tests (64 px, window 4).
"""

_base_ = ["./_base_.py"]
model = "ca_swin_t"

profiles = dict(
    paper=dict(),
    demo=dict(img_size=64, model_kwargs=dict(window_size=4), train_per_class=500, batch_size=64, lr=1e-4,
              base_batch=64, epochs=5, warmup_epochs=0.25, warmup_lr=1e-6, min_lr=1e-6, reprob=0.0,
              rrc_scale=[0.5, 1.0], crop_pct=1.0, randaug="rand-n1-m5-mstd0.5-inc1", bf16=True, workers=2,
              eval_batch_size=250,
              method_kwargs=dict(maskmix=dict(scale=1), mixpro=dict(scale=1))),
    tiny=dict(img_size=64, model_kwargs=dict(window_size=4),
              method_kwargs=dict(maskmix=dict(scale=1), mixpro=dict(scale=1))),
)
