"""Backbones with class attention (and plain Swin, TransMix Table 7's baseline), registered in timm, with short aliases.

After ``import pretrain.models``, ``timm.create_model("pvt_small")`` etc. work; ``create_backbone("pvt_s")`` builds
by alias. Every backbone returns its class-to-patch attention ``(B, h*w)`` from the ordinary forward pass through
:func:`forward_with_attention` (hooks on the projections of one block; the attention kernels stay fused).
"""

from __future__ import annotations

import timm
import torch.nn as nn

from . import ca_swin, deit14, pvt  # noqa: F401  (registers pvt_*, ca_swin_*, deit_*_patch14_224 with timm)
from .attention import AttentionTap, QKTap, attach_tap, forward_with_attention

ALIASES: dict[str, str] = {
    "deit_t": "deit_tiny_patch16_224",
    "deit_s": "deit_small_patch16_224",
    "deit_b": "deit_base_patch16_224",
    "deit_t14": "deit_tiny_patch14_224",  # MixPro's released models (4x4 MaskMix cells of 56 px at 224)
    "deit_s14": "deit_small_patch14_224",
    "deit_b14": "deit_base_patch14_224",
    "pvt_t": "pvt_tiny",
    "pvt_s": "pvt_small",
    "pvt_m": "pvt_medium",
    "pvt_l": "pvt_large",
    "cait_xxs24": "cait_xxs24_224",
    "xcit_t12": "xcit_tiny_12_p16_224",
    "xcit_s12": "xcit_small_12_p16_224",
    "ca_swin_t": "ca_swin_tiny_patch4_window7_224",
    "ca_swin_s": "ca_swin_small_patch4_window7_224",
    "swin_t": "swin_tiny_patch4_window7_224",  # plain Swin: TransMix Table 7's baselines, no class token
    "swin_s": "swin_small_patch4_window7_224",
}
FAMILY = {"deit_t": "deit", "deit_s": "deit", "deit_b": "deit", "deit_t14": "deit", "deit_s14": "deit",
          "deit_b14": "deit", "pvt_t": "pvt", "pvt_s": "pvt", "pvt_m": "pvt", "pvt_l": "pvt", "cait_xxs24": "cait",
          "xcit_t12": "xcit", "xcit_s12": "xcit", "ca_swin_t": "ca_swin", "ca_swin_s": "ca_swin", "swin_t": "swin",
          "swin_s": "swin"}
# backbones without a class token, hence no class attention: trained with the methods that need none (the DeiT
# recipe, Mixup, CutMix ...); the attention-based methods and the robustness suite's attention metrics refuse them
NO_CLASS_ATTENTION = frozenset(a for a, f in FAMILY.items() if f == "swin")


def resolve_name(name: str) -> str:
    """A short alias (``deit_s``) or a timm name -> the timm name."""
    if name in ALIASES:
        return ALIASES[name]
    if timm.is_model(name):
        return name
    raise KeyError(f"unknown backbone {name!r}; aliases: {', '.join(ALIASES)}")


def alias_of(name: str) -> str | None:
    return name if name in ALIASES else {v: k for k, v in ALIASES.items()}.get(name)


def create_backbone(alias: str, **kwargs) -> nn.Module:
    """Build a backbone by its short alias (or timm name) with timm's factory."""
    return timm.create_model(resolve_name(alias), **kwargs)


def token_stride(model: nn.Module) -> int:
    """Input pixels per token of the grid the class attention lives on (16 for DeiT/16, 32 for PVT and CA-Swin);
    mixing methods that work on patches (MaskMix, TokenMix) use it as their patch size."""
    if hasattr(model, "stride"):
        return int(model.stride)
    p = model.patch_embed.patch_size
    return int(p if isinstance(p, int) else p[0])


__all__ = ["ALIASES", "NO_CLASS_ATTENTION", "AttentionTap", "QKTap", "attach_tap", "create_backbone",
           "forward_with_attention", "resolve_name", "token_stride"]
