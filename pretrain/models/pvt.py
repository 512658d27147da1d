"""PVT v1 (Wang et al., ICCV 2021) with the class token in stage 4, registered in timm as ``pvt_tiny/small/medium/
large``. Parameter names follow whai362/PVT ``classification/pvt.py`` (``patch_embed{i}``, ``pos_embed{i}``,
``block{i}.{j}.attn.q/kv/sr/norm``, ``norm``, ``cls_token``, ``head``) so MMDetection's ``pvt_convert`` loads the
weights into its ``PyramidVisionTransformer``. timm itself ships only PVT v2.

timm's model interface (held to timm's ``tests/test_models.py`` checks in tests/pretrain/test_timm_contract.py):
pretrained cfgs for local files (``pretrained=True, pretrained_cfg_overlay=dict(file=PATH)``; without a file it raises
rather than keep random weights), ``features_only=True`` and ``forward_intermediates`` (the four stage maps),
``global_pool`` ``'token'`` (default, as trained) / ``'avg'`` / ``''``, TorchScript and FX tracing.

Deliberate difference: position embeddings are resized per stage when the input differs from ``img_size`` (the
original compares every stage against stage 1's patch count, which only matters at other resolutions).
"""

from __future__ import annotations

from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from timm.layers import DropPath, Mlp, register_notrace_function, trunc_normal_
from timm.models import build_model_with_cfg, generate_default_cfgs, register_model
from timm.models._features import feature_take_indices


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
        else:  # parameter-free stand-ins (no state-dict keys) so TorchScript can compile the branch below
            self.sr = nn.Identity()
            self.norm = nn.Identity()

    def forward(self, x, H: int, W: int):
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

    def forward(self, x, H: int, W: int):
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

    def forward(self, x) -> tuple[torch.Tensor, int, int]:
        x = self.proj(x)
        H, W = x.shape[-2], x.shape[-1]
        return self.norm(x.flatten(2).transpose(1, 2)), H, W


@register_notrace_function  # FX: the size test below is a leaf, not traced
def resize_pos(pos: torch.Tensor, gh: int, gw: int, H: int, W: int) -> torch.Tensor:
    """Position embedding ``(1, gh*gw, C)`` of a ``gh x gw`` grid resized (bilinear) to ``H x W`` if it differs."""
    if H == gh and W == gw:
        return pos
    pos = pos.reshape(1, gh, gw, -1).permute(0, 3, 1, 2)
    return F.interpolate(pos, size=(H, W), mode="bilinear").flatten(2).transpose(1, 2)


def to_map(x: torch.Tensor, H: int, W: int) -> torch.Tensor:
    """Tokens ``(B, H*W, C)`` -> feature map ``(B, C, H, W)``."""
    return x.reshape(x.shape[0], H, W, -1).permute(0, 3, 1, 2).contiguous()


class PyramidVisionTransformer(nn.Module):
    def __init__(self, img_size=224, patch_size=4, in_chans=3, num_classes=1000, embed_dims=(64, 128, 320, 512),
                 num_heads=(1, 2, 5, 8), mlp_ratios=(8, 8, 4, 4), qkv_bias=True, drop_rate=0.0, attn_drop_rate=0.0,
                 drop_path_rate=0.0, depths=(3, 4, 6, 3), sr_ratios=(8, 4, 2, 1), global_pool="token", **kwargs):
        super().__init__()
        if kwargs:
            raise TypeError(f"unexpected PVT arguments {sorted(kwargs)}")
        if global_pool not in ("token", "avg", ""):
            raise ValueError(f"PVT global_pool must be 'token' (class token, as trained), 'avg' or '', got "
                             f"{global_pool!r}")
        norm_layer = partial(nn.LayerNorm, eps=1e-6)
        self.num_classes, self.depths, self.num_stages, self.global_pool = num_classes, tuple(depths), 4, global_pool
        self.embed_dim = self.num_features = self.head_hidden_size = embed_dims[3]
        self.num_prefix_tokens = 1
        self.img_size, self.stride = img_size, patch_size * 8
        self.feature_info = [dict(num_chs=embed_dims[i], reduction=patch_size * 2 ** i, module=f"block{i + 1}")
                             for i in range(4)]
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

    @torch.jit.ignore
    def get_classifier(self):
        return self.head

    def reset_classifier(self, num_classes: int, global_pool: str | None = None):
        if global_pool is not None:
            if global_pool not in ("token", "avg", ""):
                raise ValueError(f"PVT global_pool must be 'token', 'avg' or '', got {global_pool!r}")
            self.global_pool = global_pool
        self.num_classes = num_classes
        self.head = nn.Linear(self.embed_dim, num_classes) if num_classes > 0 else nn.Identity()

    def _stages(self, x, keep: bool = False) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Final-norm stage-4 tokens (class token first) and, with ``keep``, the four stage outputs as maps. Written
        out stage by stage so TorchScript compiles it (no ``getattr`` by name)."""
        maps: list[torch.Tensor] = []
        x, H, W = self.patch_embed1(x)
        x = self.pos_drop1(x + resize_pos(self.pos_embed1, self.patch_embed1.H, self.patch_embed1.W, H, W))
        for blk in self.block1:
            x = blk(x, H, W)
        x = to_map(x, H, W)
        if keep:
            maps.append(x)
        x, H, W = self.patch_embed2(x)
        x = self.pos_drop2(x + resize_pos(self.pos_embed2, self.patch_embed2.H, self.patch_embed2.W, H, W))
        for blk in self.block2:
            x = blk(x, H, W)
        x = to_map(x, H, W)
        if keep:
            maps.append(x)
        x, H, W = self.patch_embed3(x)
        x = self.pos_drop3(x + resize_pos(self.pos_embed3, self.patch_embed3.H, self.patch_embed3.W, H, W))
        for blk in self.block3:
            x = blk(x, H, W)
        x = to_map(x, H, W)
        if keep:
            maps.append(x)
        x, H, W = self.patch_embed4(x)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], 1)
        pos = resize_pos(self.pos_embed4[:, 1:], self.patch_embed4.H, self.patch_embed4.W, H, W)
        x = self.pos_drop4(x + torch.cat([self.pos_embed4[:, :1], pos], 1))
        for blk in self.block4:
            x = blk(x, H, W)
        if keep:
            maps.append(to_map(x[:, 1:], H, W))
        return self.norm(x), maps

    def forward_features(self, x):
        """Final-norm tokens of stage 4, class token first: ``(B, 1 + h*w, C)``."""
        return self._stages(x)[0]

    @torch.jit.ignore
    def forward_intermediates(self, x, indices=None, norm: bool = False, stop_early: bool = False,
                              output_fmt: str = "NCHW", intermediates_only: bool = False):
        """timm's intermediate-feature API: the stage outputs as ``NCHW`` maps (strides 4, 8, 16, 32 at patch 4;
        stage 4 without its class token; ``norm`` applies the final norm to it) and the final tokens of
        :meth:`forward_features`. ``stop_early`` is accepted; every stage runs."""
        if output_fmt != "NCHW":
            raise ValueError(f"PVT intermediates come as NCHW maps, got output_fmt={output_fmt!r}")
        take, _ = feature_take_indices(4, indices)
        final, maps = self._stages(x, keep=True)
        if norm:
            H, W = maps[3].shape[-2:]
            maps[3] = to_map(final[:, 1:], H, W)
        inter = [maps[i] for i in take]
        return inter if intermediates_only else (final, inter)

    def forward_head(self, x, pre_logits: bool = False):
        if self.global_pool == "token":
            x = x[:, 0]
        elif self.global_pool == "avg":
            x = x[:, self.num_prefix_tokens:].mean(1)
        return x if pre_logits else self.head(x)

    def forward(self, x):
        return self.forward_head(self.forward_features(x))

    @torch.jit.ignore
    def class_attention_tap(self, source="last"):
        from .attention import QKTap
        if source != "last":
            raise ValueError(f"PVT provides the class attention of its last block only, got source={source!r}")
        attn = self.block4[-1].attn
        return QKTap(self, attn.q, attn.kv, attn.num_heads, attn.scale, stride=self.stride, k_from_kv=True)

    # MMDetection-style multi-scale features are produced by mmdet's own PyramidVisionTransformer after conversion.


def checkpoint_filter_fn(state_dict: dict, model=None) -> dict:
    """timm's ``pretrained_filter_fn``: a release's wrapping prefixes and unused tensors removed (the same rules as
    ``python -m pretrain.import_weights``); key names are whai362/PVT's already, and no value changes."""
    from pretrain.import_weights import strip_prefixes

    return strip_prefixes(state_dict)[0]


def _cfg(**kwargs):
    return {"url": "", "num_classes": 1000, "input_size": (3, 224, 224), "pool_size": None, "crop_pct": 0.875,
            "interpolation": "bicubic", "fixed_input_size": False, "mean": IMAGENET_DEFAULT_MEAN,
            "std": IMAGENET_DEFAULT_STD, "first_conv": "patch_embed1.proj", "classifier": "head", **kwargs}


default_cfgs = generate_default_cfgs({name: _cfg() for name in ("pvt_tiny", "pvt_small", "pvt_medium", "pvt_large")})


def _create_pvt(variant: str, pretrained: bool, depths, **kwargs):
    from .deit14 import require_local_file

    require_local_file(variant, pretrained, kwargs)
    kwargs = {"patch_size": 4, **kwargs}
    return build_model_with_cfg(
        PyramidVisionTransformer, variant, pretrained, pretrained_filter_fn=checkpoint_filter_fn,
        feature_cfg=dict(feature_cls="getter", out_indices=kwargs.pop("out_indices", (0, 1, 2, 3))),
        embed_dims=(64, 128, 320, 512), num_heads=(1, 2, 5, 8), mlp_ratios=(8, 8, 4, 4), qkv_bias=True,
        depths=depths, sr_ratios=(8, 4, 2, 1), **kwargs)


@register_model
def pvt_tiny(pretrained=False, **kwargs):
    return _create_pvt("pvt_tiny", pretrained, (2, 2, 2, 2), **kwargs)


@register_model
def pvt_small(pretrained=False, **kwargs):
    return _create_pvt("pvt_small", pretrained, (3, 4, 6, 3), **kwargs)


@register_model
def pvt_medium(pretrained=False, **kwargs):
    return _create_pvt("pvt_medium", pretrained, (3, 4, 18, 3), **kwargs)


@register_model
def pvt_large(pretrained=False, **kwargs):
    return _create_pvt("pvt_large", pretrained, (3, 8, 27, 3), **kwargs)
