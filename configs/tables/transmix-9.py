"""TransMix Table 9: which attention re-assigns the labels: the class attention of block d, or attention rollout
over all blocks (``attn_source``)."""

paper = "TransMix (CVPR'22)"
table = "Table 9"
caption = "ImageNet-1k top-1 (%) of DeiT-S with TransMix labels from the attention of block d or from rollout"
backbones = ["deit_s"]
methods = ["deit", "transmix@attn_source=4", "transmix@attn_source=8", "transmix", "transmix@attn_source=rollout"]
rows = {"deit": "DeiT-S baseline", "transmix@attn_source=4": "block d = 4", "transmix@attn_source=8": "block d = 8",
        "transmix": "block d = 12 (last)", "transmix@attn_source=rollout": "attention rollout"}
columns = {"top-1": ["pretrain", "top1"]}
published = {"deit_s": {"deit": [79.8], "transmix@attn_source=4": [None], "transmix@attn_source=8": [None],
                        "transmix": [80.7], "transmix@attn_source=rollout": [None]}}
cost = "paper: 5 runs x 300 epochs of DeiT-S; demo here: 5 x ~7 min"
missing = ""
