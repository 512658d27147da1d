"""XCiT-S12/16 pretraining; the class attention comes from its last class-attention layer.

    python -m pretrain.train --config configs/pretrain/xcit_s12.py --profile demo --method transmix --seed 0 --out DIR

- ``paper``: the DeiT recipe on ImageNet at 224 (the papers train CaiT/XCiT for 400 epochs: set epochs=400).
- ``demo``: the synthetic data at 32 px with patch 8 (4x4 grid); MaskMix scale 1.
- ``tiny``: tests.
"""

_base_ = ["./_base_.py"]
model = "xcit_s12"

profiles = dict(
    paper=dict(epochs=400),
    demo=dict(img_size=32, model_kwargs=dict(patch_size=8)),
    tiny=dict(model_kwargs=dict(patch_size=8)),
)
