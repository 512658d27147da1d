"""MixPro (ICLR'23) Table 2: mixing methods on DeiT-S, top-1 and training speed relative to CutMix (TransMix Table
8's rows with TokenMix and MixPro added). The speed column is a ``bench_mixing`` stage (every method's training step
paired in one process, frozen external models with random weights). TokenMix needs its teacher (``--teacher``),
Attentive-CutMix its ResNet-50 (``--files resnet50=FILE``). Published: ../shared/PROTOCOLS.md section 5 (images/s on
one V100 at batch 128, here as ratios to CutMix's 322)."""

paper = "MixPro (ICLR'23)"
table = "Table 2"
caption = "ImageNet-1k top-1 (%) of DeiT-S and training speed relative to CutMix, by mixing method"
backbones = ["deit_s"]
methods = ["mixup", "cutmix", "gridmix", "attentive_cutmix@model=resnet50", "saliencymix", "puzzlemix", "transmix",
           "tokenmix", "mixpro"]
rows = {"mixup": "baseline (Mixup, no CutMix)", "cutmix": "CutMix", "gridmix": "GridMix",
        "attentive_cutmix@model=resnet50": "Attentive-CutMix", "saliencymix": "SaliencyMix", "puzzlemix": "Puzzle-Mix",
        "transmix": "TransMix", "tokenmix": "TokenMix", "mixpro": "MixPro"}
columns = {"top-1": ["pretrain", "top1"], "speed (x CutMix)": ["bench", "ratio_to_cutmix"]}
published = {"deit_s": {"mixup": [78.6, 1.0], "cutmix": [79.8, 1.0], "gridmix": [79.5, 1.0],
                        "attentive_cutmix@model=resnet50": [77.5, round(239 / 322, 2)],
                        "saliencymix": [79.2, round(314 / 322, 2)], "puzzlemix": [79.8, round(139 / 322, 2)],
                        "transmix": [80.7, 1.0], "tokenmix": [80.8, 1.0], "mixpro": [81.3, 1.0]}}
files = {"resnet50": dict(what="the frozen ImageNet ResNet-50 of Attentive-CutMix (torchvision or timm resnet50 "
                               "weights)", model="resnet50")}
cost = ("paper: 9 runs x 300 epochs of DeiT-S; demo here: ~55 min from scratch (measured 2026-12-07 on a "
        "2-core CPU without AMX (fp32), stages two at a time: Table 8 of TransMix's runs plus TokenMix and "
        "MixPro; the speed stage 49 s)")
