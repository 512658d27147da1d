"""PVT v1 (Wang et al., ICCV 2021) with the class token in stage 4, registered in timm as ``pvt_tiny/small/medium/
large``. Parameter names follow whai362/PVT ``classification/pvt.py`` (``patch_embed{i}``, ``pos_embed{i}``,
``block{i}.{j}.attn.q/kv/sr/norm``, ``norm``, ``cls_token``, ``head``) so MMDetection's ``pvt_convert`` loads the
weights into its ``PyramidVisionTransformer``. timm itself ships only PVT v2.

Deliberate difference: position embeddings are resized per stage when the input differs from ``img_size`` (the
original compares every stage against stage 1's patch count, which only matters at other resolutions).
"""

from __future__ import annotations

from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.layers import DropPath, Mlp, trunc_normal_
from timm.models import register_model


class SRAttention(nn.Module):
    """Spatial-reduction attention: keys/values from a ``sr_ratio``-strided conv of the tokens."""

    def __init__(self, dim, num_heads, qkv_bias=True, attn_drop=0.0, proj_drop=0.0, sr_ratio=1):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.q = nn.Linear(dim, dim, bias=qkv_bias)
        self.kv = nn.Linear(dim, dim * 2, bias=qkv_bias)
        self.attn_drop = attn_drop
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)
        self.sr_ratio = sr_ratio
        if sr_ratio > 1:
            self.sr = nn.Conv2d(dim, dim, kernel_size=sr_ratio, stride=sr_ratio)
            self.norm = nn.LayerNorm(dim)

    def forward(self, x, H, W):
        B, N, C = x.shape
        q = self.q(x).reshape(B, N, self.num_heads, -1).transpose(1, 2)  # (B, h, N, d)
        if self.sr_ratio > 1:
            x = self.norm(self.sr(x.transpose(1, 2).reshape(B, C, H, W)).flatten(2).transpose(1, 2))
        kv = self.kv(x).reshape(B, -1, 2, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, kv[0], kv[1], dropout_p=self.attn_drop if self.training else 0.0)
        return self.proj_drop(self.proj(out.transpose(1, 2).reshape(B, N, C)))


class Block(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio, qkv_bias, drop, attn_drop, drop_path, norm_layer, sr_ratio):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = SRAttention(dim, num_heads, qkv_bias, attn_drop, drop, sr_ratio)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop=drop)

    def forward(self, x, H, W):
        x = x + self.drop_path(self.attn(self.norm1(x), H, W))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class PatchEmbed(nn.Module):
    def __init__(self, img_size, patch_size, in_chans, embed_dim):
        super().__init__()
        self.patch_size = patch_size
        self.H = self.W = img_size // patch_size
        self.num_patches = self.H * self.W
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)
        self.norm = nn.LayerNorm(embed_dim)

    def forward(self, x):
        x = self.proj(x)
        H, W = x.shape[-2:]
        return self.norm(x.flatten(2).transpose(1, 2)), (H, W)


class PyramidVisionTransformer(nn.Module):
    def __init__(self, img_size=224, patch_size=4, in_chans=3, num_classes=1000, embed_dims=(64, 128, 320, 512),
                 num_heads=(1, 2, 5, 8), mlp_ratios=(8, 8, 4, 4), qkv_bias=True, drop_rate=0.0, attn_drop_rate=0.0,
                 drop_path_rate=0.0, depths=(3, 4, 6, 3), sr_ratios=(8, 4, 2, 1), **kwargs):
        super().__init__()
        if kwargs:
            raise TypeError(f"unexpected PVT arguments {sorted(kwargs)}")
        norm_layer = partial(nn.LayerNorm, eps=1e-6)
        self.num_classes, self.depths, self.num_stages = num_classes, tuple(depths), 4
        self.embed_dim = self.num_features = embed_dims[3]
        self.img_size, self.stride = img_size, patch_size * 8
        dpr = torch.linspace(0, drop_path_rate, sum(depths)).tolist()
        cur = 0
        for i in range(4):
            pe = PatchEmbed(img_size if i == 0 else img_size // (patch_size * 2 ** (i - 1)),
                            patch_size if i == 0 else 2, in_chans if i == 0 else embed_dims[i - 1], embed_dims[i])
            n = pe.num_patches + (1 if i == 3 else 0)
            setattr(self, f"patch_embed{i + 1}", pe)
            setattr(self, f"pos_embed{i + 1}", nn.Parameter(torch.zeros(1, n, embed_dims[i])))
            setattr(self, f"pos_drop{i + 1}", nn.Dropout(drop_rate))
            setattr(self, f"block{i + 1}", nn.ModuleList(
                Block(embed_dims[i], num_heads[i], mlp_ratios[i], qkv_bias, drop_rate, attn_drop_rate, dpr[cur + j],
                      norm_layer, sr_ratios[i]) for j in range(depths[i])))
            cur += depths[i]
        self.norm = norm_layer(embed_dims[3])
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dims[3]))
        self.head = nn.Linear(embed_dims[3], num_classes) if num_classes > 0 else nn.Identity()
        for i in range(4):
            trunc_normal_(getattr(self, f"pos_embed{i + 1}"), std=0.02)
        trunc_normal_(self.cls_token, std=0.02)
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(m):
        if isinstance(m, nn.Linear):
            trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.zeros_(m.bias)
            nn.init.ones_(m.weight)

    @torch.jit.ignore
    def no_weight_decay(self):
        return {"cls_token"}

    def get_classifier(self):
        return self.head

    def reset_classifier(self, num_classes, global_pool=None):
        self.num_classes = num_classes
        self.head = nn.Linear(self.embed_dim, num_classes) if num_classes > 0 else nn.Identity()

    @staticmethod
    def _resize_pos(pos, pe, H, W):
        if (H, W) == (pe.H, pe.W):
            return pos
        pos = pos.reshape(1, pe.H, pe.W, -1).permute(0, 3, 1, 2)
        return F.interpolate(pos, size=(H, W), mode="bilinear").flatten(2).transpose(1, 2)

    def forward_features(self, x):
        """Final-norm tokens of stage 4, class token first: ``(B, 1 + h*w, C)``."""
        B = x.shape[0]
        for i in range(4):
            pe, pos = getattr(self, f"patch_embed{i + 1}"), getattr(self, f"pos_embed{i + 1}")
            x, (H, W) = pe(x)
            if i == 3:
                x = torch.cat([self.cls_token.expand(B, -1, -1), x], 1)
                pos = torch.cat([pos[:, :1], self._resize_pos(pos[:, 1:], pe, H, W)], 1)
            else:
                pos = self._resize_pos(pos, pe, H, W)
            x = getattr(self, f"pos_drop{i + 1}")(x + pos)
            for blk in getattr(self, f"block{i + 1}"):
                x = blk(x, H, W)
            if i != 3:
                x = x.reshape(B, H, W, -1).permute(0, 3, 1, 2).contiguous()
        return self.norm(x)

    def forward_head(self, x, pre_logits: bool = False):
        x = x[:, 0]
        return x if pre_logits else self.head(x)

    def forward(self, x):
        return self.forward_head(self.forward_features(x))

    def class_attention_tap(self, source="last"):
        from .attention import QKTap
        if source != "last":
            raise ValueError(f"PVT provides the class attention of its last block only, got source={source!r}")
        attn = self.block4[-1].attn
        return QKTap(self, attn.q, attn.kv, attn.num_heads, attn.scale, stride=self.stride, k_from_kv=True)

    # MMDetection-style multi-scale features are produced by mmdet's own PyramidVisionTransformer after conversion.


def drop_factory_kwargs(kwargs: dict) -> dict:
    """Remove what ``timm.create_model`` passes to every entrypoint but these constructors do not take."""
    return {k: v for k, v in kwargs.items() if k not in ("pretrained_cfg", "pretrained_cfg_overlay", "cache_dir")}


def _pvt(depths, **kwargs):
    kwargs = {"patch_size": 4, **drop_factory_kwargs(kwargs)}
    return PyramidVisionTransformer(embed_dims=(64, 128, 320, 512), num_heads=(1, 2, 5, 8), mlp_ratios=(8, 8, 4, 4),
                                    qkv_bias=True, depths=depths, sr_ratios=(8, 4, 2, 1), **kwargs)


def _cfg(model):
    model.pretrained_cfg = model.default_cfg = {
        "num_classes": 1000, "input_size": (3, 224, 224), "mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225),
        "interpolation": "bicubic", "crop_pct": 0.875, "first_conv": "patch_embed1.proj", "classifier": "head"}
    return model


@register_model
def pvt_tiny(pretrained=False, **kwargs):
    return _cfg(_pvt((2, 2, 2, 2), **kwargs))


@register_model
def pvt_small(pretrained=False, **kwargs):
    return _cfg(_pvt((3, 4, 6, 3), **kwargs))


@register_model
def pvt_medium(pretrained=False, **kwargs):
    return _cfg(_pvt((3, 4, 18, 3), **kwargs))


@register_model
def pvt_large(pretrained=False, **kwargs):
    return _cfg(_pvt((3, 8, 27, 3), **kwargs))
