"""CA-Swin (TransMix, Chen et al. CVPR 2022, section 4.5): Swin-T/S whose last block is replaced by a CaiT
class-attention block, so the model has a class token whose attention TransMix can read. Built on timm's
``SwinTransformer`` and CaiT's ``LayerScaleBlockClassAttn`` (no forked code); registered as
``ca_swin_tiny_patch4_window7_224`` / ``ca_swin_small_patch4_window7_224``.
"""

from __future__ import annotations

import torch
import torch.nn as nn
from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from timm.layers import trunc_normal_
from timm.models import build_model_with_cfg, generate_default_cfgs, register_model
from timm.models._features import feature_take_indices
from timm.models.cait import LayerScaleBlockClassAttn
from timm.models.swin_transformer import SwinTransformer

POOLS = ("token", "avg", "")


class CASwinTransformer(SwinTransformer):
    def __init__(self, *args, ca_init_values: float = 1e-5, global_pool: str = "token", **kwargs):
        if global_pool not in POOLS:
            raise ValueError(f"CA-Swin global_pool must be 'token' (class token, as trained), 'avg' or '', got "
                             f"{global_pool!r}")
        super().__init__(*args, global_pool="", **kwargs)  # the head pools nothing: forward_head picks the tokens
        self.global_pool = global_pool
        last = self.layers[-1]
        last.blocks = last.blocks[:-1]  # the last Swin block is replaced by the class-attention block
        dim = self.num_features
        heads = kwargs.get("num_heads", (3, 6, 12, 24))[-1]
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.ca_block = LayerScaleBlockClassAttn(dim, heads, mlp_ratio=4.0, qkv_bias=True,
                                                 drop_path=kwargs.get("drop_path_rate", 0.0),
                                                 norm_layer=nn.LayerNorm, init_values=ca_init_values)
        trunc_normal_(self.cls_token, std=0.02)
        self.stride = 32
        self.num_prefix_tokens = 1

    @torch.jit.ignore
    def no_weight_decay(self):
        return super().no_weight_decay() | {"cls_token"}

    def reset_classifier(self, num_classes: int, global_pool: str | None = None):
        if global_pool is not None:
            if global_pool not in POOLS:
                raise ValueError(f"CA-Swin global_pool must be 'token', 'avg' or '', got {global_pool!r}")
            self.global_pool = global_pool
        self.num_classes = num_classes
        self.head.reset(num_classes, pool_type="")

    def _tokens(self, x):
        """Last-stage map ``(B, h, w, C)`` -> final-norm tokens with the class token first ``(B, 1 + h*w, C)``."""
        tokens = x.flatten(1, 2)
        cls = self.ca_block(tokens, self.cls_token.expand(x.shape[0], -1, -1))
        return self.norm(torch.cat([cls, tokens], 1))

    def forward_features(self, x):
        """Tokens of the last stage with the class token first, after the final norm: ``(B, 1 + h*w, C)``."""
        return self._tokens(self.layers(self.patch_embed(x)))

    @torch.jit.ignore
    def forward_intermediates(self, x, indices=None, norm: bool = False, stop_early: bool = False,
                              output_fmt: str = "NCHW", intermediates_only: bool = False):
        """Swin's stage maps (``NCHW``; stage 4 before the class-attention block, which reads it) and the final
        tokens of :meth:`forward_features`, class-attention block included (plain Swin's would skip it)."""
        if output_fmt != "NCHW":
            raise ValueError(f"CA-Swin intermediates come as NCHW maps, got output_fmt={output_fmt!r}")
        take, _ = feature_take_indices(len(self.layers), indices)
        x = self.patch_embed(x)
        inter = []
        for i, stage in enumerate(self.layers):
            x = stage(x)
            if i in take:
                y = self.norm(x) if norm and i == len(self.layers) - 1 else x
                inter.append(y.permute(0, 3, 1, 2).contiguous())
        return inter if intermediates_only else (self._tokens(x), inter)

    def forward_head(self, x, pre_logits: bool = False):
        if self.global_pool == "token":
            x = x[:, 0]
        elif self.global_pool == "avg":
            x = x[:, self.num_prefix_tokens:].mean(1)
        x = self.head.drop(x)
        return x if pre_logits else self.head.fc(x)

    def forward(self, x):
        return self.forward_head(self.forward_features(x))

    @torch.jit.ignore
    def class_attention_tap(self, source="last"):
        from .attention import QKTap
        if source != "last":
            raise ValueError(f"CA-Swin provides its class-attention block only, got source={source!r}")
        attn = self.ca_block.attn
        return QKTap(self, attn.q, attn.k, attn.num_heads, attn.scale, stride=self.stride)


default_cfgs = generate_default_cfgs({name: {
    "url": "", "num_classes": 1000, "input_size": (3, 224, 224), "pool_size": None, "crop_pct": 0.9,
    "interpolation": "bicubic", "fixed_input_size": True, "mean": IMAGENET_DEFAULT_MEAN, "std": IMAGENET_DEFAULT_STD,
    "first_conv": "patch_embed.proj", "classifier": "head.fc"}
    for name in ("ca_swin_tiny_patch4_window7_224", "ca_swin_small_patch4_window7_224")})


def _ca_swin(variant: str, pretrained: bool, depths, embed_dim, num_heads, **kwargs):
    from .deit14 import require_local_file
    from .pvt import checkpoint_filter_fn

    require_local_file(variant, pretrained, kwargs)
    kwargs = {"patch_size": 4, "window_size": 7, **kwargs}
    return build_model_with_cfg(
        CASwinTransformer, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
        feature_cfg=dict(feature_cls="getter", flatten_sequential=True,
                         out_indices=kwargs.pop("out_indices", (0, 1, 2, 3))),
        embed_dim=embed_dim, depths=depths, num_heads=num_heads, **kwargs)


@register_model
def ca_swin_tiny_patch4_window7_224(pretrained=False, **kwargs):
    return _ca_swin("ca_swin_tiny_patch4_window7_224", pretrained, (2, 2, 6, 2), 96, (3, 6, 12, 24), **kwargs)


@register_model
def ca_swin_small_patch4_window7_224(pretrained=False, **kwargs):
    return _ca_swin("ca_swin_small_patch4_window7_224", pretrained, (2, 2, 18, 2), 96, (3, 6, 12, 24), **kwargs)
