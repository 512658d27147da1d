"""TokenMix (ECCV'22) teacher ablation: which teacher scores the tokens. The official training reads NFNet-F6 maps
precomputed by TokenLabeling (per-location top-5 logits); this suite computes each teacher's class-activation map
online from a frozen timm CNN given with ``--files`` (built as ``dm_nfnet_f6``, ``resnet101``, ``resnet26``, with the
run's class count: ImageNet checkpoints need ImageNet's 1000 classes); the 'saliency' row uses the class-agnostic
spectral-residual saliency (the paper does not name its saliency; ``pretrain/mixing/tokenmix.py``). At the demo's
32 px a stride-32 CNN gives one cell, so the CNN rows fall back to the area label there: compare teachers at 224."""

paper = "TokenMix (ECCV'22)"
table = "teacher ablation"
caption = "ImageNet-1k top-1 (%) of DeiT-S with TokenMix by teacher: NFNet-F6 / ResNet-101 / ResNet-26 / saliency"
backbones = ["deit_s"]
methods = ["deit", "tokenmix@teacher=nfnet_f6", "tokenmix@teacher=resnet101", "tokenmix@teacher=resnet26",
           "tokenmix@teacher=saliency"]
rows = {"deit": "DeiT-S baseline", "tokenmix@teacher=nfnet_f6": "NFNet-F6",
        "tokenmix@teacher=resnet101": "ResNet-101", "tokenmix@teacher=resnet26": "ResNet-26",
        "tokenmix@teacher=saliency": "saliency (spectral residual)"}
columns = {"top-1": ["pretrain", "top1"]}
published = {"deit_s": {"deit": [79.8], "tokenmix@teacher=nfnet_f6": [80.8], "tokenmix@teacher=resnet101": [None],
                        "tokenmix@teacher=resnet26": [None], "tokenmix@teacher=saliency": [None]}}
files = {"nfnet_f6": dict(what="timm dm_nfnet_f6 weights (ImageNet-1k)", model="dm_nfnet_f6"),
         "resnet101": dict(what="timm resnet101 weights (ImageNet-1k)", model="resnet101"),
         "resnet26": dict(what="timm resnet26 weights (ImageNet-1k)", model="resnet26")}
cost = ("paper: 5 runs x 300 epochs of DeiT-S; the NFNet-F6 teacher online costs several times a DeiT-S step "
        "(the original precomputes its maps); demo here: ~37 min from scratch with stand-in teachers (timm's "
        "architectures, random weights; measured 2026-12-07 on a 2-core CPU without AMX (fp32), stages two at "
        "a time: 31m12s on top of the DeiT recipe's run: the NFNet-F6 teacher's run 21m32s beside the "
        "ResNet-101 one (11m17s) and then the ResNet-26 one (10m18s), the saliency run 9m37s; a CNN teacher's "
        "forward adds to each step)")
