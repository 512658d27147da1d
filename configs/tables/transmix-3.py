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
cost = ("paper: 2 pretrainings + 2 x 12-epoch Mask R-CNN; demo here: ~50 min (not yet run by hand to the end: "
        "a PVT-S demo pretraining steps at 6.3 s two side by side on the 2-core CPU of 2026-12-07, fp32, "
        "about 41 min a pair, then 2 Mask R-CNN stages)")
missing = ""
