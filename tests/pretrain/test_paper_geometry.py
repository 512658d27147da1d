"""The paper profile at its own geometry (224 px, each config's patch size and MaskMix scale), not the demo's: every
alias takes training steps with MixPro (the headline method, whose cells must divide the image); DeiT-S/16, DeiT-S/14
and PVT-S take two steps with every registered method; invalid combinations fail at start-up naming the valid
choices. Cost here: about 2-3 minutes on 2 CPU cores (one 224-px step of DeiT-B is ~2 s)."""

import contextlib
import math

import pytest
import timm
import torch

from pretrain.config import load_config
from pretrain.distributed import Layout
from pretrain.mixing import MIXERS
from pretrain.models import ALIASES, NO_CLASS_ATTENTION, attach_tap
from pretrain.train import build_mixer, build_model, check_method, train_one_epoch

K = 10


@pytest.fixture(scope="module")
def teacher_file(tmp_path_factory):
    """A frozen CNN saved as a release file (timm layout): TokenMix's teacher and Attentive-CutMix's model."""
    path = tmp_path_factory.mktemp("teacher") / "resnet10t.pth"
    torch.manual_seed(0)
    torch.save({"state_dict": timm.create_model("resnet10t", num_classes=K).state_dict()}, path)
    return path


def paper_steps(alias: str, method: str, steps: int, teacher_file) -> list[float]:
    """``steps`` training steps of the paper profile's model and method on 224-px inputs (batch 2), through the
    engine's own loop; returns the loss per step."""
    import timm.scheduler

    cnn = {"model": "resnet10t", "checkpoint": str(teacher_file), "num_classes": K}
    extra = {"tokenmix": {"teacher": cnn}, "attentive_cutmix": {"model": cnn}}.get(method, {})
    cfg = load_config(f"configs/pretrain/{alias}.py", "paper", {"batch_size": 2, "max_steps_per_epoch": steps})
    cfg["method_kwargs"] = {**cfg["method_kwargs"], method: {**cfg["method_kwargs"].get(method, {}), **extra}}
    check_method(cfg, method)
    torch.manual_seed(0)
    model = build_model(cfg, K)
    mixer = build_mixer(cfg, method, model, K)
    tap = attach_tap(model, mixer.attn_source) if mixer.needs_attn and mixer.attn_source != "external" else None
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"])
    sched, _ = timm.scheduler.create_scheduler_v2(opt, sched="cosine", num_epochs=1, step_on_epochs=False,
                                                  updates_per_epoch=steps)
    gen = torch.Generator().manual_seed(0)
    data = [(torch.randn(2, 3, 224, 224, generator=gen), torch.tensor([s % K, (s + 3) % K])) for s in range(steps)]
    losses = []
    crit = mixer.criterion()

    def criterion(logits, target):  # records each step's loss
        loss = crit(logits, target)
        losses.append(float(loss))
        return loss

    state = {"epoch": 0, "step": 0, "num_updates": 0}
    train_one_epoch(model, tap, mixer, criterion, opt, sched, None, data, Layout.resolve(2, None, 1, 0), 0, 0, cfg,
                    state, torch.device("cpu"), contextlib.nullcontext, 0)
    assert state["num_updates"] == steps
    return losses


@pytest.mark.parametrize("alias", list(ALIASES))
def test_every_alias_trains_at_224_with_mixpro(alias, teacher_file):
    """Every alias with a class token takes a MixPro step; plain Swin (no class token) the DeiT recipe's."""
    losses = paper_steps(alias, "deit" if alias in NO_CLASS_ATTENTION else "mixpro", 1, teacher_file)
    assert len(losses) == 1 and math.isfinite(losses[0])


@pytest.mark.parametrize("alias", ["deit_s", "deit_s14", "pvt_s"])
@pytest.mark.parametrize("method", list(MIXERS))
def test_every_method_at_224(alias, method, teacher_file):
    losses = paper_steps(alias, method, 2, teacher_file)
    assert len(losses) == 2 and all(math.isfinite(v) for v in losses)


@pytest.mark.parametrize("alias,scale,valid", [("deit_s", 4, "1, 2, 7, 14"), ("pvt_s", 2, "1, 7"),
                                               ("deit_s14", 3, "1, 2, 4, 8, 16")])
def test_invalid_scale_fails_at_start_up_naming_the_valid_ones(alias, scale, valid):
    cfg = load_config(f"configs/pretrain/{alias}.py", "paper", [f"method_kwargs.mixpro.scale={scale}"])
    with pytest.raises(ValueError, match=f"valid scales for this model and size: {valid} "):
        check_method(cfg, "mixpro")


def test_paper_scales_are_the_documented_ones():
    scale = {a: load_config(f"configs/pretrain/{a}.py", "paper")["method_kwargs"]["mixpro"]["scale"] for a in ALIASES
             if a not in NO_CLASS_ATTENTION}
    assert scale == {"deit_t": 2, "deit_s": 2, "deit_b": 2, "deit_t14": 4, "deit_s14": 4, "deit_b14": 4, "pvt_t": 1,
                     "pvt_s": 1, "pvt_m": 1, "pvt_l": 1, "cait_xxs24": 2, "xcit_t12": 2, "xcit_s12": 2,
                     "ca_swin_t": 1, "ca_swin_s": 1}


def test_tokenmix_without_teacher_fails_at_start_up(tmp_path):
    cfg = load_config("configs/pretrain/deit_s.py", "paper")
    with pytest.raises(ValueError, match="tokenmix needs a frozen teacher"):
        check_method(cfg, "tokenmix")
    cfg = load_config("configs/pretrain/deit_s.py", "paper", [f"method_kwargs.tokenmix.teacher={tmp_path}/none.pth"])
    with pytest.raises(FileNotFoundError, match="none.pth"):
        check_method(cfg, "tokenmix")


def test_official_recipe_details():
    pvt_m, pvt_s = (load_config(f"configs/pretrain/{a}.py", "paper") for a in ("pvt_m", "pvt_s"))
    assert (pvt_m["drop_path"], pvt_m["clip_grad"]) == (0.3, 1.0) and (pvt_s["drop_path"], pvt_s["clip_grad"]) == (
        0.1, None)
    assert load_config("configs/pretrain/pvt_l.py", "paper")["drop_path"] == 0.3
    assert load_config("configs/pretrain/deit_b.py", "paper")["method_kwargs"]["transmix"] == {"switch_prob": 0.8}
    assert "transmix" not in load_config("configs/pretrain/deit_s.py", "paper")["method_kwargs"]
