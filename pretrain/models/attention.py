"""Class-to-patch attention of a backbone, read from its normal forward pass.

Only the class row of one block is needed, so the tap keeps the block's fused attention kernel untouched and
captures the output of its ``qkv`` projection with a forward hook; the row ``softmax(q_cls k^T / sqrt(d))`` then
costs O(N*d) on top of the forward (no N x N matrix, no extra forward, no unfused attention).

    logits, attn, grid = forward_with_attention(model, x)   # attn: (B, h*w) head mean, detached, float32
"""

from __future__ import annotations

import torch
import torch.nn as nn


def _vit_blocks(model: nn.Module):
    blocks = getattr(model, "blocks", None)
    if blocks is None or not all(hasattr(b, "attn") and hasattr(b.attn, "qkv") for b in blocks):
        return None
    return list(blocks)


def _patch_size(model: nn.Module) -> tuple[int, int]:
    p = model.patch_embed.patch_size
    return (p, p) if isinstance(p, int) else tuple(p)


def class_row(qkv: torch.Tensor, attn_mod: nn.Module, n_prefix: int, per_head: bool = False) -> torch.Tensor:
    """Head-mean class-token attention over patch keys from a block's qkv output ``(B, N, 3C)``: ``(B, N - prefix)``
    (``(B, heads, N - prefix)`` with ``per_head``).

    Softmax over all keys (class key included), then the class->class entry is dropped, as TransMix does."""
    B, N, _ = qkv.shape
    heads = attn_mod.num_heads
    qkv = qkv.detach().float().reshape(B, N, 3, heads, -1)
    q = qkv[:, :1, 0].transpose(1, 2)  # (B, H, 1, d)
    k = qkv[:, :, 1].transpose(1, 2)  # (B, H, N, d)
    if not isinstance(attn_mod.q_norm, nn.Identity):
        q = attn_mod.q_norm(q.to(attn_mod.q_norm.weight.dtype)).float()
        k = attn_mod.k_norm(k.to(attn_mod.k_norm.weight.dtype)).float()
    a = ((q @ k.transpose(-2, -1)) * attn_mod.scale).softmax(-1)  # (B, H, 1, N)
    a = a[:, :, 0, n_prefix:]
    return a if per_head else a.mean(1)


def full_attention(qkv: torch.Tensor, attn_mod: nn.Module) -> torch.Tensor:
    """Head-mean full attention ``(B, N, N)`` (only for rollout, an ablation)."""
    B, N, _ = qkv.shape
    qkv = qkv.detach().float().reshape(B, N, 3, attn_mod.num_heads, -1).permute(2, 0, 3, 1, 4)
    q, k = qkv[0], qkv[1]
    return ((q @ k.transpose(-2, -1)) * attn_mod.scale).softmax(-1).mean(1)


def rollout(attns: list[torch.Tensor], n_prefix: int) -> torch.Tensor:
    """Attention rollout (Abnar & Zuidema 2020): product of ``0.5 A + 0.5 I`` row-normalised; class row, patches."""
    joint = None
    for a in attns:
        a = 0.5 * a + 0.5 * torch.eye(a.shape[-1], device=a.device)
        a = a / a.sum(-1, keepdim=True)
        joint = a if joint is None else a @ joint
    return joint[:, 0, n_prefix:]


class AttentionTap:
    """Hooks that record what is needed for the class attention during an ordinary forward.

    ``source``: ``"last"`` (last block), an int ``d`` (block d, 1-based), or ``"rollout"``. Models with their own
    class-attention stage (PVT, CaiT, XCiT, CA-Swin) provide ``class_attention_tap(source)`` instead."""

    def __init__(self, model: nn.Module, source="last"):
        blocks = _vit_blocks(model)
        if blocks is None:
            raise TypeError(f"{type(model).__name__} has no ViT blocks with a qkv projection; give it a "
                            "class_attention_tap() method")
        n = len(blocks)
        if source == "last":
            idx = [n - 1]
        elif source == "rollout":
            idx = list(range(n))
        elif isinstance(source, int) and 1 <= source <= n:
            idx = [source - 1]
        else:
            raise ValueError(f"attention source must be 'last', 'rollout' or a block number in [1, {n}], "
                             f"got {source!r}")
        self.source, self.blocks, self.idx = source, blocks, idx
        self.n_prefix = getattr(model, "num_prefix_tokens", 1)
        self.patch = _patch_size(model)
        self._qkv: dict[int, torch.Tensor] = {}
        self._hw: tuple[int, int] | None = None
        self.enabled = True
        self._handles = [blocks[i].attn.qkv.register_forward_hook(self._hook(i)) for i in idx]
        self._handles.append(model.register_forward_pre_hook(self._pre_hook))

    def _hook(self, i):
        def hook(_mod, _inp, out):
            if self.enabled:
                self._qkv[i] = out
        return hook

    def _pre_hook(self, _mod, args):
        if args and torch.is_tensor(args[0]):
            self._hw = tuple(args[0].shape[-2:])

    @property
    def grid(self) -> tuple[int, int]:
        return self._hw[0] // self.patch[0], self._hw[1] // self.patch[1]

    def attention(self, per_head: bool = False) -> torch.Tensor:
        """``(B, h*w)`` head mean (``(B, heads, h*w)`` with ``per_head``) of the last recorded forward."""
        if not self._qkv:
            raise RuntimeError("no forward pass recorded since the tap was attached")
        if self.source == "rollout":
            if per_head:
                raise ValueError("rollout has no per-head attention")
            out = rollout([full_attention(self._qkv[i], self.blocks[i].attn) for i in self.idx], self.n_prefix)
        else:
            i = self.idx[0]
            out = class_row(self._qkv[i], self.blocks[i].attn, self.n_prefix, per_head)
        self._qkv.clear()
        return out

    def remove(self) -> None:
        for h in self._handles:
            h.remove()


class QKTap:
    """Class attention of a block that computes its class query and keys with separate projections (CaiT/XCiT's
    ``ClassAttn``: ``q`` and ``k``; PVT's spatial-reduction attention with ``sr_ratio = 1``: ``q`` and ``kv``).

    Hooks the projections' outputs and forms ``softmax(q_cls k^T * scale)`` over all keys; the class key (index 0)
    is dropped afterwards. ``stride``: input pixels per token of that stage, for the grid."""

    def __init__(self, model, q_proj, k_proj, num_heads, scale, stride, k_from_kv=False):
        self.num_heads, self.scale, self.stride, self.k_from_kv = num_heads, scale, stride, k_from_kv
        self.source = "last"
        self._q = self._k = None
        self._hw = None
        self._handles = [q_proj.register_forward_hook(lambda m, i, o: setattr(self, "_q", o)),
                         k_proj.register_forward_hook(lambda m, i, o: setattr(self, "_k", o)),
                         model.register_forward_pre_hook(self._pre_hook)]

    def _pre_hook(self, _mod, args):
        if args and torch.is_tensor(args[0]):
            self._hw = tuple(args[0].shape[-2:])

    @property
    def grid(self):
        return self._hw[0] // self.stride, self._hw[1] // self.stride

    def attention(self, per_head: bool = False):
        if self._q is None:
            raise RuntimeError("no forward pass recorded since the tap was attached")
        q, k = self._q.detach().float(), self._k.detach().float()
        if q.dim() == 3:
            q = q[:, 0]
        B, C = q.shape
        if self.k_from_kv:
            k = k[..., :C]
        q = q.reshape(B, self.num_heads, 1, -1)
        k = k.reshape(B, k.shape[1], self.num_heads, -1).transpose(1, 2)  # (B, H, N, d)
        a = ((q @ k.transpose(-2, -1)) * self.scale).softmax(-1)  # (B, H, 1, N)
        self._q = self._k = None
        a = a[:, :, 0, 1:]
        return a if per_head else a.mean(1)

    def remove(self):
        for h in self._handles:
            h.remove()


def _timm_class_attention_tap(model: nn.Module, source):
    """Taps for timm models whose class attention lives in class-attention blocks (CaiT, XCiT)."""
    blocks = getattr(model, "blocks_token_only", None) or getattr(model, "cls_attn_blocks", None)
    if blocks is None:
        return None
    if source != "last":
        raise ValueError(f"{type(model).__name__} provides its last class-attention block only, got {source!r}")
    attn = blocks[-1].attn
    p = model.patch_embed.patch_size
    return QKTap(model, attn.q, attn.k, attn.num_heads, attn.scale, stride=p if isinstance(p, int) else p[0])


def attach_tap(model: nn.Module, source="last"):
    """The model's tap for ``source`` (created once and cached on the model)."""
    taps = model.__dict__.setdefault("_mixbench_taps", {})
    if source not in taps:
        maker = getattr(model, "class_attention_tap", None)
        tap = maker(source) if maker is not None else _timm_class_attention_tap(model, source)
        taps[source] = tap if tap is not None else AttentionTap(model, source)
    return taps[source]


def forward_with_attention(model: nn.Module, x: torch.Tensor, source="last", per_head: bool = False):
    """``(logits, attn (B, h*w), grid)`` from one forward pass of ``model`` on ``x`` (``(B, heads, h*w)`` with
    ``per_head``)."""
    tap = attach_tap(model, source)
    logits = model(x)
    return logits, tap.attention(per_head), tap.grid
