"""PVT-S (PVT v1, class token in stage 4) pretraining.

    python -m pretrain.train --config configs/pretrain/pvt_s.py --profile demo --method transmix --seed 0 --out DIR

- ``paper``: the papers' DeiT recipe on ImageNet at 224 (class attention on the 7x7 stage-4 grid, 32 px tokens).
- ``demo``: the synthetic data at 64 px with a stage-1 patch of 2 (stride 16: a 4x4 stage-4 grid) -- same depths,
  widths and spatial-reduction ratios; MaskMix scale 1 (16-px cells).
- ``tiny``: tests (32 px, stride 16: a 2x2 stage-4 grid).
"""

_base_ = ["./_base_.py"]
model = "pvt_s"

profiles = dict(
    paper=dict(),
    demo=dict(img_size=64, model_kwargs=dict(patch_size=2), train_per_class=500, batch_size=64, lr=1e-4,
              base_batch=64, epochs=5, warmup_epochs=0.25, warmup_lr=1e-6, min_lr=1e-6, reprob=0.0,
              rrc_scale=[0.5, 1.0], crop_pct=1.0, randaug="rand-n1-m5-mstd0.5-inc1", bf16=True, workers=2,
              eval_batch_size=250,
              method_kwargs=dict(maskmix=dict(scale=1), mixpro=dict(scale=1))),
    tiny=dict(model_kwargs=dict(patch_size=2), method_kwargs=dict(maskmix=dict(scale=1), mixpro=dict(scale=1))),
)
