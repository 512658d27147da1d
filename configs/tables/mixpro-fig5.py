"""MixPro Figure 5: MaskMix's cell scale (cells of scale x patch pixels) and the Beta parameter of the kept-cell
ratio. At the demo geometry (32 px, patch 8) the scales that divide the image are 1, 2 and 4."""

paper = "MixPro (ICLR'23)"
table = "Figure 5"
caption = "ImageNet-1k top-1 (%) of DeiT-S/14 with MixPro by MaskMix scale and Beta parameter"
backbones = ["deit_s14"]
methods = ["mixpro@scale=1", "mixpro@scale=2", "mixpro", "mixpro@beta=0.5", "mixpro@beta=2.0"]
rows = {"mixpro@scale=1": "scale 1", "mixpro@scale=2": "scale 2", "mixpro": "scale 4 (default), beta 1",
        "mixpro@beta=0.5": "beta 0.5", "mixpro@beta=2.0": "beta 2"}
columns = {"top-1": ["pretrain", "top1"]}
published = {"deit_s14": {"mixpro@scale=1": [None], "mixpro@scale=2": [None], "mixpro": [81.3],
                          "mixpro@beta=0.5": [None], "mixpro@beta=2.0": [None]}}
cost = ("paper: 5 runs x 300 epochs of DeiT-S/14; demo here: ~26 min from scratch (measured 2026-12-07 on a "
        "2-core CPU without AMX (fp32), stages two at a time: 20m18s on top of Table 1's MixPro, its 4 new "
        "runs 10m15s and 10m00s a pair; scale 4 on the demo's 4x4 token grid is one cell)")
missing = ""
