"""TransMix (CVPR'22) Table 6: which attention re-assigns the labels: the trained model's own class attention, or a
frozen provider's, run on the same mixed batch (``attn_source='external'``, ``attn_model``): DINO ViT-S/16, a
pretrained DeiT-S, a distilled DeiT-S. The providers are released checkpoints given with ``--files``; the distilled
DeiT is built as timm's ``deit_small_distilled_patch16_224`` (its class row, after the class and distillation
tokens). On another backbone than DeiT-S the providers must have that backbone's token grid at its image size."""

paper = "TransMix (CVPR'22)"
table = "Table 6"
caption = ("ImageNet-1k top-1 (%) of DeiT-S trained with TransMix, the attention taken from the model itself or from "
    "a frozen provider")
backbones = ["deit_s"]
methods = ["deit", "transmix", "transmix@attn_source=external+attn_model=dino",
           "transmix@attn_source=external+attn_model=deit_pretrained",
           "transmix@attn_source=external+attn_model=deit_distilled"]
rows = {"deit": "DeiT-S baseline (no TransMix)", "transmix": "self (the model being trained)",
        "transmix@attn_source=external+attn_model=dino": "DINO (frozen)",
        "transmix@attn_source=external+attn_model=deit_pretrained": "DeiT-S pretrained (frozen)",
        "transmix@attn_source=external+attn_model=deit_distilled": "DeiT-S distilled (frozen)"}
columns = {"top-1": ["pretrain", "top1"]}
published = {"deit_s": {"deit": [79.8], "transmix": [80.7],  # ../shared/PROTOCOLS.md section 5
                        "transmix@attn_source=external+attn_model=dino": [80.6],
                        "transmix@attn_source=external+attn_model=deit_pretrained": [80.4],
                        "transmix@attn_source=external+attn_model=deit_distilled": [80.4]}}
files = {"dino": dict(what="DINO ViT-S/16 backbone (dino_deitsmall16_pretrain.pth, facebookresearch/dino)"),
         "deit_pretrained": dict(what="a pretrained DeiT-S (deit_small_patch16_224-cd65a155.pth, or a hand-off "
                                      "backbone.pth)"),
         "deit_distilled": dict(what="a distilled DeiT-S (deit_small_distilled_patch16_224-649709d9.pth)",
                                model="deit_small_distilled_patch16_224")}
cost = ("paper: 5 runs x 300 epochs of DeiT-S (the provider's forward adds ~30% per step); demo here: ~29 min "
        "from scratch (measured 2026-12-07 on a 2-core CPU without AMX (fp32), stages two at a time: 18m24s "
        "on top of Table 4's 2 runs: the frozen-provider runs 11m17s a pair, the third 6m51s alone on both "
        "cores; providers at the demo geometry: hand-offs of this suite)")
