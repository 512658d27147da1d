"""MixPro (ICLR'23) Table 8: approaches A (TransMix box aligned to patches), B (cells misaligned with patches), C (cells
smaller than a patch). Not runnable yet: the suite lacks the approach A, B and C switches."""

paper = "MixPro (ICLR'23)"
table = "Table 8"
caption = ("approaches A (TransMix box aligned to patches), B (cells misaligned with patches), C (cells smaller "
    "than a patch)")
backbones = ["deit_s14"]
cost = "see the paper; not runnable here yet"
missing = "the approach A, B and C switches"
