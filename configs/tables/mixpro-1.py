"""MixPro (ICLR'23) Table 1: ImageNet-1k top-1 of the DeiT recipe, TransMix and MixPro across architectures.
Published numbers: ../shared/PROTOCOLS.md section 5 (XCiT and CaiT: 400 epochs; XCiT-M/L are not aliases here).
The DeiT rows sit beside MixPro's /14 models (the ones it released)."""

paper = "MixPro (ICLR'23)"
table = "Table 1"
caption = "ImageNet-1k top-1 (%), DeiT recipe vs TransMix vs MixPro, by architecture"
backbones = ["deit_t14", "deit_s14", "deit_b14", "pvt_t", "pvt_s", "pvt_m", "pvt_l", "xcit_t12", "xcit_s12",
             "cait_xxs24", "ca_swin_t", "ca_swin_s"]
methods = ["deit", "transmix", "mixpro"]
rows = {"deit": "baseline (DeiT recipe)", "transmix": "+ TransMix", "mixpro": "+ MixPro"}
columns = {"top-1": ["pretrain", "top1"]}
_numbers = {"deit_t14": (72.2, 72.6, 73.8), "deit_s14": (79.8, 80.7, 81.3), "deit_b14": (81.8, 82.4, 82.9),
            "pvt_t": (75.1, 75.5, 76.7), "pvt_s": (79.8, 80.5, 81.2), "pvt_m": (81.2, 82.1, 82.7),
            "pvt_l": (81.7, 82.4, 82.9), "xcit_t12": (79.4, 80.1, 81.2), "xcit_s12": (82.0, 82.3, 82.9),
            "cait_xxs24": (79.1, 79.8, 80.6), "ca_swin_t": (81.6, 81.8, 82.8), "ca_swin_s": (82.8, 83.2, 83.7)}
published = {a: {"deit": [v[0]], "transmix": [v[1]], "mixpro": [v[2]]} for a, v in _numbers.items()}
cost = ("paper: 3 runs x 300 epochs per backbone (400 for XCiT, CaiT); demo here: ~16 min for DeiT-S/14 from "
        "scratch (measured 2026-12-07 on a 2-core CPU without AMX (fp32), stages two at a time: a pair 9m56s, "
        "then MixPro alone; 19m30s before the twin wait, when it ran 9m24s on one thread), ~66 min for PVT-S "
        "(the same day: the DeiT-recipe and TransMix runs ~47 min a pair in transmix-3, MixPro's alone 18m38s "
        "in mixpro-4)")
