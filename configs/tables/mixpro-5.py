"""MixPro (ICLR'23) Table 5: robustness of DeiT-S (ImageNet-A top-1 / calibration error / AURRA, ImageNet-O AUPR).
Published numbers: ../shared/PROTOCOLS.md section 5."""

paper = "MixPro (ICLR'23)"
table = "Table 5"
caption = "Robustness of DeiT-S: ImageNet-A top-1 / calibration error / AURRA, ImageNet-O AUPR"
backbones = ["deit_s"]
methods = ["deit", "transmix", "mixpro"]
rows = {"deit": "DeiT-S", "transmix": "TransMix-DeiT-S", "mixpro": "MixPro-DeiT-S"}
columns = {"A top-1": ["robustness", "imagenet_a", "top1"], "A calib. err.": ["robustness", "imagenet_a", "calib_err"],
           "A AURRA": ["robustness", "imagenet_a", "aurra"], "O AUPR": ["robustness", "imagenet_o", "aupr"]}
published = {"deit_s": {"deit": [19.1, 32.0, 23.8, 20.9], "transmix": [21.1, 31.2, 28.8, 21.9],
                        "mixpro": [22.4, 30.3, 32.4, 23.1]}}
cost = ("paper: 3 pretrainings + evaluation; demo here: ~23 min from scratch (measured 2026-12-07 on a 2-core "
        "CPU without AMX (fp32), stages two at a time: 3 pretrainings as in Table 3, robustness 2m37s a pair "
        "and 1m43s alone)")
