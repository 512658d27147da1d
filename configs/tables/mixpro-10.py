"""MixPro Table 10: how PAL's alpha is set: the cosine similarity of output and area label (PAL), or fixed 0.5,
linear and parabolic schedules over training, or one learnable scalar (``alpha_strategy``). The paper reports top-1
error of DeiT-T (../shared/PROTOCOLS.md section 5: 27.3 / 27.1 / 26.9 / 27.0 / 26.2), here as top-1 on MixPro's
DeiT-T/14."""

paper = "MixPro (ICLR'23)"
table = "Table 10"
caption = "ImageNet-1k top-1 (%) of DeiT-T with MixPro under each alpha strategy"
backbones = ["deit_t14"]
methods = ["mixpro@alpha_strategy=equal", "mixpro@alpha_strategy=linear", "mixpro@alpha_strategy=parabolic",
           "mixpro@alpha_strategy=learnable", "mixpro"]
rows = {"mixpro@alpha_strategy=equal": "alpha = 0.5", "mixpro@alpha_strategy=linear": "alpha = t/T (linear)",
        "mixpro@alpha_strategy=parabolic": "alpha = (t/T)^2 (parabolic)",
        "mixpro@alpha_strategy=learnable": "learnable alpha", "mixpro": "PAL (cosine similarity)"}
columns = {"top-1": ["pretrain", "top1"]}
published = {"deit_t14": {"mixpro@alpha_strategy=equal": [72.7], "mixpro@alpha_strategy=linear": [72.9],
                          "mixpro@alpha_strategy=parabolic": [73.1], "mixpro@alpha_strategy=learnable": [73.0],
                          "mixpro": [73.8]}}
cost = ("paper: 5 runs x 300 epochs of DeiT-T; demo here: 10m14s from scratch (measured 2026-12-07 on a "
        "2-core CPU without AMX (fp32), stages two at a time: 5 DeiT-T/14 runs, 3m27s-3m31s a pair, the fifth "
        "3m02s alone)")
