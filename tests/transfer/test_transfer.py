"""Transfer: exact conversions into MMSegmentation / MMDetection backbones, and tiny end-to-end runs."""

import json
import math
import os

import numpy as np
import pytest
import torch
from PIL import Image

from pretrain.models import create_backbone
from transfer.convert import check_exact, mmdet_pvt_config, mmseg_vit_config, pvt_to_mmdet, vit_to_mmseg

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _meta(alias, timm_name, **model_kwargs):
    return {"alias": alias, "timm_name": timm_name, "model_kwargs": model_kwargs,
            "img_size": model_kwargs.get("img_size", 224), "patch_size": model_kwargs.get("patch_size", 16)}


@pytest.mark.parametrize("alias,name", [("deit_t", "deit_tiny_patch16_224"), ("deit_s", "deit_small_patch16_224")])
def test_deit_to_mmseg_is_exact(alias, name):
    from mmseg.registry import MODELS
    from mmseg.utils import register_all_modules

    register_all_modules()
    sd = create_backbone(alias).state_dict()
    conv = vit_to_mmseg(sd)
    vit = MODELS.build(mmseg_vit_config(_meta(alias, name), (224, 224)))
    check_exact(conv, vit, alias)
    assert len(conv) == len(sd) - 2  # only the classifier (weight, bias) is dropped
    vit.load_state_dict(conv, strict=True)
    torch.testing.assert_close(vit.state_dict()["layers.3.attn.attn.in_proj_weight"], sd["blocks.3.attn.qkv.weight"])
    conv.pop("layers.0.ln1.weight")
    with pytest.raises(KeyError, match="layers.0.ln1.weight"):
        check_exact(conv, vit, alias)


@pytest.mark.parametrize("alias,name", [("pvt_t", "pvt_tiny"), ("pvt_s", "pvt_small")])
def test_pvt_to_mmdet_is_exact(alias, name):
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules

    register_all_modules()
    sd = create_backbone(alias).state_dict()
    conv = pvt_to_mmdet(sd)
    pvt = MODELS.build(mmdet_pvt_config(_meta(alias, name)))
    check_exact(conv, pvt, alias)
    pvt.load_state_dict(conv, strict=True)
    q, kv = sd["block2.1.attn.q.weight"], sd["block2.1.attn.kv.weight"]
    torch.testing.assert_close(pvt.state_dict()["layers.1.1.2.attn.attn.in_proj_weight"], torch.cat([q, kv]))
    x = torch.randn(1, 3, 224, 224)
    outs = pvt.eval()(x)
    assert [tuple(o.shape[-2:]) for o in outs] == [(56, 56), (28, 28), (14, 14), (7, 7)]


@pytest.fixture(scope="module")
def tiny_backbones(tiny_data, tmp_path_factory):
    from pretrain.train import run

    root = tmp_path_factory.mktemp("tb")
    for alias in ("deit_t", "pvt_t"):
        run(os.path.join(REPO, f"configs/pretrain/{alias}.py"), "deit", 0, root / alias, "tiny",
            overrides={"data_root": str(tiny_data)})
    return root


def _most_frequent_class_miou(tiny_data):
    root = tiny_data / "pascal_context"
    counts = np.zeros(256)
    for s in (root / "ImageSets/SegmentationContext/val.txt").read_text().split():
        counts += np.bincount(np.asarray(Image.open(root / f"SegmentationClassContext/{s}.png")).ravel(), minlength=256)
    present = (counts > 0).sum()
    return 100 * counts.max() / counts.sum() / present


@pytest.mark.parametrize("decoder", ["linear", "segmenter"])
def test_seg_tiny_end_to_end(decoder, tiny_backbones, tiny_data, tmp_path):
    from transfer.seg import run

    out = tmp_path / decoder
    res = run(tiny_backbones / "deit_t/backbone.pth", decoder, "tiny", out, data_root=tiny_data)
    saved = json.loads((out / "results.json").read_text())
    assert saved == res
    for k in ("mAcc", "mIoU", "mIoU_ms"):
        assert 0 < res[k] <= 100, k
    assert res["mIoU"] > _most_frequent_class_miou(tiny_data)
    assert res["backbone_sha256"] == json.loads((tiny_backbones / "deit_t/backbone.json").read_text())["sha256"]
    assert (out / "config.py").exists() and (out / "backbone_mmseg.pth").exists()


def test_det_tiny_end_to_end(tiny_backbones, tiny_data, tmp_path):
    from transfer.det import run

    out = tmp_path / "det"
    res = run(tiny_backbones / "pvt_t/backbone.pth", "tiny", out, data_root=tiny_data)
    for kind in ("box", "mask"):
        for k in ("AP", "AP50", "AP75", "AP_s", "AP_m", "AP_l"):
            v = res[f"{kind}_{k}"]
            assert math.isnan(v) or 0 <= v <= 100, (kind, k, v)
        assert 0 <= res[f"{kind}_AP"] <= 100
    assert json.loads((out / "results.json").read_text())["box_AP"] == res["box_AP"]
    assert "PyramidVisionTransformer" in (out / "config.py").read_text()


def test_wrong_family_is_refused(tiny_backbones, tmp_path):
    from transfer.det import run as det
    from transfer.seg import run as seg

    with pytest.raises(ValueError, match="PVT"):
        det(tiny_backbones / "deit_t/backbone.pth", "tiny", tmp_path / "d")
    with pytest.raises(ValueError, match="DeiT"):
        seg(tiny_backbones / "pvt_t/backbone.pth", "linear", "tiny", tmp_path / "s")


def test_paper_configs_build(tiny_data, tmp_path):
    """The paper protocols resolve with an injected backbone and their models build (no training)."""
    from mmdet.registry import MODELS as DET
    from mmdet.utils import register_all_modules as det_modules
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS as SEG
    from mmseg.utils import register_all_modules as seg_modules

    from transfer.det import build_config as det_config
    from transfer.seg import build_config as seg_config

    for alias, name, pth in (("deit_s", "deit_small_patch16_224", "deit"), ("pvt_s", "pvt_small", "pvt")):
        d = tmp_path / pth
        d.mkdir()
        torch.save(create_backbone(alias).state_dict(), d / "backbone.pth")
        (d / "backbone.json").write_text(json.dumps({**_meta(alias, name), "mean": [0.485, 0.456, 0.406],
                                                      "std": [0.229, 0.224, 0.225], "method": "deit", "seed": 0}))
    for dec in ("linear", "segmenter"):
        cfg, _ = seg_config(tmp_path / "deit/backbone.pth", dec, "paper", tmp_path / "s", data_root=tiny_data)
        assert cfg.train_cfg.max_iters == 80000 and tuple(cfg.crop_size) == (480, 480)
        assert cfg.model.test_cfg.stride == (320, 320) and cfg.optim_wrapper.optimizer.lr == 1e-3
        seg_modules(init_default_scope=False)
        with DefaultScope.overwrite_default_scope("mmseg"):
            SEG.build(cfg.model)
    cfg, _ = det_config(tmp_path / "pvt/backbone.pth", "paper", tmp_path / "d", data_root=tiny_data)
    assert cfg.train_cfg.max_epochs == 12 and cfg.optim_wrapper.optimizer.type == "AdamW"
    assert cfg.model.backbone.num_layers == [3, 4, 6, 3]
    det_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope("mmdet"):
        DET.build(cfg.model)


def test_bf16_optim_wrapper():
    """The demo's BF16OptimWrapper: forward under bf16 autocast, fp32 weights updated by the wrapped optimizer."""
    from mmengine.optim import build_optim_wrapper

    from transfer.common import register_bf16_optim_wrapper

    register_bf16_optim_wrapper()
    register_bf16_optim_wrapper()  # idempotent
    torch.manual_seed(0)
    net = torch.nn.Linear(4, 2)
    w0 = net.weight.detach().clone()
    ow = build_optim_wrapper(net, dict(type="BF16OptimWrapper", optimizer=dict(type="SGD", lr=0.5)))
    x = torch.randn(3, 4)
    with ow.optim_context(net):
        y = net(x)
    assert y.dtype == torch.bfloat16
    loss = y.float().sum()
    ow.update_params(loss)
    assert net.weight.dtype == torch.float32
    # d(sum y)/dW = sum over the batch of x (per output row), in bf16 precision
    torch.testing.assert_close(net.weight.detach(), w0 - 0.5 * x.sum(0).expand(2, 4), atol=0.05, rtol=0)
    assert net(x).dtype == torch.float32  # autocast only inside the context


@pytest.mark.parametrize("fast", [True, False])
def test_precision_auto_keeps_bf16_only_where_fast(fast, monkeypatch):
    """The demo's ``precision = "auto"``: bf16 training and test autocast where bf16 is fast, plain fp32 elsewhere;
    the paper profile (no key) runs as written; pretraining's ``auto`` follows the same rule."""
    import pretrain.train as train
    from transfer.common import apply_precision, load_profile_config

    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: fast)
    cpu = torch.device("cpu")
    assert train.bf16_is_fast(cpu) is fast and train.bf16_is_fast(torch.device("cuda"))
    assert train.resolve_precision("auto", cpu) == ("bf16" if fast else "fp32")
    cfg = load_profile_config("seg", "demo")[0]
    assert apply_precision(cfg, cpu) == ("bf16" if fast else "fp32")
    assert cfg.optim_wrapper.type == ("BF16OptimWrapper" if fast else "OptimWrapper")
    assert cfg.test_cfg.fp16 is fast
    cfg = load_profile_config("seg", "demo")[0]
    cfg.precision = "bf16"
    assert apply_precision(cfg, cpu) == "bf16" and cfg.test_cfg.fp16 is True
    paper = load_profile_config("seg", "paper")[0]
    assert apply_precision(paper, cpu) == "fp32" and paper.optim_wrapper.type == "OptimWrapper"
    cfg.precision = "fp16"
    with pytest.raises(ValueError, match="precision"):
        apply_precision(cfg, cpu)


@pytest.mark.parametrize("task,world,acc", [("seg", 8, 1), ("seg", 1, 8), ("seg", 2, 4), ("det", 4, 2),
                                            ("seg", 3, None)])
def test_paper_global_batch_on_any_process_count(task, world, acc, monkeypatch):
    """Global batch 16 = per-process 2 x processes x accumulation; iteration counts stretch with the accumulation
    so the optimizer steps and the schedule stay the recipe's (80k for segmentation, warm-up 500 for detection)."""
    from transfer.common import apply_global_batch, load_profile_config

    monkeypatch.setenv("WORLD_SIZE", str(world))
    cfg, _ = load_profile_config(task, "paper")
    if acc is None:
        with pytest.raises(ValueError, match="global batch 16 is not per-process batch 2 x 3 process"):
            apply_global_batch(cfg, "pytorch")
        return
    assert apply_global_batch(cfg, "pytorch") == acc
    assert cfg.optim_wrapper.get("accumulative_counts", 1) == acc
    if task == "seg":
        assert cfg.train_cfg.max_iters // acc == 80000 and cfg.param_scheduler[0].end // acc == 80000
    else:
        assert cfg.train_cfg.max_epochs == 12 and cfg.param_scheduler[0].end == 500 * acc
    assert apply_global_batch(load_profile_config(task, "paper")[0], "none") == 8  # one process: 2 x 1 x 8
    for profile in ("demo", "tiny"):  # the short schedules keep their own batch on each process
        small, _ = load_profile_config(task, profile)
        iters = small.train_cfg.get("max_iters")
        assert apply_global_batch(small, "pytorch") == 1 and small.train_cfg.get("max_iters") == iters


def test_seg_on_two_slurm_tasks(tiny_backbones, tiny_data, tmp_path):
    """``--launcher slurm`` under srun (a stand-in that starts the tasks with srun's variables) on CPU: MMEngine's
    slurm launcher would call ``torch.cuda.set_device``; the transfer joins the gloo group itself and trains on 2."""
    import subprocess
    import sys

    from tests.helpers import free_port

    port = free_port()
    out = tmp_path / "seg"
    cmd = [sys.executable, os.path.join(REPO, "tests/tools/fake_srun.py"), "--ntasks=2", "--job-name=seg",
           sys.executable, "-u", "-m", "transfer.seg", "--backbone", str(tiny_backbones / "deit_t/backbone.pth"),
           "--decoder", "linear", "--profile", "tiny", "--out", str(out), "--data-root", str(tiny_data),
           "--launcher", "slurm", "--cfg-options", "train_cfg.max_iters=4", "param_scheduler.0.end=4"]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "OMP_NUM_THREADS": "1", "MASTER_PORT": port})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    res = json.loads((out / "results.json").read_text())
    assert res["world_size"] == 2 and res["iters"] == 4 and 0 < res["mIoU"] <= 100


@pytest.mark.parametrize("task", ["seg", "det"])
def test_paper_transfer_config_trains_one_iteration_at_its_crop(task, tiny_data, tmp_path):
    """The paper protocols at their real geometry on CPU: one training iteration of the Linear decoder on DeiT-S/16
    at the 480 crop, and of Mask R-CNN on PVT-S at 1333x800, from an imported (released-layout) backbone."""
    import math as _math

    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner

    from pretrain.import_weights import import_weights

    alias = "deit_s" if task == "seg" else "pvt_s"
    torch.manual_seed(0)
    torch.save({"model": create_backbone(alias).state_dict()}, tmp_path / "release.pth")
    import_weights(tmp_path / "release.pth", alias, tmp_path / "h")
    bb, out = tmp_path / "h/backbone.pth", tmp_path / "out"
    out.mkdir()
    if task == "seg":
        from mmseg.utils import register_all_modules

        from transfer.seg import build_config, convert_and_check

        cfg, _ = build_config(bb, "linear", "paper", out, data_root=tiny_data)
    else:
        from mmdet.utils import register_all_modules

        from transfer.det import build_config, convert_and_check

        cfg, _ = build_config(bb, "paper", out, data_root=tiny_data)
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        convert_and_check(bb, cfg, out)
        cfg.train_dataloader.num_workers = 0
        runner = Runner.from_cfg(cfg)
        runner.model.init_weights()
        data = next(iter(runner.build_dataloader(cfg.train_dataloader)))
        if task == "det":  # Resize to 1333x800 keeping the aspect ratio: one side reaches its bound
            sizes = {tuple(x.shape[-2:]) for x in data["inputs"]}
            assert all(max(s) <= 1333 and min(s) <= 800 and (max(s) == 1333 or min(s) == 800) for s in sizes), sizes
        else:  # random crop of 480 (of the scaled image), padded to 480 by the data preprocessor as in training
            assert runner.model.data_preprocessor(data, True)["inputs"].shape[-2:] == (480, 480)
        losses = runner.model.train_step(data, runner.build_optim_wrapper(cfg.optim_wrapper))
    total = sum(float(v) for k, v in losses.items() if "loss" in k)
    assert _math.isfinite(total) and total > 0


def test_upernet_on_deit_levels_pyramid_and_exact_encoder(tiny_backbones, tiny_data, tmp_path):
    """--decoder upernet: blocks 3/6/9/12 of the converted encoder without its final norm, MultiLevelNeck's x4 / x2 /
    x1 / x0.5 pyramid of the encoder width, BN heads without CUDA; the encoder loads exactly; a non-square image
    gives every level its own non-square grid."""
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS
    from mmseg.utils import register_all_modules

    from transfer.seg import build_config, convert_and_check, feature_levels

    assert feature_levels(12) == (2, 5, 8, 11) and feature_levels(24) == (5, 11, 17, 23)
    register_all_modules(init_default_scope=False)
    bb = tiny_backbones / "deit_t/backbone.pth"
    cfg, meta = build_config(bb, "upernet", "tiny", tmp_path, data_root=tiny_data)
    D = cfg.model.backbone.embed_dims
    assert cfg.model.backbone.out_indices == (2, 5, 8, 11) and cfg.model.backbone.final_norm is False
    assert cfg.model.neck.in_channels == [D] * 4 and cfg.model.neck.out_channels == D
    assert cfg.model.decode_head.in_channels == [D] * 4 and cfg.model.auxiliary_head.in_channels == D
    assert cfg.model.decode_head.norm_cfg.type == "BN" and cfg.model.auxiliary_head.norm_cfg.type == "BN"
    assert cfg.train_dataloader.dataset.type == "ADE20KDataset"
    convert_and_check(bb, cfg, tmp_path)  # exact, the encoder's last norm left out
    with DefaultScope.overwrite_default_scope("mmseg"):
        model = MODELS.build(cfg.model)
    model.backbone.init_weights()
    p = meta["patch_size"]
    x = torch.randn(1, 3, 4 * p, 6 * p)
    model.eval()  # (mmseg's VisionTransformer.train() returns None: no chaining)
    with torch.no_grad():
        feats = model.backbone(x)
        pyramid = model.neck(feats)
    assert [tuple(f.shape) for f in feats] == [(1, D, 4, 6)] * 4
    assert [tuple(f.shape[-2:]) for f in pyramid] == [(16, 24), (8, 12), (4, 6), (2, 3)]


def test_upernet_tiny_end_to_end(tiny_backbones, tiny_data, tmp_path):
    from transfer.seg import run

    out = tmp_path / "upernet"
    res = run(tiny_backbones / "deit_t/backbone.pth", "upernet", "tiny", out, data_root=tiny_data)
    assert res == json.loads((out / "results.json").read_text())
    assert res["stage"] == "seg_upernet" and res["dataset"] == "ade20k"
    for k in ("mAcc", "mIoU", "mIoU_ms", "mAcc_ms"):
        assert 0 < res[k] <= 100, k
    assert "MultiLevelNeck" in (out / "config.py").read_text()


def test_ade20k_paper_recipe(tiny_data, tmp_path):
    """MMSegmentation's DeiT-S + UperNet ADE20K recipe, with a DeiT-S encoder injected: 160k iterations at batch 16,
    512 crops, whole-image test, AdamW 6e-5, warm-up then poly(1.0); the model builds."""
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS
    from mmseg.utils import register_all_modules

    from transfer.common import apply_global_batch
    from transfer.seg import build_config

    d = tmp_path / "deit"
    d.mkdir()
    torch.save(create_backbone("deit_s").state_dict(), d / "backbone.pth")
    (d / "backbone.json").write_text(json.dumps({**_meta("deit_s", "deit_small_patch16_224"), "method": "deit",
                                                 "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
                                                 "seed": 0}))
    cfg, _ = build_config(d / "backbone.pth", "upernet", "paper", tmp_path / "u", data_root=tiny_data)
    assert cfg.train_cfg.max_iters == 160000 and tuple(cfg.crop_size) == (512, 512)
    assert cfg.model.test_cfg.mode == "whole" and cfg.model.neck.out_channels == 384
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.weight_decay) == ("AdamW", 6e-5, 0.01)
    assert [s.type for s in cfg.param_scheduler] == ["LinearLR", "PolyLR"] and cfg.param_scheduler[1].power == 1.0
    assert cfg.model.decode_head.channels == 512 and cfg.model.auxiliary_head.loss_decode.loss_weight == 0.4
    assert apply_global_batch(cfg, "none") == 8 and cfg.param_scheduler[0].end == 1500 * 8
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope("mmseg"):
        MODELS.build(cfg.model)


def test_no_detections_score_as_pycocotools_scores_detections_that_find_nothing(tmp_path):
    """mmdet's CocoMetric returns no number when no image has a detection above score_thr (the demo's short Mask
    R-CNN schedule on a weak backbone): the suite records what pycocotools gives detections that match nothing,
    AP 0 where there is ground truth and -1 (NaN in results.json) for a size range without any."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    from transfer.det import METRICS, no_detection_metrics

    images = [{"id": i, "width": 200, "height": 200, "file_name": f"{i}.jpg"} for i in (1, 2)]
    boxes = {1: [10, 10, 20, 20], 2: [50, 50, 60, 40]}  # a small and a medium object, no large one
    anns = [{"id": i, "image_id": i, "category_id": 1, "bbox": b, "area": b[2] * b[3], "iscrowd": 0,
             "segmentation": [[b[0], b[1], b[0] + b[2], b[1], b[0] + b[2], b[1] + b[3], b[0], b[1] + b[3]]]}
            for i, b in boxes.items()]
    anns.append({"id": 3, "image_id": 2, "category_id": 1, "bbox": [0, 0, 150, 150], "area": 150 * 150, "iscrowd": 1,
                 "segmentation": [[0, 0, 150, 0, 150, 150, 0, 150]]})  # a crowd region is not ground truth to find
    ann_file = tmp_path / "instances_val.json"
    ann_file.write_text(json.dumps({"images": images, "annotations": anns,
                                    "categories": [{"id": 1, "name": "shape"}, {"id": 2, "name": "other"}]}))
    gt = COCO(str(ann_file))
    miss = gt.loadRes([{"image_id": 1, "category_id": 1, "bbox": [150, 150, 30, 30], "score": 0.9}])
    ev = COCOeval(gt, miss, "bbox")
    ev.evaluate(), ev.accumulate(), ev.summarize()
    ours = no_detection_metrics(ann_file)
    for prefix in METRICS.values():
        got = [ours[f"{prefix}mAP{k}"] for k in ("", "_50", "_75", "_s", "_m", "_l")]
        assert got == [0.0, 0.0, 0.0, 0.0, 0.0, -1.0]
        assert got == [round(float(v), 6) for v in ev.stats[:6]], (got, ev.stats[:6])
