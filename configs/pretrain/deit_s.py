"""DeiT-S/16 pretraining.

    python -m pretrain.train --config configs/pretrain/deit_s.py --profile demo --method transmix --seed 0 \
        --out runs/deit_s/transmix/seed0/pretrain

- ``paper``: the papers' recipe on ImageNet at 224 (DeiT-S baseline 79.8, TransMix 80.7, MixPro 81.3 top-1).
- ``demo``: the synthetic ImageNet-style data on a 2-core CPU in about 11 minutes per method, two side by side. Same
  architecture (depth 12, width 384, 6 heads) at 32 px with patch 8: a 4x4 token grid instead of 14x14 (DeiT-S trains
  at ~41 images/s a run, two runs side by side, in fp32 on the 2-core CPU of 2026-12-07; ``precision`` ``auto`` takes
  bf16 where it is faster, on a CPU with AMX: ~66 images/s each on an earlier machine). 500 images per class, 5 epochs
  (390 steps of 64), AdamW lr 1e-4 at batch 64 with a quarter-epoch warm-up (the paper's 1e-3 at 1024 scales to 6e-5;
  a ViT from scratch on a few thousand images needs the larger step and stalls at 3e-4), RandAugment with one op of
  magnitude 5 (paper: two of 9), no random erasing, crop scale 0.5-1 so the shapes survive augmentation, MaskMix scale
  1 (8-px cells: scale 4 would be one 32-px cell). Measured here: the ``deit`` baseline reaches 55.4% top-1 (chance
  10%), TransMix 55.4% (fp32; 53.0% and 53.6% under bf16 on the earlier machine); the synthetic classes have
  class-typical colours, so a model that learnt colour only stays near 50%.
- ``tiny``: tests.
- ``paper`` MaskMix/MixPro cells: scale 2 (32-px cells, a 7x7 cell grid at 224). The paper's scale 4 exists only
  on patch 14 (56-px cells, 4x4; configs/pretrain/deit_s14.py); on patch 16 the scales that divide 224 are 1, 2, 7
  and 14, and 32 px is the cell side nearest to 56 px (scale 7 would be a 2x2 grid of 112-px cells).
"""

_base_ = ["./_base_.py"]
model = "deit_s"

profiles = dict(
    paper=dict(method_kwargs=dict(maskmix=dict(scale=2), mixpro=dict(scale=2))),
    demo=dict(img_size=32, model_kwargs=dict(patch_size=8)),
    tiny=dict(model_kwargs=dict(patch_size=8)),
)
