"""TokenMix (ECCV'22) transfer table: ADE20K semantic segmentation with UperNet on DeiT-T/S/B encoders pretrained
with the DeiT recipe and with TokenMix: mIoU and mAcc, single scale and multi-scale + flip. TokenMix's repository
has no segmentation code; the recipe is MMSegmentation's DeiT + UperNet one (``configs/transfer/ade20k_paper.py``).
Published: DeiT-S 42.3 -> 44.5 mIoU (../shared/PROTOCOLS.md section 5); the paper's other cells (DeiT-T/B, mAcc,
multi-scale) were not available to this suite's authors and are left empty rather than guessed."""

paper = "TokenMix (ECCV'22)"
table = "ADE20K table"
caption = "ADE20K semantic segmentation (UperNet, 160k iterations): mIoU / mAcc, single and multi-scale"
backbones = ["deit_t", "deit_s", "deit_b"]
methods = ["deit", "tokenmix"]
rows = {"deit": "DeiT (DeiT recipe)", "tokenmix": "+ TokenMix"}
columns = {"mIoU": ["seg_upernet", "mIoU"], "mAcc": ["seg_upernet", "mAcc"],
           "mIoU (MS)": ["seg_upernet", "mIoU_ms"], "mAcc (MS)": ["seg_upernet", "mAcc_ms"]}
published = {"deit_s": {"deit": [42.3, None, None, None], "tokenmix": [44.5, None, None, None]}}
cost = ("paper: 2 pretrainings (300 epochs) + 2 x 160k-iteration UperNet trainings (8 GPUs) per backbone; "
        "demo here: ~20 min for DeiT-S, estimated (measured 31m12s on 2026-12-02 in bf16, which stepped there "
        "at the 2x-slower speed bf16 has on this CPU, where fp32 runs now: 2 pretrainings side by side 19-20 "
        "min, 2 UperNet stages 10m50s); needs --teacher FILE")
