"""TransMix (CVPR'22) Table 8: mixing variants on DeiT-S, top-1 and training speed relative to CutMix. The speed
column comes from ``tools/bench_mixing.py`` run as a stage of the table (every method's full training step, paired
in one process, at the run's geometry; frozen external models with random weights of the same architecture), not
from the training loops' images/s, which share the machine with other stages. Attentive-CutMix needs its frozen
ResNet-50 (``--files resnet50=FILE``, timm/torchvision key names); Puzzle-Mix is the original ImageNet setting
(``pretrain/mixing/puzzlemix.py``)."""

paper = "TransMix (CVPR'22)"
table = "Table 8"
caption = "ImageNet-1k top-1 (%) of DeiT-S and training speed relative to CutMix, by mixing method"
backbones = ["deit_s"]
methods = ["mixup", "cutmix", "attentive_cutmix@model=resnet50", "saliencymix", "puzzlemix", "gridmix", "transmix"]
rows = {"mixup": "baseline (Mixup, no CutMix)", "cutmix": "CutMix",
        "attentive_cutmix@model=resnet50": "Attentive-CutMix", "saliencymix": "SaliencyMix", "puzzlemix": "Puzzle-Mix",
        "gridmix": "GridMix", "transmix": "TransMix"}
columns = {"top-1": ["pretrain", "top1"], "speed (x CutMix)": ["bench", "ratio_to_cutmix"]}
# ../shared/PROTOCOLS.md section 5: images/s on one V100 at batch 128 (CutMix 322), as ratios to CutMix
published = {"deit_s": {"mixup": [78.6, 1.0], "cutmix": [79.8, 1.0],
                        "attentive_cutmix@model=resnet50": [77.5, round(239 / 322, 2)],
                        "saliencymix": [79.2, round(314 / 322, 2)], "puzzlemix": [79.8, round(139 / 322, 2)],
                        "gridmix": [79.5, 1.0], "transmix": [80.7, 1.0]}}
files = {"resnet50": dict(what="the frozen ImageNet ResNet-50 of Attentive-CutMix (torchvision or timm resnet50 "
                               "weights)", model="resnet50")}
cost = ("paper: 7 runs x 300 epochs of DeiT-S (Puzzle-Mix adds a forward and backward per step); demo here: "
        "~45 min from scratch (measured 2026-12-07 on a 2-core CPU without AMX (fp32), stages two at a time: "
        "39m20s with TransMix already trained; pretrainings 10-11.5 min a pair, Puzzle-Mix 18m08s, the speed "
        "stage 1m02s)")
