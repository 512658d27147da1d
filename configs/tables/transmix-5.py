"""TransMix Table 5: quality of the class attention of DeiT-S (weakly supervised localisation mIoU on ImageNet val,
weakly supervised segmentation Jaccard on Pascal VOC 2012 val)."""

paper = "TransMix (CVPR'22)"
table = "Table 5"
caption = "Attention quality of DeiT-S: localisation mIoU (ImageNet val boxes) and VOC 2012 Jaccard"
backbones = ["deit_s"]
methods = ["deit", "transmix"]
rows = {"deit": "DeiT-S", "transmix": "TransMix-DeiT-S"}
columns = {"loc. mIoU": ["robustness", "localisation", "largest_component", "miou"],
           "VOC Jaccard": ["robustness", "voc", "jaccard"]}
published = {"deit_s": {"deit": [34.9, 29.2], "transmix": [44.4, 29.9]}}
cost = ("paper: 2 pretrainings + evaluation; demo here: ~14 min from scratch (measured 2026-12-07 on a 2-core "
        "CPU without AMX (fp32), stages two at a time: the same stages as Table 4, 15 s on top of them)")
missing = ""
