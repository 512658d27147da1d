"""MixPro (ICLR'23) Table 6: the components. CutMix (the DeiT recipe), + TransMix's attention label, TransMix's label
on MaskMix's cells (``mixpro@alpha_strategy=equal``: lam = (area + attention) / 2), TransMix's CutMix with PAL's
weight (``transmix@lam_mode=pal``), and MaskMix + PAL (MixPro). Published numbers (DeiT-S): ../shared/PROTOCOLS.md
section 5."""

paper = "MixPro (ICLR'23)"
table = "Table 6"
caption = "ImageNet-1k top-1 (%) of DeiT-S: CutMix, + TransMix, TransMix + MaskMix, CutMix + TransMix + PAL, MixPro"
backbones = ["deit_s14"]
methods = ["deit", "transmix", "mixpro@alpha_strategy=equal", "transmix@lam_mode=pal", "mixpro"]
rows = {"deit": "CutMix (DeiT recipe)", "transmix": "+ TransMix", "mixpro@alpha_strategy=equal": "TransMix + MaskMix",
        "transmix@lam_mode=pal": "CutMix + TransMix + PAL", "mixpro": "MaskMix + PAL (MixPro)"}
columns = {"top-1": ["pretrain", "top1"]}
published = {"deit_s14": {"deit": [79.8], "transmix": [80.7], "mixpro@alpha_strategy=equal": [81.0],
                          "transmix@lam_mode=pal": [81.1], "mixpro": [81.3]}}
cost = ("paper: 5 runs x 300 epochs of DeiT-S; demo here: ~26 min from scratch (measured 2026-12-07 on a "
        "2-core CPU without AMX (fp32), stages two at a time: 9m39s on top of Table 1's 3 runs for its 2 new "
        "runs side by side; 2 pairs and a lone run from scratch)")
