"""MixPro (ICLR'23) Table 3: semantic segmentation on Pascal Context with a DeiT-S encoder (MMSegmentation, Linear
and Segmenter decoders, single-scale and multi-scale mIoU). The table number is inferred from the paper's order
(classification, comparison, segmentation, detection, robustness = Table 5): the paper's table text was not
available. Published numbers: ../shared/PROTOCOLS.md section 5."""

paper = "MixPro (ICLR'23)"
table = "Table 3"
caption = "Pascal Context mIoU (%) of DeiT-S: DeiT recipe, TransMix, MixPro; Linear and Segmenter, single / multi-scale"
backbones = ["deit_s"]
methods = ["deit", "transmix", "mixpro"]
rows = {"deit": "DeiT-S", "transmix": "TransMix-DeiT-S", "mixpro": "MixPro-DeiT-S"}
columns = {"Linear mIoU": ["seg_linear", "mIoU"], "Linear MS": ["seg_linear", "mIoU_ms"],
           "Segmenter mIoU": ["seg_segmenter", "mIoU"], "Segmenter MS": ["seg_segmenter", "mIoU_ms"]}
published = {"deit_s": {"deit": [49.1, 49.6, 49.7, 50.5], "transmix": [49.7, 50.3, 50.6, 51.2],
                        "mixpro": [50.3, 50.9, 51.1, 51.6]}}
cost = ("paper: 3 pretrainings + 6 x 80k-iteration trainings; demo here: ~31 min from scratch (measured "
        "2026-12-07 on a 2-core CPU without AMX (fp32), stages two at a time: 17m46s for TransMix Table 2's "
        "stages, then 13m43s for MixPro's)")
