"""TransMix Table 2: semantic segmentation on Pascal Context with a DeiT-S backbone (MMSegmentation, Linear and
Segmenter decoders, single-scale and multi-scale mIoU)."""

paper = "TransMix (CVPR'22)"
table = "Table 2"
caption = "Pascal Context mIoU (%) of DeiT-S backbones, Linear and Segmenter decoders, single / multi-scale"
backbones = ["deit_s"]
methods = ["deit", "transmix"]
rows = {"deit": "DeiT-S", "transmix": "TransMix-DeiT-S"}
columns = {"Linear mAcc": ["seg_linear", "mAcc"], "Linear mIoU": ["seg_linear", "mIoU"],
           "Linear MS": ["seg_linear", "mIoU_ms"], "Segmenter mAcc": ["seg_segmenter", "mAcc"],
           "Segmenter mIoU": ["seg_segmenter", "mIoU"], "Segmenter MS": ["seg_segmenter", "mIoU_ms"]}
published = {"deit_s": {"deit": [59.4, 49.1, 49.6, 60.4, 49.7, 50.5], "transmix": [60.2, 49.7, 50.3, 61.4, 50.6, 51.2]}}
cost = ("paper: 2 pretrainings + 4 x 80k-iteration trainings; demo here: 17m46s from scratch (measured "
        "2026-12-07 on a 2-core CPU without AMX (fp32), stages two at a time)")
missing = ""
