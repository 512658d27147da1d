"""TransMix (CVPR'22) Table 7: Swin with class attention. Plain Swin (no class token, trained with the DeiT recipe)
against CA-Swin (its last block a class-attention block, ``pretrain/models/ca_swin.py``) with the DeiT recipe and with
TransMix, for T and S. Rows ``ALIAS:LABEL`` come from other backbones' runs, which this table's run plans too: run it
as ``tools/run_all.sh ca_swin_t --table transmix-7`` and all six trainings go under the same ``--out``. The plain
Swin configs keep the drop path of the CA-Swin of the same size (``configs/pretrain/swin_t.py``)."""

paper = "TransMix (CVPR'22)"
table = "Table 7"
caption = "ImageNet-1k top-1 (%): Swin vs CA-Swin vs TransMix-CA-Swin, T and S"
backbones = ["ca_swin_t"]
rows = {"swin_t:deit": "Swin-T", "ca_swin_t:deit": "CA-Swin-T", "ca_swin_t:transmix": "TransMix-CA-Swin-T",
        "swin_s:deit": "Swin-S", "ca_swin_s:deit": "CA-Swin-S", "ca_swin_s:transmix": "TransMix-CA-Swin-S"}
columns = {"top-1": ["pretrain", "top1"]}
published = {"ca_swin_t": {"swin_t:deit": [81.3], "ca_swin_t:deit": [81.6], "ca_swin_t:transmix": [81.8],
                           "swin_s:deit": [None], "ca_swin_s:deit": [82.8], "ca_swin_s:transmix": [83.2]}}
# ../shared/PROTOCOLS.md section 5 (Swin-S without class attention is not given there)
cost = ("paper: 6 runs x 300 epochs (Swin-T/S, CA-Swin-T/S; 8 GPUs, 2-4 days each); demo here: 29m21s from "
        "scratch (measured 2026-12-07 on a 2-core CPU without AMX (fp32), stages two at a time: the T runs ~6-7 min "
        "each, the S runs ~10-12 min each, 6 runs at 64 px)")
