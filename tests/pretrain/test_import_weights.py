"""Released checkpoints become hand-offs bit-exactly: each release layout is built here from the model definitions (no
downloads) in the container its repository's save code writes, imported, and refused where it does not fit."""

import argparse
import json
import sys
import types

import pytest
import torch

from pretrain import import_weights as W
from pretrain.checkpoint import load_backbone, read_handoff
from pretrain.models import create_backbone


def _sd(alias, seed=0, **kw):
    torch.manual_seed(seed)
    return {k: v.clone() for k, v in create_backbone(alias, **kw).state_dict().items()}


@pytest.fixture(scope="module")
def deit_t():
    return _sd("deit_t")


def _same(a: dict, b: dict) -> bool:
    return set(a) == set(b) and all(a[k].dtype == b[k].dtype and torch.equal(a[k], b[k]) for k in a)


def _import(tmp_path, obj, alias, name="release.pth", **kw):
    path = tmp_path / name
    torch.save(obj, path)
    meta = W.import_weights(path, alias, tmp_path / "handoff", **kw)
    return meta, torch.load(tmp_path / "handoff" / "backbone.pth", weights_only=True)


def test_facebookresearch_deit_container(tmp_path, deit_t):
    # deit main.py: {'model', 'optimizer', 'lr_scheduler', 'epoch', 'model_ema', 'scaler', 'args'}
    ck = {"model": deit_t, "optimizer": {"state": {}}, "epoch": 299, "model_ema": {k: v + 1 for k, v in deit_t.items()},
          "args": argparse.Namespace(model="deit_tiny_patch16_224", lr=5e-4)}
    meta, got = _import(tmp_path, ck, "deit_t", label="deit-official", seed=0)
    assert _same(got, deit_t)  # 'model', not the EMA copy
    assert meta["method"] == "external:deit-official" and meta["source_entry"] == "model"
    assert meta["source_sha256"] == W.sha256_file(tmp_path / "release.pth")
    assert meta["num_classes"] == 1000 and meta["img_size"] == 224 and meta["patch_size"] == 16
    model, m2 = load_backbone(tmp_path / "handoff" / "backbone.pth")
    assert m2["external"] and _same({k: v for k, v in model.state_dict().items()}, deit_t)
    res = json.loads((tmp_path / "handoff" / "results.json").read_text())
    assert res["stage"] == "import" and res["external"] and res["top1"] is None


def test_timm_train_checkpoint_and_key_choice(tmp_path, deit_t):
    # timm train.py (TransMix's trainer): {'state_dict', 'state_dict_ema', 'args', 'metric', ...}, DDP prefix on some
    ema = {k: v * 0.5 for k, v in deit_t.items()}
    ck = {"epoch": 299, "arch": "deit_tiny_patch16_224", "state_dict": {f"module.{k}": v for k, v in deit_t.items()},
          "state_dict_ema": ema, "version": 2, "metric": 72.6, "args": argparse.Namespace(a=1)}
    meta, got = _import(tmp_path, ck, "deit_t")
    assert _same(got, deit_t) and meta["stripped_prefixes"] == ["module."] and meta["source_entry"] == "state_dict"
    meta, got = _import(tmp_path, ck, "deit_t", key="state_dict_ema")
    assert _same(got, ema)


def test_timm_hub_safetensors_and_bin(tmp_path, deit_t):
    from safetensors.torch import save_file

    save_file(deit_t, tmp_path / "model.safetensors")
    W.import_weights(tmp_path / "model.safetensors", "deit_t", tmp_path / "h1")
    assert _same(torch.load(tmp_path / "h1" / "backbone.pth", weights_only=True), deit_t)
    half = {k: v.half() for k, v in deit_t.items()}  # dtype kept, bit-exact
    _, got = _import(tmp_path, half, "deit_t", name="pytorch_model.bin")
    assert _same(got, half)


def test_dino_teacher_and_backbone_only(tmp_path):
    # facebookresearch/dino main_dino.py: teacher = backbone.* (ViT, head Identity) + DINO head.*; student under DDP
    torch.manual_seed(0)
    bb = _sd("deit_s", num_classes=0)
    head = {"head.mlp.0.weight": torch.randn(8, 384), "head.last_layer.weight_g": torch.ones(10, 1)}
    ck = {"teacher": {**{f"backbone.{k}": v for k, v in bb.items()}, **head},
          "student": {f"module.backbone.{k}": v + 1 for k, v in bb.items()}, "epoch": 100,
          "args": argparse.Namespace(arch="vit_small")}
    meta, got = _import(tmp_path, ck, "deit_s")
    assert _same(got, bb) and meta["num_classes"] == 0 and meta["dropped_keys"] == sorted(head)
    meta, got = _import(tmp_path, ck, "deit_s", key="student")
    assert meta["stripped_prefixes"] == ["module.", "backbone."] and torch.equal(got["cls_token"], bb["cls_token"] + 1)
    # the released backbone-only file is a bare state dict; as a saliency provider its alias is found from its keys
    torch.save(bb, tmp_path / "dino_deitsmall16_pretrain.pth")
    model, m = W.load_model(tmp_path / "dino_deitsmall16_pretrain.pth")
    assert m["alias"] == "deit_s" and m["num_classes"] == 0 and _same(model.state_dict(), bb)


def test_mixpro_deit14_with_pickled_config(tmp_path):
    # fistyee/MixPro utils.py save_checkpoint: {'model', ..., 'config': yacs CfgNode}; models/vit.py adds mask_token
    # and head1, which no forward uses
    sd = _sd("deit_t14")
    mod = types.ModuleType("yacs_stand_in_test")
    cfg_cls = type("CfgNode", (dict,), {"__module__": "yacs_stand_in_test"})
    mod.CfgNode = cfg_cls
    sys.modules["yacs_stand_in_test"] = mod
    try:
        cfg = cfg_cls(MODEL=cfg_cls(NAME="deit_tiny_patch14_mask56_224_alpha1"))
        torch.save({"model": {**sd, "mask_token": torch.zeros(1, 1, 192), "head1.weight": torch.zeros(1000, 192),
                              "head1.bias": torch.zeros(1000)}, "config": cfg, "epoch": 299, "max_accuracy": 73.8},
                   tmp_path / "mixpro.pth")
    finally:
        del sys.modules["yacs_stand_in_test"]  # the class cannot be imported when the file is read
    meta = W.import_weights(tmp_path / "mixpro.pth", "deit_t14", tmp_path / "h", label="mixpro")
    assert meta["dropped_keys"] == ["head1.bias", "head1.weight", "mask_token"] and meta["patch_size"] == 14
    assert _same(torch.load(tmp_path / "h" / "backbone.pth", weights_only=True), sd)


def test_tokenmix_thop_buffers_and_pvt_release(tmp_path):
    # Sense-X/TokenMix main.py: {'model', 'state_dict_ema', ...}, thop buffers stripped on resume
    sd = _sd("deit_t")
    thop = {"total_ops": torch.zeros(1), "blocks.0.total_params": torch.zeros(1)}
    meta, got = _import(tmp_path, {"model": {**sd, **thop}, "state_dict_ema": sd, "epoch": 1}, "deit_t")
    assert _same(got, sd) and meta["dropped_keys"] == ["blocks.0.total_params", "total_ops"]
    # whai362/PVT classification/main.py: {'model', 'optimizer', 'lr_scheduler', 'epoch', 'args'}; pos_embed4 has the
    # class token's entry (50 at 224)
    pvt = _sd("pvt_t")
    assert pvt["pos_embed4"].shape == (1, 50, 512)
    meta, got = _import(tmp_path, {"model": pvt, "epoch": 299, "args": argparse.Namespace()}, "pvt_t")
    assert _same(got, pvt) and meta["patch_size"] == 32


def test_wrong_files_are_refused_naming_what_differs(tmp_path, deit_t):
    torch.save({"model": deit_t}, tmp_path / "deit_t.pth")
    with pytest.raises(W.WeightsFileError, match=r"does not match deit_s .*mis-shaped \['cls_token"):
        W.import_weights(tmp_path / "deit_t.pth", "deit_s", tmp_path / "x")
    with pytest.raises(W.WeightsFileError, match="holds a deit model, not pvt_s"):
        W.import_weights(tmp_path / "deit_t.pth", "pvt_s", tmp_path / "x")
    with pytest.raises(W.WeightsFileError, match="patch size 16 .the alias has 14"):
        W.import_weights(tmp_path / "deit_t.pth", "deit_t14", tmp_path / "x")
    with pytest.raises(W.WeightsFileError, match="1000-class head, not 10"):
        W.import_weights(tmp_path / "deit_t.pth", "deit_t", tmp_path / "x", num_classes=10)
    big = _sd("deit_t", img_size=384)
    torch.save(big, tmp_path / "deit_t_384.pth")
    with pytest.raises(W.WeightsFileError, match="image size 384 px"):
        W.import_weights(tmp_path / "deit_t_384.pth", "deit_t", tmp_path / "x")
    torch.save({"model": {**deit_t, "blocks.0.extra.weight": torch.zeros(1)}}, tmp_path / "extra.pth")
    with pytest.raises(W.WeightsFileError, match=r"unexpected \['blocks.0.extra.weight'\]"):
        W.import_weights(tmp_path / "extra.pth", "deit_t", tmp_path / "x")
    dist = {**deit_t, "dist_token": torch.zeros(1, 1, 192), "pos_embed": torch.zeros(1, 198, 192)}
    torch.save(dist, tmp_path / "distilled.pth")
    with pytest.raises(W.WeightsFileError, match="distilled"):
        W.import_weights(tmp_path / "distilled.pth", "deit_t", tmp_path / "x")
    torch.save({"optimizer": {}, "epoch": 3}, tmp_path / "no_model.pth")
    with pytest.raises(W.WeightsFileError, match="found no state dict.*--key"):
        W.import_weights(tmp_path / "no_model.pth", "deit_t", tmp_path / "x")
    assert not (tmp_path / "x").exists()  # nothing half-written


def test_truncated_or_changed_files_are_named(tmp_path, deit_t):
    torch.save({"model": deit_t}, tmp_path / "r.pth")
    data = (tmp_path / "r.pth").read_bytes()
    (tmp_path / "cut.pth").write_bytes(data[: len(data) // 3])
    with pytest.raises(W.WeightsFileError, match=r"cut.pth \(\d+ bytes\) is not a readable checkpoint"):
        W.import_weights(tmp_path / "cut.pth", "deit_t", tmp_path / "x")
    (tmp_path / "cut.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{")
    with pytest.raises(W.WeightsFileError, match="cut.safetensors"):
        W.import_weights(tmp_path / "cut.safetensors", "deit_t", tmp_path / "x")
    # a hand-off changed or truncated after it was written: every stage's loader names it before reading it
    W.import_weights(tmp_path / "r.pth", "deit_t", tmp_path / "h")
    bb = tmp_path / "h" / "backbone.pth"
    bb.write_bytes(bb.read_bytes()[:-100])
    with pytest.raises(ValueError, match=r"backbone.pth .* is not the file .*backbone.json describes"):
        read_handoff(bb)
    with pytest.raises(ValueError, match="truncated or changed"):
        load_backbone(bb)


def test_cli_refuses_with_a_one_line_message(tmp_path, deit_t, capsys):
    torch.save(deit_t, tmp_path / "w.pth")
    with pytest.raises(SystemExit, match="import_weights: .*does not match deit_s"):
        W.main(["--model", "deit_s", "--weights", str(tmp_path / "w.pth"), "--out", str(tmp_path / "o")])
    W.main(["--model", "deit_t", "--weights", str(tmp_path / "w.pth"), "--out", str(tmp_path / "o")])
    assert json.loads(capsys.readouterr().out)["method"] == "external:w"


@pytest.mark.parametrize("alias,to", [("deit_t14", "mmseg"), ("pvt_t", "mmdet")])
def test_imported_releases_convert_exactly_for_mmseg_and_mmdet(tmp_path, alias, to):
    """DeiT/14 (MixPro's) into mmseg's VisionTransformer, PVT (whai362's) into mmdet's PyramidVisionTransformer:
    every parameter covered, nothing left over, and the library's own init_weights loads each tensor unchanged."""
    from transfer.convert import convert, mmdet_pvt_config, mmseg_vit_config

    sd = _sd(alias, seed=4)
    torch.save({"model": sd}, tmp_path / "release.pth")
    meta = W.import_weights(tmp_path / "release.pth", alias, tmp_path / "h")
    out = convert(tmp_path / "h" / "backbone.pth", to, tmp_path / f"{to}.pth")
    conv = torch.load(out, weights_only=True)
    if to == "mmseg":
        from mmseg.registry import MODELS
        from mmseg.utils import register_all_modules

        register_all_modules()
        net = MODELS.build({**mmseg_vit_config(meta, (224, 224)),
                            "init_cfg": dict(type="Pretrained", checkpoint=str(out))})
        assert torch.equal(conv["layers.0.attn.attn.in_proj_weight"], sd["blocks.0.attn.qkv.weight"])
    else:
        from mmdet.registry import MODELS
        from mmdet.utils import register_all_modules

        register_all_modules()
        from mmengine.config import ConfigDict

        net = MODELS.build({**mmdet_pvt_config(meta),
                            "init_cfg": ConfigDict(type="Pretrained", checkpoint=str(out))})
    net.init_weights()
    got = net.state_dict()
    assert set(got) == set(conv) and all(torch.equal(got[k], v) for k, v in conv.items())


@pytest.mark.parametrize("alias", ["cait_xxs24", "xcit_t12", "ca_swin_t"])
def test_other_families_import_bit_exactly(tmp_path, alias):
    sd = _sd(alias)
    meta, got = _import(tmp_path, {"state_dict": sd}, alias)
    assert _same(got, sd) and meta["num_classes"] == 1000
    assert W.load_model(tmp_path / "release.pth")[1]["alias"] == alias  # found from its keys alone
