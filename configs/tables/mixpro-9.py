"""MixPro (ICLR'23) Table 9: noisy patterns: after MaskMix, the patches pasted from the partner, those of the canvas
(the sample's own), or both, shuffled within their own set (``shuffle``); masks and labels unchanged. The official
code has no such switch (fistyee/MixPro@53a229e); this is the suite's reading of the paper
(``pretrain/mixing/maskmix.py``)."""

paper = "MixPro (ICLR'23)"
table = "Table 9"
caption = "ImageNet-1k top-1 (%) of DeiT-S/14 with MixPro and shuffled patches: pasted crop / canvas / both / none"
backbones = ["deit_s14"]
methods = ["mixpro@shuffle=pasted", "mixpro@shuffle=canvas", "mixpro@shuffle=both", "mixpro"]
rows = {"mixpro@shuffle=pasted": "shuffle the pasted patches", "mixpro@shuffle=canvas": "shuffle the canvas patches",
        "mixpro@shuffle=both": "shuffle both", "mixpro": "no shuffling (MixPro)"}
columns = {"top-1": ["pretrain", "top1"]}
published = {"deit_s14": {"mixpro@shuffle=pasted": [None], "mixpro@shuffle=canvas": [None],
                          "mixpro@shuffle=both": [None], "mixpro": [81.3]}}
cost = ("paper: 4 runs x 300 epochs of DeiT-S/14; demo here: ~23 min from scratch (measured 2026-12-07 on a "
        "2-core CPU without AMX (fp32), stages two at a time: 21m06s on top of Table 1's MixPro: the "
        "shuffling runs 11m30s a pair, the third 9m22s alone on one thread, before the twin wait)")
