"""MixPro Table 10: how PAL's alpha is set: the cosine similarity of output and area label (PAL), or fixed 0.5,
linear and parabolic schedules over training, or one learnable scalar (``alpha_strategy``)."""

paper = "MixPro (ICLR'23)"
table = "Table 10"
caption = "ImageNet-1k top-1 (%) of DeiT-S/14 with MixPro under each alpha strategy"
backbones = ["deit_s14"]
methods = ["mixpro@alpha_strategy=equal", "mixpro@alpha_strategy=linear", "mixpro@alpha_strategy=parabolic",
           "mixpro@alpha_strategy=learnable", "mixpro"]
rows = {"mixpro@alpha_strategy=equal": "alpha = 0.5", "mixpro@alpha_strategy=linear": "alpha = t/T (linear)",
        "mixpro@alpha_strategy=parabolic": "alpha = (t/T)^2 (parabolic)",
        "mixpro@alpha_strategy=learnable": "learnable alpha", "mixpro": "PAL (cosine similarity)"}
columns = {"top-1": ["pretrain", "top1"]}
published = {"deit_s14": {"mixpro@alpha_strategy=equal": [None], "mixpro@alpha_strategy=linear": [None],
                          "mixpro@alpha_strategy=parabolic": [None], "mixpro@alpha_strategy=learnable": [None],
                          "mixpro": [81.3]}}
cost = "paper: 5 runs x 300 epochs of DeiT-S/14; demo here (deit_s14 demo geometry): 5 x ~7 min"
missing = ""
