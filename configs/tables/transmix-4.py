"""TransMix Table 4: robustness of DeiT-S (ImageNet-A, ImageNet-O, patch shuffling)."""

paper = "TransMix (CVPR'22)"
table = "Table 4"
caption = "Robustness of DeiT-S: ImageNet-A top-1 / calibration error / AURRA, ImageNet-O AUPR, shuffle mean top-1"
backbones = ["deit_s"]
methods = ["deit", "transmix"]
rows = {"deit": "DeiT-S", "transmix": "TransMix-DeiT-S"}
columns = {"A top-1": ["robustness", "imagenet_a", "top1"], "A calib. err.": ["robustness", "imagenet_a", "calib_err"],
           "A AURRA": ["robustness", "imagenet_a", "aurra"], "O AUPR": ["robustness", "imagenet_o", "aupr"],
           "shuffle mean": ["robustness", "drop_shuffle", "shuffle", "mean_top1"]}
published = {"deit_s": {"deit": [19.1, 32.0, 23.8, 20.9, 58.4], "transmix": [21.1, 31.2, 28.8, 21.9, 62.8]}}
cost = ("paper: 2 pretrainings + evaluation; demo here: ~14 min from scratch (measured 2026-12-07 on a 2-core "
        "CPU without AMX (fp32), stages two at a time: its 2 pretrainings 10m54s side by side, robustness "
        "2m51s)")
missing = ""
