"""MixPro (ICLR'23) Table 8: why MaskMix's cells are whole patches. Approach A: TransMix with its CutMix box aligned
to patch borders (``transmix@align_box=True``); B: MaskMix cells misaligned with the patches (the cell grid shifted
by half a patch, ``cell_offset=7`` at 14-px patches); C: cells smaller than a patch (``scale=0.5``: 7-px cells).
The official code has no such switches (fistyee/MixPro@53a229e); this is the suite's reading of the paper
(``pretrain/mixing/maskmix.py``, ``transmix.py``). For B and C PAL weighs each patch's attention by the share of its
pixels from the partner."""

paper = "MixPro (ICLR'23)"
table = "Table 8"
caption = ("ImageNet-1k top-1 (%) of DeiT-S/14: TransMix, A (its box aligned to patches), B (MixPro with cells "
    "misaligned with patches), C (cells smaller than a patch), MixPro")
backbones = ["deit_s14"]
methods = ["transmix", "transmix@align_box=True", "mixpro@cell_offset=7", "mixpro@scale=0.5", "mixpro"]
rows = {"transmix": "TransMix", "transmix@align_box=True": "A: TransMix, box aligned to patches",
        "mixpro@cell_offset=7": "B: cells misaligned with patches", "mixpro@scale=0.5": "C: cells smaller than a patch",
        "mixpro": "MixPro (cells of whole patches)"}
columns = {"top-1": ["pretrain", "top1"]}
published = {"deit_s14": {"transmix": [None], "transmix@align_box=True": [None], "mixpro@cell_offset=7": [None],
                          "mixpro@scale=0.5": [None], "mixpro": [81.3]}}
cost = ("paper: 5 runs x 300 epochs of DeiT-S/14; demo here: ~26 min from scratch (measured 2026-12-07 on a "
        "2-core CPU without AMX (fp32), stages two at a time: 19m18s on top of Table 1's runs: a pair 9m50s, "
        "the third 9m13s alone on one thread, before the twin wait gave a lone run both cores, ~6 min)")
