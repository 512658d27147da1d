"""TransMix (CVPR'22) Table 7: Swin-T vs CA-Swin-T vs TransMix-CA-Swin, T and S. Not runnable yet: the suite lacks plain
Swin-T/S baselines and CA-Swin-S."""

paper = "TransMix (CVPR'22)"
table = "Table 7"
caption = "Swin-T vs CA-Swin-T vs TransMix-CA-Swin, T and S"
backbones = ["ca_swin_t"]
cost = "see the paper; not runnable here yet"
missing = "plain Swin-T/S baselines and CA-Swin-S"
