"""Semantic segmentation transfer with MMSegmentation: a pretrained DeiT encoder converted to mmseg's
``VisionTransformer`` under a Linear or Segmenter decoder on Pascal Context (``configs/transfer/seg_<profile>.py``),
or UperNet on ADE20K (``configs/transfer/ade20k_<profile>.py``), trained and evaluated by MMEngine's Runner.

    python -m transfer.seg --backbone <run>/pretrain/backbone.pth --decoder linear|segmenter|upernet \
        --profile paper|demo|tiny --out <run>/transfer/seg_<decoder> [--launcher pytorch]

Writes ``backbone_mmseg.pth`` (converted, exact-checked), ``config.py`` (the merged config), MMEngine's logs and
checkpoints, and ``results.json``: mAcc, mIoU (single scale) and mIoU_ms (multi-scale + flip), with the sha256 of the
backbone. An interrupted run resumes from its last checkpoint when started again.
"""

from __future__ import annotations

import argparse
import copy
import logging
from pathlib import Path

import torch

from configs.datasets import dataset_root
from pretrain.checkpoint import code_sha256

from .common import (
    allow_mmengine_resume,
    apply_global_batch,
    apply_precision,
    finish,
    join_process_group,
    last_checkpoint,
    load_profile_config,
    read_meta,
    register_bf16_optim_wrapper,
)
from .convert import check_exact, mmseg_vit_config, vit_to_mmseg

log = logging.getLogger("transfer.seg")
# decoder -> (config task, dataset): configs/transfer/<task>_<profile>.py, configs/datasets.py name
DECODERS = {"linear": ("seg", "pascal_context"), "segmenter": ("seg", "pascal_context"),
            "upernet": ("ade20k", "ade20k")}


def feature_levels(num_layers: int) -> tuple[int, ...]:
    """UperNet's four encoder levels: blocks 3, 6, 9, 12 of 12 (MMSegmentation's ``out_indices=(2, 5, 8, 11)``),
    the same quarters of any depth."""
    return tuple(num_layers * (k + 1) // 4 - 1 for k in range(4))


def build_config(backbone, decoder: str, profile: str, out: Path, data_root=None, launcher: str = "none"):
    if decoder not in DECODERS:
        raise ValueError(f"--decoder must be one of {tuple(DECODERS)}, got {decoder!r}")
    task, dataset = DECODERS[decoder]
    meta = read_meta(backbone)
    cfg, path = load_profile_config(task, profile)
    crop = tuple(cfg.crop_size)
    bb = mmseg_vit_config(meta, crop)
    bb["drop_path_rate"] = cfg.model.backbone.get("drop_path_rate", 0.1)
    bb["init_cfg"] = dict(type="Pretrained", checkpoint=str(out / "backbone_mmseg.pth"))
    head = copy.deepcopy(cfg[f"{decoder}_head"])
    D = bb["embed_dims"]
    if decoder == "upernet":  # MMSegmentation's DeiT + UperNet: four levels, no final norm, width into neck/heads
        bb.update(out_indices=feature_levels(bb["num_layers"]), final_norm=cfg.model.backbone.final_norm)
        head.update(in_channels=[D] * 4)  # UPerHead channels stay 512 for every width (its DeiT-S and DeiT-B)
        cfg.model.neck.update(in_channels=[D] * 4, out_channels=D)
        cfg.model.auxiliary_head.update(in_channels=D)
        if not torch.cuda.is_available():  # SyncBN runs on CUDA only (and MMEngine reverts it only without DDP)
            for h in (head, cfg.model.auxiliary_head):
                h.norm_cfg = dict(type="BN", requires_grad=True)
    else:
        head.update(in_channels=D, channels=D)
    if decoder == "segmenter":
        head.update(embed_dims=D, num_heads=bb["num_heads"])
    cfg.model.backbone = bb
    cfg.model.decode_head = head
    mean = [255 * m for m in meta["mean"]]
    std = [255 * s for s in meta["std"]]
    cfg.model.data_preprocessor.update(mean=mean, std=std)
    root = str(dataset_root(dataset, data_root))
    for dl in ("train_dataloader", "val_dataloader", "test_dataloader"):
        if cfg.get(dl) is not None:  # the demo and tiny profiles have no val loop: the test set is evaluated once
            cfg[dl].dataset.data_root = root
    cfg.work_dir = str(out)
    cfg.launcher = launcher
    if launcher == "none":
        cfg.env_cfg.dist_cfg = dict(backend="gloo")
    elif not torch.cuda.is_available():
        cfg.env_cfg.dist_cfg = dict(backend="gloo")
    cfg.resume = last_checkpoint(out)
    cfg.source_profile = f"{path.name} + decoder {decoder}"
    return cfg, meta


def convert_and_check(backbone, cfg, out: Path) -> None:
    """Write the converted encoder and check it exactly against mmseg's ``VisionTransformer`` as configured, then
    load it the way the Runner will (``init_weights``) and compare every tensor."""
    from mmseg.registry import MODELS

    from pretrain.checkpoint import atomic_torch_save, read_handoff

    sd, _ = read_handoff(backbone)
    conv = vit_to_mmseg(sd)
    if not cfg.model.backbone.get("final_norm", True):  # UperNet's recipe leaves the encoder's last norm out
        conv = type(conv)((k, v) for k, v in conv.items() if not k.startswith("ln1."))
    vit = MODELS.build(copy.deepcopy(cfg.model.backbone))
    check_exact(conv, vit, f"{backbone} -> mmseg VisionTransformer", resized=("pos_embed",))
    atomic_torch_save(dict(conv), out / "backbone_mmseg.pth")
    vit.init_weights()
    got = vit.state_dict()
    for k, v in conv.items():
        if k == "pos_embed":
            continue  # interpolated to the crop grid by mmseg's own resize_pos_embed
        if not torch.equal(got[k], v):
            raise RuntimeError(f"mmseg did not load {k} from {out / 'backbone_mmseg.pth'}")


def run(backbone, decoder: str, profile: str, out, data_root=None, launcher: str = "none",
        cfg_options: dict | None = None) -> dict:
    from mmengine.runner import Runner
    from mmseg.utils import register_all_modules

    code_sha256(f"seg_{decoder}")  # the code this process runs, read now (cached): recorded in results.json at the end
    allow_mmengine_resume()
    register_all_modules()
    register_bf16_optim_wrapper()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cfg, meta = build_config(backbone, decoder, profile, out, data_root, launcher)
    if cfg_options:  # MMEngine's --cfg-options, as the mm* tools take them (e.g. train_cfg.max_iters=1000)
        cfg.merge_from_dict(cfg_options)
    precision = apply_precision(cfg, torch.device("cuda" if torch.cuda.is_available() else "cpu"))
    accum = apply_global_batch(cfg, launcher)  # the recipe's global batch on any process count
    join_process_group(cfg, launcher)
    convert_and_check(backbone, cfg, out)
    cfg.dump(str(out / "config.py"))

    runner = Runner.from_cfg(copy.deepcopy(cfg))
    runner.train()
    ss = runner.test()
    tta_cfg = copy.deepcopy(cfg)
    tta_cfg.test_dataloader.dataset.pipeline = tta_cfg.tta_pipeline
    tta_cfg.tta_model.module = tta_cfg.model
    tta_cfg.model = tta_cfg.tta_model
    tta_cfg.load_from = str(out / _latest(out))
    tta_cfg.resume = False
    tta_cfg.experiment_name = runner.experiment_name + "_tta"
    ms = Runner.from_cfg(tta_cfg).test()
    result = {"stage": f"seg_{decoder}", "alias": meta["alias"], "method": meta["method"], "seed": meta["seed"],
              "decoder": decoder, "dataset": DECODERS[decoder][1], "profile": profile, "aAcc": float(ss["aAcc"]),
              "mAcc": float(ss["mAcc"]), "mIoU": float(ss["mIoU"]), "mIoU_ms": float(ms["mIoU"]),
              "mAcc_ms": float(ms["mAcc"]), "iters": cfg.train_cfg.max_iters,
              "accumulative_counts": accum, "world_size": runner.world_size, "precision": precision,
              "crop": list(cfg.crop_size)}
    if runner.rank == 0:
        result = finish(out, result, backbone, cfg)
        log.info("segmentation %s: mAcc %.2f, mIoU %.2f, mIoU (MS+flip) %.2f", decoder, result["mAcc"],
                 result["mIoU"], result["mIoU_ms"])
    return result


def _latest(out: Path) -> str:
    return Path((out / "last_checkpoint").read_text().strip()).name


def main(argv=None):
    from mmengine.config import DictAction

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backbone", required=True)
    ap.add_argument("--decoder", required=True, choices=list(DECODERS),
                    help="linear | segmenter (Pascal Context) | upernet (ADE20K)")
    ap.add_argument("--profile", default="demo")
    ap.add_argument("--out", required=True)
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--launcher", default="none", choices=["none", "pytorch", "slurm"])
    ap.add_argument("--cfg-options", nargs="+", action=DictAction, default=None, metavar="KEY=VALUE",
                    help="override the MMEngine config, as the mm* tools' --cfg-options")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s transfer.seg] %(message)s", datefmt="%H:%M:%S")
    run(args.backbone, args.decoder, args.profile, args.out, args.data_root, args.launcher, args.cfg_options)


if __name__ == "__main__":
    main()
