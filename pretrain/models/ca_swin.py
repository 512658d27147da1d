"""CA-Swin (TransMix, Chen et al. CVPR 2022, section 4.5): Swin-T/S whose last block is replaced by a CaiT
class-attention block, so the model has a class token whose attention TransMix can read. Built on timm's
``SwinTransformer`` and CaiT's ``LayerScaleBlockClassAttn`` (no forked code); registered as
``ca_swin_tiny_patch4_window7_224`` / ``ca_swin_small_patch4_window7_224``.
"""

from __future__ import annotations

import torch
import torch.nn as nn
from timm.layers import trunc_normal_
from timm.models import register_model
from timm.models.cait import LayerScaleBlockClassAttn
from timm.models.swin_transformer import SwinTransformer

from .pvt import drop_factory_kwargs


class CASwinTransformer(SwinTransformer):
    def __init__(self, *args, ca_init_values: float = 1e-5, **kwargs):
        super().__init__(*args, **kwargs)
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

    @torch.jit.ignore
    def no_weight_decay(self):
        return super().no_weight_decay() | {"cls_token"}

    def forward_features(self, x):
        """Tokens of the last stage with the class token first, after the final norm: ``(B, 1 + h*w, C)``."""
        x = self.layers(self.patch_embed(x))  # (B, h, w, C)
        tokens = x.flatten(1, 2)
        cls = self.ca_block(tokens, self.cls_token.expand(x.shape[0], -1, -1))
        return self.norm(torch.cat([cls, tokens], 1))

    def forward_head(self, x, pre_logits: bool = False):
        x = self.head.drop(x[:, 0]) if hasattr(self.head, "drop") else x[:, 0]
        return x if pre_logits else self.head.fc(x)

    def forward(self, x):
        return self.forward_head(self.forward_features(x))

    def class_attention_tap(self, source="last"):
        from .attention import QKTap
        if source != "last":
            raise ValueError(f"CA-Swin provides its class-attention block only, got source={source!r}")
        attn = self.ca_block.attn
        return QKTap(self, attn.q, attn.k, attn.num_heads, attn.scale, stride=self.stride)


def _ca_swin(depths, embed_dim, num_heads, **kwargs):
    kwargs = {"patch_size": 4, "window_size": 7, **drop_factory_kwargs(kwargs)}
    model = CASwinTransformer(embed_dim=embed_dim, depths=depths, num_heads=num_heads, **kwargs)
    model.pretrained_cfg = model.default_cfg = {
        "num_classes": 1000, "input_size": (3, 224, 224), "mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225),
        "interpolation": "bicubic", "crop_pct": 0.9, "first_conv": "patch_embed.proj", "classifier": "head.fc"}
    return model


@register_model
def ca_swin_tiny_patch4_window7_224(pretrained=False, **kwargs):
    return _ca_swin((2, 2, 6, 2), 96, (3, 6, 12, 24), **kwargs)


@register_model
def ca_swin_small_patch4_window7_224(pretrained=False, **kwargs):
    return _ca_swin((2, 2, 18, 2), 96, (3, 6, 12, 24), **kwargs)
