"""MixPro (ICLR'23) Table 9: noisy patterns: shuffling patches of the pasted crop, of the canvas, both. Not runnable
yet: the suite lacks the patch-shuffling switches."""

paper = "MixPro (ICLR'23)"
table = "Table 9"
caption = "noisy patterns: shuffling patches of the pasted crop, of the canvas, both"
backbones = ["deit_s14"]
cost = "see the paper; not runnable here yet"
missing = "the patch-shuffling switches"
