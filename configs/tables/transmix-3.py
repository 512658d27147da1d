"""TransMix Table 3: COCO detection and instance segmentation, Mask R-CNN 1x with PVT backbones (MMDetection)."""

paper = "TransMix (CVPR'22)"
table = "Table 3"
caption = "COCO box AP / mask AP (%), Mask R-CNN 1x schedule, PVT backbones"
backbones = ["pvt_s"]
methods = ["deit", "transmix"]
rows = {"deit": "PVT-S", "transmix": "TransMix-PVT-S"}
columns = {"box AP": ["det", "box_AP"], "box AP50": ["det", "box_AP50"], "box AP75": ["det", "box_AP75"],
           "mask AP": ["det", "mask_AP"], "mask AP50": ["det", "mask_AP50"], "mask AP75": ["det", "mask_AP75"]}
published = {"pvt_s": {"deit": [40.4, 62.9, 43.8, 37.8, 60.1, 40.3], "transmix": [40.9, 63.8, 44.0, 38.4, 60.7, 41.3]}}
cost = ("paper: 2 pretrainings + 2 x 12-epoch Mask R-CNN; demo here: ~1 h 45 min from scratch (measured "
        "2026-12-07 on a 2-core CPU without AMX (fp32), stages two at a time: the 2 PVT-S pretrainings ~47 "
        "min a pair (42 min resumed from step 38 of 390), then the 2 Mask R-CNN stages 57 min a pair; after "
        "the demo's 6 epochs no detection scores above 0.05, so the demo's AP is 0)")
missing = ""
