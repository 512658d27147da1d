"""DeiT-T/S/B with 14-px patches (a 16x16 token grid at 224 px), the models MixPro released (fistyee/MixPro configs
``deit_{tiny,small,base}_patch14_224``): timm's own ``VisionTransformer`` through timm's DeiT builder, registered as
``deit_tiny_patch14_224`` / ``deit_small_patch14_224`` / ``deit_base_patch14_224`` with their pretrained cfgs.

No weights are hosted: ``pretrained=True`` needs ``pretrained_cfg_overlay=dict(file=PATH)`` (timm's way to load a
local file); without one it raises instead of silently returning random weights. MaskMix's paper scale 4 gives
56-px cells, a 4x4 cell grid at 224, only on these models.
"""

from __future__ import annotations

from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from timm.models import generate_default_cfgs, register_model
from timm.models.deit import _create_deit


def local_file_cfg(**kwargs) -> dict:
    """A pretrained cfg whose weights come from a local file only (``pretrained_cfg_overlay=dict(file=...)``)."""
    return {"url": "", "num_classes": 1000, "input_size": (3, 224, 224), "pool_size": None, "crop_pct": 0.875,
            "interpolation": "bicubic", "fixed_input_size": True, "mean": IMAGENET_DEFAULT_MEAN,
            "std": IMAGENET_DEFAULT_STD, "first_conv": "patch_embed.proj", "classifier": "head", **kwargs}


default_cfgs = generate_default_cfgs({
    "deit_tiny_patch14_224": local_file_cfg(),
    "deit_small_patch14_224": local_file_cfg(),
    "deit_base_patch14_224": local_file_cfg(),
})


def require_local_file(name: str, pretrained: bool, kwargs: dict) -> None:
    """Refuse ``pretrained=True`` without a local file: timm would warn and keep random weights."""
    overlay = kwargs.get("pretrained_cfg_overlay") or {}
    if pretrained and not overlay.get("file"):
        raise RuntimeError(f"{name}: no weights are hosted for this model; load a local file with "
                           f"timm.create_model({name!r}, pretrained=True, pretrained_cfg_overlay=dict(file=PATH)) "
                           "or import a release with python -m pretrain.import_weights")


def _deit14(name: str, pretrained: bool, embed_dim: int, num_heads: int, **kwargs):
    require_local_file(name, pretrained, kwargs)
    return _create_deit(name, pretrained=pretrained, patch_size=14, embed_dim=embed_dim, depth=12,
                        num_heads=num_heads, **kwargs)


@register_model
def deit_tiny_patch14_224(pretrained=False, **kwargs):
    return _deit14("deit_tiny_patch14_224", pretrained, 192, 3, **kwargs)


@register_model
def deit_small_patch14_224(pretrained=False, **kwargs):
    return _deit14("deit_small_patch14_224", pretrained, 384, 6, **kwargs)


@register_model
def deit_base_patch14_224(pretrained=False, **kwargs):
    return _deit14("deit_base_patch14_224", pretrained, 768, 12, **kwargs)
