"""Backbones: every alias builds through timm, returns class attention of the right shape, round-trips."""

import pytest
import timm
import torch

import pretrain.models as M
from pretrain.checkpoint import load_state_dict_exact

SMALL = {  # alias -> (constructor kwargs for a fast forward, expected attention grid)
    "deit_t": (dict(img_size=32, patch_size=8), (4, 4)),
    "deit_s": (dict(img_size=32, patch_size=8), (4, 4)),
    "deit_b": (dict(img_size=32, patch_size=16), (2, 2)),
    "deit_t14": (dict(img_size=28), (2, 2)),
    "deit_s14": (dict(img_size=56), (4, 4)),
    "deit_b14": (dict(img_size=28), (2, 2)),
    "pvt_t": (dict(img_size=64, patch_size=2), (4, 4)),
    "pvt_s": (dict(img_size=64), (2, 2)),
    "pvt_m": (dict(img_size=64), (2, 2)),
    "pvt_l": (dict(img_size=64), (2, 2)),
    "cait_xxs24": (dict(img_size=32, patch_size=8), (4, 4)),
    "xcit_t12": (dict(img_size=32, patch_size=8), (4, 4)),
    "xcit_s12": (dict(img_size=32, patch_size=16), (2, 2)),
    "ca_swin_t": (dict(img_size=64, window_size=4), (2, 2)),
    "ca_swin_s": (dict(img_size=64, window_size=4), (2, 2)),
    "swin_t": (dict(img_size=64, window_size=4), None),  # no class token (M.NO_CLASS_ATTENTION)
    "swin_s": (dict(img_size=64, window_size=4), None),
}


def test_every_alias_is_covered():
    assert set(SMALL) == set(M.ALIASES)


@pytest.mark.parametrize("alias", [a for a in SMALL if a not in M.NO_CLASS_ATTENTION])
def test_builds_and_returns_class_attention(alias):
    kwargs, grid = SMALL[alias]
    torch.manual_seed(0)
    model = M.create_backbone(alias, num_classes=7, **kwargs).eval()
    assert type(model) is type(timm.create_model(M.ALIASES[alias], num_classes=7, **kwargs))
    x = torch.randn(2, 3, kwargs["img_size"], kwargs["img_size"])
    with torch.no_grad():
        plain = model(x)
        logits, attn, g = M.forward_with_attention(model, x)
    assert g == grid and attn.shape == (2, grid[0] * grid[1]) and logits.shape == (2, 7)
    torch.testing.assert_close(logits, plain)  # the tap does not change the forward
    assert (attn >= 0).all() and (attn.sum(1) <= 1 + 1e-5).all() and (attn.sum(1) > 0.3).all()
    assert M.token_stride(model) * grid[0] == kwargs["img_size"]


@pytest.mark.parametrize("alias,params", [("pvt_t", 13.2), ("pvt_s", 24.5), ("pvt_m", 44.2), ("pvt_l", 61.4),
                                          ("deit_s", 22.1), ("ca_swin_t", 28.3), ("ca_swin_s", 49.6),
                                          ("swin_t", 28.3), ("swin_s", 49.6)])
def test_parameter_counts_at_224(alias, params):
    model = M.create_backbone(alias)
    assert round(sum(p.numel() for p in model.parameters()) / 1e6, 1) == params


def test_pvt_uses_whai362_parameter_names():
    keys = set(M.create_backbone("pvt_t").state_dict())
    for k in ("patch_embed1.proj.weight", "pos_embed4", "cls_token", "block1.0.attn.q.weight",
              "block1.0.attn.kv.weight", "block1.0.attn.sr.weight", "block1.0.attn.norm.weight",
              "block4.1.mlp.fc2.weight", "norm.weight", "head.weight"):
        assert k in keys, k
    assert M.create_backbone("pvt_t").pos_embed4.shape == (1, 50, 512)


@pytest.mark.parametrize("alias", ["deit_t", "pvt_t"])
def test_backbone_state_dict_round_trip(alias, tmp_path):
    kwargs, _ = SMALL[alias]
    torch.manual_seed(1)
    a = M.create_backbone(alias, num_classes=5, **kwargs).eval()
    torch.save({k: v.clone() for k, v in a.state_dict().items()}, tmp_path / "backbone.pth")
    b = M.create_backbone(alias, num_classes=5, **kwargs).eval()
    load_state_dict_exact(b, torch.load(tmp_path / "backbone.pth", weights_only=True))
    x = torch.randn(2, 3, kwargs["img_size"], kwargs["img_size"])
    with torch.no_grad():
        torch.testing.assert_close(a(x), b(x), rtol=0, atol=0)
    with pytest.raises(KeyError, match="missing"):
        sd = torch.load(tmp_path / "backbone.pth", weights_only=True)
        sd.pop(next(iter(sd)))
        load_state_dict_exact(b, sd)


@pytest.mark.parametrize("alias", sorted(M.NO_CLASS_ATTENTION))
def test_plain_swin_has_no_class_attention_and_refuses_attention_methods(alias):
    """TransMix Table 7's plain baselines: they train (forward and logits) but have no class token; an attention-
    labelled method is refused at start-up naming the class-attention variant."""
    from pretrain.config import load_config
    from pretrain.train import check_method

    kwargs, _ = SMALL[alias]
    model = M.create_backbone(alias, num_classes=7, **kwargs)
    assert model(torch.randn(2, 3, 64, 64)).shape == (2, 7)
    with pytest.raises(TypeError, match="no ViT blocks"):
        M.forward_with_attention(model, torch.randn(2, 3, 64, 64))
    cfg = load_config(f"configs/pretrain/{alias}.py", "tiny")
    check_method(cfg, "deit")
    with pytest.raises(ValueError, match=f"use its class-attention variant ca_{alias}"):
        check_method(cfg, "transmix")


def test_unknown_alias_lists_valid():
    with pytest.raises(KeyError, match="deit_s"):
        M.create_backbone("deit_x")
