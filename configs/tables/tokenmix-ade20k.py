"""TokenMix (ECCV'22) ADE20K table: ADE20K semantic segmentation with UperNet: DeiT-T/S/B, mIoU, mAcc, multi-scale. Not
runnable yet: the suite lacks ADE20K with UperNet on MMSegmentation (layout, generator, config)."""

paper = "TokenMix (ECCV'22)"
table = "ADE20K table"
caption = "ADE20K semantic segmentation with UperNet: DeiT-T/S/B, mIoU, mAcc, multi-scale"
backbones = ["deit_s"]
cost = "see the paper; not runnable here yet"
missing = "ADE20K with UperNet on MMSegmentation (layout, generator, config)"
