"""MixPro Table 6: the components: the DeiT recipe, MaskMix with the area label, and MaskMix with Progressive
Attention Labeling (MixPro)."""

paper = "MixPro (ICLR'23)"
table = "Table 6"
caption = "ImageNet-1k top-1 (%) of DeiT-S/14: baseline, + MaskMix, + PAL"
backbones = ["deit_s14"]
methods = ["deit", "maskmix", "mixpro"]
rows = {"deit": "baseline (DeiT recipe)", "maskmix": "+ MaskMix (area label)", "mixpro": "+ MaskMix + PAL (MixPro)"}
columns = {"top-1": ["pretrain", "top1"]}
published = {"deit_s14": {"deit": [None], "maskmix": [None], "mixpro": [81.3]}}
cost = "paper: 3 runs x 300 epochs of DeiT-S/14; demo here: 3 x ~7 min"
missing = ""
