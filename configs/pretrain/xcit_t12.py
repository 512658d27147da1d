"""XCiT-T12/16 pretraining; the class attention comes from its last class-attention layer.

    python -m pretrain.train --config configs/pretrain/xcit_t12.py --profile demo --method transmix --seed 0 --out DIR

- ``paper``: the DeiT recipe on ImageNet at 224 (the papers train CaiT/XCiT for 400 epochs: set epochs=400).
- ``demo``: the synthetic data at 32 px with patch 8 (4x4 grid); MaskMix scale 1.
- ``tiny``: tests.
- ``paper`` MaskMix/MixPro cells: scale 2 (32-px cells, a 7x7 cell grid at 224). The paper's scale 4 exists only
  on patch 14 (56-px cells, 4x4; configs/pretrain/deit_s14.py); on patch 16 the scales that divide 224 are 1, 2, 7
  and 14, and 32 px is the cell side nearest to 56 px (scale 7 would be a 2x2 grid of 112-px cells).
"""

_base_ = ["./_base_.py"]
model = "xcit_t12"

profiles = dict(
    paper=dict(epochs=400, method_kwargs=dict(maskmix=dict(scale=2), mixpro=dict(scale=2))),
    demo=dict(img_size=32, model_kwargs=dict(patch_size=8)),
    tiny=dict(model_kwargs=dict(patch_size=8)),
)
