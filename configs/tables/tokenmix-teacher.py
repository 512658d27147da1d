"""TokenMix (ECCV'22) teacher ablation: which teacher scores the tokens: NFNet-F6 / ResNet-101 / ResNet-26 / saliency.
Not runnable yet: the suite lacks any timm CNN as TokenMix teacher."""

paper = "TokenMix (ECCV'22)"
table = "teacher ablation"
caption = "which teacher scores the tokens: NFNet-F6 / ResNet-101 / ResNet-26 / saliency"
backbones = ["deit_s"]
cost = "see the paper; not runnable here yet"
missing = "any timm CNN as TokenMix teacher"
