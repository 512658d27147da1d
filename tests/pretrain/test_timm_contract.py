"""The suite's own timm models held to what timm's ``tests/test_models.py`` checks (huggingface/pytorch-image-models
@aa4b585 ``test_model_forward``, ``test_model_backward``, ``test_model_default_cfgs_non_std`` (class-token models are
timm's 'non-standard' kind, like ``deit*`` and ``cait_*``), ``test_model_forward_intermediates``,
``test_model_forward_intermediates_features``, ``test_model_forward_torchscript``, ``test_model_forward_fx``), at
their default 224-px size, plus timm's way to load a local file (``pretrained_cfg_overlay=dict(file=...)``)."""

import math

import pytest
import timm
import torch
from timm.layers import set_layer_config

import pretrain.models  # noqa: F401  (registers the models)

OURS = ["pvt_tiny", "ca_swin_tiny_patch4_window7_224", "deit_tiny_patch14_224"]


@pytest.fixture(scope="module")
def x():
    torch.manual_seed(0)
    return torch.randn(1, 3, 224, 224)


@pytest.mark.parametrize("name", OURS)
def test_forward_backward_and_cfg(name, x):
    model = timm.create_model(name, num_classes=42).train()
    out = model(torch.cat([x, x.flip(-1)]))
    out.mean().backward()
    assert out.shape == (2, 42) and not out.isnan().any()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert missing == [], missing
    cfg = model.pretrained_cfg
    sd = model.state_dict()
    assert cfg["first_conv"] + ".weight" in sd and cfg["classifier"] + ".weight" in sd
    assert cfg["input_size"] == (3, 224, 224) and "fixed_input_size" in cfg


@pytest.mark.parametrize("name", OURS)
def test_default_cfgs_non_std(name, x):
    model = timm.create_model(name).eval()
    assert model.num_classes == 1000 and model.num_features > 0 and model.head_hidden_size > 0
    with torch.no_grad():
        feats = model.forward_features(x)  # (B, 1 + h*w, C): class token first
        pre = model.forward_head(feats, pre_logits=True)
        assert feats.shape[-1] == model.num_features and pre.shape[1] == model.head_hidden_size
        model.reset_classifier(0)
        assert model.num_classes == 0
        pooled = model(x)
        assert pooled.shape == pre.shape == (1, model.head_hidden_size)
        torch.testing.assert_close(pooled, pre, rtol=0, atol=0)
        assert timm.create_model(name, num_classes=0).eval()(x).shape[-1] == model.num_features
        unpooled = timm.create_model(name, num_classes=0, global_pool="").eval()(x)
        assert unpooled.shape == feats.shape  # every token, class token first
        if name != "deit_tiny_patch14_224":  # timm's ViT swaps its final norm for fc_norm with 'avg'
            avg = timm.create_model(name, num_classes=0, global_pool="avg").eval()
            avg.load_state_dict(model.state_dict())
            torch.testing.assert_close(avg(x), feats[:, 1:].mean(1))


@pytest.mark.parametrize("name", OURS)
def test_forward_intermediates_and_features_only(name, x):
    model = timm.create_model(name).eval()
    info = timm.models.FeatureInfo(model.feature_info, len(model.feature_info))
    assert len(info.channels()) >= 3
    with torch.no_grad():
        final, inter = model.forward_intermediates(x, output_fmt="NCHW")
        assert len(inter) == len(info.channels())
        for c, r, o in zip(info.channels(), info.reduction(), inter):
            assert o.shape[1] == c and o.shape[2] <= math.ceil(224 / r) + 1 and o.shape[3] <= math.ceil(224 / r) + 1
        # the final output is forward_features', class token (and CA-Swin's class-attention block) included
        torch.testing.assert_close(final, model.forward_features(x), rtol=0, atol=0)
        feat = timm.create_model(name, features_only=True).eval()
        outs = feat(x)
        assert [o.shape[1] for o in outs] == feat.feature_info.channels()
        assert len(outs) >= 3 and all(not o.isnan().any() for o in outs)


@pytest.mark.parametrize("name", ["pvt_tiny", "ca_swin_tiny_patch4_window7_224"])
def test_torchscript_and_fx(name, x):
    from timm.models._features_fx import get_notrace_functions, get_notrace_modules
    from torchvision.models.feature_extraction import create_feature_extractor, get_graph_node_names

    torch.manual_seed(0)
    model = timm.create_model(name).eval()
    with torch.no_grad():
        ref = model(x)
    torch.manual_seed(0)  # the same initial weights
    with set_layer_config(scriptable=True):
        scripted = torch.jit.script(timm.create_model(name).eval())
    with torch.no_grad():
        torch.testing.assert_close(scripted(x), ref, rtol=1e-4, atol=1e-5)
    kw = dict(leaf_modules=get_notrace_modules(), autowrap_functions=get_notrace_functions(),
              param_shapes_constant=True)
    train_nodes, eval_nodes = get_graph_node_names(model, tracer_kwargs=kw)
    fx = create_feature_extractor(model, train_return_nodes=[train_nodes[-1]], eval_return_nodes=[eval_nodes[-1]],
                                  tracer_kwargs=kw)
    with torch.inference_mode():
        assert torch.equal(next(iter(fx(x).values())), ref)  # timm's test: exactly equal


@pytest.mark.parametrize("name", OURS)
def test_pretrained_needs_a_local_file_and_loads_it_exactly(name, tmp_path):
    with pytest.raises(RuntimeError, match="no weights are hosted"):
        timm.create_model(name, pretrained=True)
    torch.manual_seed(3)
    src = timm.create_model(name)
    sd = src.state_dict()
    torch.save({"model": sd, "epoch": 299}, tmp_path / "release.pth")  # the releases' {'model': ...} container
    got = timm.create_model(name, pretrained=True, pretrained_cfg_overlay=dict(file=str(tmp_path / "release.pth")))
    assert all(torch.equal(v, got.state_dict()[k]) for k, v in sd.items())
    five = timm.create_model(name, pretrained=True, num_classes=5,
                             pretrained_cfg_overlay=dict(file=str(tmp_path / "release.pth")))
    cls = got.pretrained_cfg["classifier"]
    assert five.get_classifier().out_features == 5
    assert torch.equal(five.state_dict()[cfg_key(sd, cls)], sd[cfg_key(sd, cls)])


def cfg_key(sd, classifier: str) -> str:
    """A backbone key that is not the classifier (it must load unchanged when the head is replaced)."""
    return next(k for k in sd if not k.startswith(classifier) and sd[k].is_floating_point())


def test_bad_global_pool_is_refused():
    with pytest.raises(ValueError, match="global_pool"):
        timm.create_model("pvt_tiny", global_pool="max")
    with pytest.raises(ValueError, match="global_pool"):
        timm.create_model("ca_swin_tiny_patch4_window7_224", global_pool="max")
