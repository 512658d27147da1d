"""Detection and instance segmentation transfer with MMDetection: Mask R-CNN + FPN with a pretrained PVT v1 loaded
into mmdet's own ``PyramidVisionTransformer`` through its ``pvt_convert``, trained and evaluated by MMEngine's Runner.

    python -m transfer.det --backbone <run>/pretrain/backbone.pth --profile paper|demo|tiny \
        --out <run>/transfer/det_maskrcnn [--launcher pytorch]

Writes ``backbone_mmdet.pth`` (converted, exact-checked), ``config.py`` (merged), MMEngine's logs and checkpoints, and
``results.json``: box AP / AP50 / AP75 / APs / APm / APl and the same for masks (``CocoMetric``, pycocotools), with
the sha256 of the backbone. An interrupted run resumes from its last checkpoint when started again.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
from pathlib import Path

import torch

from configs.datasets import dataset_root
from pretrain.checkpoint import code_sha256

from .common import (
    allow_mmengine_resume,
    apply_global_batch,
    finish,
    join_process_group,
    last_checkpoint,
    load_profile_config,
    read_meta,
)
from .convert import DROPPED_BY_PVT_CONVERT, check_exact, mmdet_pvt_config, pvt_to_mmdet

log = logging.getLogger("transfer.det")


def build_config(backbone, profile: str, out: Path, data_root=None, launcher: str = "none"):
    meta = read_meta(backbone)
    if meta["timm_name"].split("_")[0] != "pvt":
        raise ValueError(f"{meta['alias']}: the detection transfer takes PVT v1 backbones (pvt_t/s/m/l)")
    cfg, path = load_profile_config("det", profile)
    bb = mmdet_pvt_config(meta)
    bb["init_cfg"] = dict(type="Pretrained", checkpoint=str(out / "backbone_mmdet.pth"))
    cfg.model.backbone = bb
    cfg.model.neck.in_channels = [64, 128, 320, 512]
    cfg.model.data_preprocessor.update(mean=[255 * m for m in meta["mean"]], std=[255 * s for s in meta["std"]])
    root = dataset_root("coco", data_root)
    ann = json.loads((root / "annotations/instances_val2017.json").read_text())
    names = tuple(c["name"] for c in sorted(ann["categories"], key=lambda c: c["id"]))
    if len(names) != 80:  # the synthetic data (or any other category set): use its own classes
        cfg.metainfo = dict(classes=names)
        cfg.model.roi_head.bbox_head.num_classes = len(names)
        cfg.model.roi_head.mask_head.num_classes = len(names)
    for dl in ("train_dataloader", "val_dataloader", "test_dataloader"):
        cfg[dl].dataset.data_root = str(root)
        if cfg.get("metainfo"):
            cfg[dl].dataset.metainfo = cfg.metainfo
    for ev in ("val_evaluator", "test_evaluator"):
        cfg[ev].ann_file = str(root / "annotations/instances_val2017.json")
    cfg.work_dir = str(out)
    cfg.launcher = launcher
    if launcher == "none" or not torch.cuda.is_available():
        cfg.env_cfg.dist_cfg = dict(backend="gloo")
    cfg.resume = last_checkpoint(out)
    return cfg, meta


def convert_and_check(backbone, cfg, out: Path) -> None:
    """Convert with ``pvt_convert``, check every parameter of mmdet's PVT is covered and nothing else is (besides
    the classification-only parts the converter drops), then load it as the Runner will and compare tensors."""
    from mmdet.registry import MODELS

    from pretrain.checkpoint import atomic_torch_save, read_handoff

    sd, _ = read_handoff(backbone)
    conv = pvt_to_mmdet(sd)
    pvt = MODELS.build(copy.deepcopy(cfg.model.backbone))
    check_exact(conv, pvt, f"{backbone} -> mmdet PyramidVisionTransformer")
    dropped = [k for k in sd if k.startswith(DROPPED_BY_PVT_CONVERT)]
    if len(dropped) != 5:  # head.weight, head.bias, norm.weight, norm.bias, cls_token
        raise KeyError(f"unexpected keys dropped by pvt_convert: {dropped}")
    atomic_torch_save(dict(conv), out / "backbone_mmdet.pth")
    pvt.init_weights()
    got = pvt.state_dict()
    for k, v in conv.items():
        if not torch.equal(got[k], v):
            raise RuntimeError(f"mmdet did not load {k} from {out / 'backbone_mmdet.pth'}")


METRICS = {"box": "coco/bbox_", "mask": "coco/segm_"}
COCO_AREAS = {"s": (0, 32 ** 2), "m": (32 ** 2, 96 ** 2), "l": (96 ** 2, 1e10)}  # pycocotools' areaRng (area in px)


def no_detection_metrics(ann_file) -> dict:
    """The COCO metrics when no image has a detection above ``score_thr``: mmdet's ``CocoMetric`` then logs "The
    testing results of the whole dataset is empty" and returns no number (pycocotools' ``loadRes`` cannot take an
    empty list), but pycocotools' value for detections that find nothing is AP 0, and -1 for a size range without
    ground truth. Keyed as ``CocoMetric``'s results, so the caller reads them the same way."""
    anns = [a for a in json.loads(Path(ann_file).read_text())["annotations"] if not a.get("iscrowd", 0)]
    m = {}
    for prefix in METRICS.values():
        for key, (lo, hi) in {"": (0, 1e10), "_50": (0, 1e10), "_75": (0, 1e10),
                              **{f"_{size}": rng for size, rng in COCO_AREAS.items()}}.items():
            m[f"{prefix}mAP{key}"] = 0.0 if any(lo <= a["area"] <= hi for a in anns) else -1.0
    return m


def run(backbone, profile: str, out, data_root=None, launcher: str = "none", cfg_options: dict | None = None) -> dict:
    from mmdet.utils import register_all_modules
    from mmengine.runner import Runner

    code_sha256("det_maskrcnn")  # the code this process runs, read now (cached): recorded in results.json at the end
    allow_mmengine_resume()
    register_all_modules()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cfg, meta = build_config(backbone, profile, out, data_root, launcher)
    if cfg_options:  # MMEngine's --cfg-options, as the mm* tools take them (e.g. train_cfg.max_iters=1000)
        cfg.merge_from_dict(cfg_options)
    accum = apply_global_batch(cfg, launcher)  # the recipe's global batch on any process count
    join_process_group(cfg, launcher)
    convert_and_check(backbone, cfg, out)
    cfg.dump(str(out / "config.py"))
    runner = Runner.from_cfg(copy.deepcopy(cfg))
    runner.train()
    m = runner.test()
    empty = not any(k.startswith(tuple(METRICS.values())) for k in m)
    if empty:
        m = no_detection_metrics(cfg.test_evaluator.ann_file)
        log.warning("no detection scored above score_thr=%s on any test image: AP 0 (pycocotools' value for "
                    "detections that find nothing)", cfg.model.test_cfg.rcnn.score_thr)
    result = {"stage": "det_maskrcnn", "alias": meta["alias"], "method": meta["method"], "seed": meta["seed"],
              "profile": profile, "epochs": cfg.train_cfg.max_epochs, "accumulative_counts": accum,
              "world_size": runner.world_size, "no_detections": empty}
    for kind, prefix in METRICS.items():
        for k in ("mAP", "mAP_50", "mAP_75", "mAP_s", "mAP_m", "mAP_l"):
            v = float(m.get(prefix + k, float("nan")))  # pycocotools' -1: no object of that size
            key = f"{kind}_{k.replace('mAP', 'AP').replace('_50', '50').replace('_75', '75')}"
            result[key] = 100 * v if v >= 0 else float("nan")
    if runner.rank == 0:
        result = finish(out, result, backbone, cfg)
        log.info("Mask R-CNN: box AP %.1f, mask AP %.1f", result["box_AP"], result["mask_AP"])
    return result


def main(argv=None):
    from mmengine.config import DictAction

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backbone", required=True)
    ap.add_argument("--profile", default="demo")
    ap.add_argument("--out", required=True)
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--launcher", default="none", choices=["none", "pytorch", "slurm"])
    ap.add_argument("--cfg-options", nargs="+", action=DictAction, default=None, metavar="KEY=VALUE",
                    help="override the MMEngine config, as the mm* tools' --cfg-options")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s transfer.det] %(message)s", datefmt="%H:%M:%S")
    run(args.backbone, args.profile, args.out, args.data_root, args.launcher, args.cfg_options)


if __name__ == "__main__":
    main()
