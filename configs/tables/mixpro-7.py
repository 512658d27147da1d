"""MixPro (ICLR'23) Table 7: mask strategy: region / block / random / random-4x. Not runnable yet: the suite lacks
MaskMix's region, block and random mask strategies as switches."""

paper = "MixPro (ICLR'23)"
table = "Table 7"
caption = "mask strategy: region / block / random / random-4x"
backbones = ["deit_s14"]
cost = "see the paper; not runnable here yet"
missing = "MaskMix's region, block and random mask strategies as switches"
