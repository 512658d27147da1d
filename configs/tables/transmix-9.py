"""TransMix (CVPR'22) Table 9: which attention re-assigns the labels: the class attention of block d (6, 8, 10, 12:
the last), or attention rollout over all blocks (``attn_source``). Published numbers: ../shared/PROTOCOLS.md
section 5."""

paper = "TransMix (CVPR'22)"
table = "Table 9"
caption = "ImageNet-1k top-1 (%) of DeiT-S with TransMix labels from the attention of block d or from rollout"
backbones = ["deit_s"]
methods = ["transmix@attn_source=6", "transmix@attn_source=8", "transmix@attn_source=10", "transmix",
           "transmix@attn_source=rollout"]
rows = {"transmix@attn_source=6": "block d = 6", "transmix@attn_source=8": "block d = 8",
        "transmix@attn_source=10": "block d = 10", "transmix": "block d = 12 (last)",
        "transmix@attn_source=rollout": "attention rollout"}
columns = {"top-1": ["pretrain", "top1"]}
published = {"deit_s": {"transmix@attn_source=6": [80.3], "transmix@attn_source=8": [80.3],
                        "transmix@attn_source=10": [80.4], "transmix": [80.7], "transmix@attn_source=rollout": [80.4]}}
cost = ("paper: 5 runs x 300 epochs of DeiT-S; demo here: ~26 min from scratch (measured 2026-12-07 on a "
        "2-core CPU without AMX (fp32), stages two at a time: 20m17s with TransMix already trained, 4 runs "
        "9m47s-10m09s a pair)")
