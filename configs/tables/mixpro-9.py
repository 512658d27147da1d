"""MixPro (ICLR'23) Table 9: noisy patterns: shuffling patches of the pasted crop, of the canvas, both. Not runnable
yet: the suite lacks the patch-shuffling switches."""

paper = "MixPro (ICLR'23)"
table = "Table 9"
caption = "noisy patterns: shuffling patches of the pasted crop, of the canvas, both"
backbones = ["deit_s14"]
methods = []
rows = {}
columns = {}
published = {}
cost = "see the paper"
missing = "the patch-shuffling switches"
