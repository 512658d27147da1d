"""MixPro (ICLR'23) Table 4: COCO detection and instance segmentation, Mask R-CNN 1x with a PVT-S backbone
(MMDetection). The table number is inferred from the paper's order (see mixpro-3). Published numbers:
../shared/PROTOCOLS.md section 3."""

paper = "MixPro (ICLR'23)"
table = "Table 4"
caption = "COCO box AP / mask AP (%), Mask R-CNN 1x, PVT-S: DeiT recipe, TransMix, MixPro"
backbones = ["pvt_s"]
methods = ["deit", "transmix", "mixpro"]
rows = {"deit": "PVT-S", "transmix": "TransMix-PVT-S", "mixpro": "MixPro-PVT-S"}
columns = {"box AP": ["det", "box_AP"], "box AP50": ["det", "box_AP50"], "box AP75": ["det", "box_AP75"],
           "mask AP": ["det", "mask_AP"], "mask AP50": ["det", "mask_AP50"], "mask AP75": ["det", "mask_AP75"]}
published = {"pvt_s": {"deit": [40.4, 62.9, 43.8, 37.8, 60.1, 40.3], "transmix": [40.9, 63.8, 44.0, 38.4, 60.7, 41.3],
                       "mixpro": [41.4, 64.2, 44.4, 38.9, 61.1, 41.7]}}
cost = ("paper: 3 pretrainings + 3 x 12-epoch Mask R-CNN; demo here: ~2 h 45 min from scratch, ~1 h on top of "
        "transmix-3's runs (not yet run by hand to the end: transmix-3's 2 pretrainings and 2 Mask R-CNN "
        "stages took 1 h 45 min on the 2-core CPU of 2026-12-07, fp32; MixPro's pretraining and Mask R-CNN "
        "stage then run alone)")
