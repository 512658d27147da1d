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
cost = ("paper: 3 pretrainings + 3 x 12-epoch Mask R-CNN; demo here: ~2 h 40 min from scratch (measured "
        "2026-12-07 on a 2-core CPU without AMX (fp32): the DeiT-recipe and TransMix runs are transmix-3's, 1 h 45 "
        "min (the PVT-S pretrainings ~47 min a pair, their Mask R-CNN stages 57 min a pair); MixPro's PVT-S "
        "pretraining took 18m38s alone and its Mask R-CNN stage 55m04s on one thread beside another stage, so two "
        "at a time the preset's six stages take ~2 h 40 min; after the demo's 6 epochs no detection scores above "
        "0.05, so the demo's AP is 0)")
