"""TransMix (CVPR'22) Table 6: which attention re-assigns the labels: the model's own, or a frozen provider's (DINO, a
pretrained DeiT, a distilled DeiT). Not runnable yet: the suite lacks the providers' checkpoints as presets (runs
today as --methods transmix@attn_source=external+attn_model=FILE)."""

paper = "TransMix (CVPR'22)"
table = "Table 6"
caption = ("which attention re-assigns the labels: the model's own, or a frozen provider's (DINO, a pretrained "
    "DeiT, a distilled DeiT)")
backbones = ["deit_s"]
cost = "see the paper; not runnable here yet"
missing = ("the providers' checkpoints as presets (runs today as --methods "
    "transmix@attn_source=external+attn_model=FILE)")
