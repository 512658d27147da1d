"""TokenMix ImageNet table: DeiT-T/S/B (and PVT-T) top-1 with the DeiT recipe and with TokenMix (its teacher: run_all
--teacher FILE). TokenMix's numbers: Sense-X/TokenMix@0e17d5d README.md l.34-38 (300 epochs); the baselines are
DeiT's own (facebookresearch/deit); PVT-T: ../shared/PROTOCOLS.md section 5."""

paper = "TokenMix (ECCV'22)"
table = "ImageNet table"
caption = "ImageNet-1k top-1 (%) of DeiT-T/S/B, 300 epochs, DeiT recipe vs TokenMix (NFNet-F6 teacher maps)"
backbones = ["deit_t", "deit_s", "deit_b", "pvt_t"]
methods = ["deit", "tokenmix"]
rows = {"deit": "DeiT (baseline)", "tokenmix": "+ TokenMix"}
columns = {"top-1": ["pretrain", "top1"]}
published = {"deit_t": {"deit": [72.2], "tokenmix": [73.2]}, "deit_s": {"deit": [79.8], "tokenmix": [80.8]},
             "deit_b": {"deit": [81.8], "tokenmix": [82.9]}, "pvt_t": {"deit": [75.1], "tokenmix": [75.6]}}
cost = ("paper: 2 runs x 300 epochs per backbone plus the teacher's maps; demo here: ~12 min for DeiT-S "
        "(measured 2026-12-07 on a 2-core CPU without AMX (fp32), stages two at a time: TokenMix 7m08s alone "
        "with a demo DeiT-S teacher, the DeiT recipe 10m54s beside another run); needs --teacher FILE")
missing = ""
