"""MixPro (ICLR'23) Table 7: MaskMix's mask strategy, with the area label (the strategy is MaskMix's; PAL is
orthogonal). The official code has none of these switches (fistyee/MixPro@53a229e); this suite's reading of the
paper (``pretrain/mixing/maskmix.py``): ``region`` = the partner's cells form one rectangle (a CutMix box on the cell
grid), ``block`` = BEiT's block-wise masking on the cell grid, ``random`` = the official random cells of one patch
(scale 1), ``random-4x`` = random cells of 4x4 patches (scale 4, MixPro's default). Published numbers (DeiT-T /
DeiT-S, ../shared/PROTOCOLS.md section 5) beside MixPro's /14 models. On the demo (a 4x4 token grid) the profile's
scale is 1, so the random and random-4x rows coincide there."""

paper = "MixPro (ICLR'23)"
table = "Table 7"
caption = "ImageNet-1k top-1 (%) with MaskMix by mask strategy: region / block / random / random-4x"
backbones = ["deit_t14", "deit_s14"]
methods = ["maskmix@mask_strategy=region+scale=1", "maskmix@mask_strategy=block+scale=1", "maskmix@scale=1", "maskmix"]
rows = {"maskmix@mask_strategy=region+scale=1": "region", "maskmix@mask_strategy=block+scale=1": "block",
        "maskmix@scale=1": "random", "maskmix": "random-4x (MaskMix)"}
columns = {"top-1": ["pretrain", "top1"]}
published = {"deit_t14": {"maskmix@mask_strategy=region+scale=1": [72.2], "maskmix@mask_strategy=block+scale=1": [72.7],
                          "maskmix@scale=1": [72.7], "maskmix": [73.2]},
             "deit_s14": {"maskmix@mask_strategy=region+scale=1": [79.8], "maskmix@mask_strategy=block+scale=1": [80.6],
                          "maskmix@scale=1": [80.6], "maskmix": [80.8]}}
cost = ("paper: 4 runs x 300 epochs per backbone; demo here: 10m40s for DeiT-T/14 from scratch (measured "
        "2026-12-07 on a 2-core CPU without AMX (fp32), stages two at a time: 2 pairs, 4m58s and 5m40s); ~20 "
        "min for DeiT-S/14 (its pairs take ~10 min in the other DeiT-S/14 tables)")
