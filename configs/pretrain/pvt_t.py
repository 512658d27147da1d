"""PVT-T (PVT v1, class token in stage 4) pretraining.

    python -m pretrain.train --config configs/pretrain/pvt_t.py --profile demo --method transmix --seed 0 --out DIR

- ``paper``: the papers' DeiT recipe on ImageNet at 224 (class attention on the 7x7 stage-4 grid, 32 px tokens).
- ``demo``: the synthetic data at 64 px with a stage-1 patch of 2 (stride 16: a 4x4 stage-4 grid) -- same depths,
  widths and spatial-reduction ratios; MaskMix scale 1 (16-px cells).
- ``tiny``: tests (32 px, stride 16: a 2x2 stage-4 grid).
- ``paper`` MaskMix/MixPro cells: scale 1 (32-px cells, the 7x7 stage-4 grid at 224): with a 32-px token stride the
  scales that divide 224 are 1 and 7 (a single cell), so the cells are those of DeiT/16 at scale 2.
"""

_base_ = ["./_base_.py"]
model = "pvt_t"

profiles = dict(
    paper=dict(method_kwargs=dict(maskmix=dict(scale=1), mixpro=dict(scale=1))),
    demo=dict(img_size=64, model_kwargs=dict(patch_size=2)),
    tiny=dict(model_kwargs=dict(patch_size=2)),
)
