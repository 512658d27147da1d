"""TransMix (CVPR'22) Table 8: mixing variants with training speed (Mixup, CutMix, Attentive-CutMix, SaliencyMix,
Puzzle-Mix, GridMix, TransMix). Not runnable yet: the suite lacks Puzzle-Mix."""

paper = "TransMix (CVPR'22)"
table = "Table 8"
caption = ("mixing variants with training speed (Mixup, CutMix, Attentive-CutMix, SaliencyMix, Puzzle-Mix, "
    "GridMix, TransMix)")
backbones = ["deit_s"]
cost = "see the paper; not runnable here yet"
missing = "Puzzle-Mix"
