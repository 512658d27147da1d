"""Puzzle-Mix (Kim et al., ICML 2020; code snu-mllab/PuzzleMix@e2dbf3a ``imagenet/mixup.py`` and
``imagenet/train.py``, the 300-epoch ImageNet run), a TransMix Table 8 and MixPro Table 2 comparator.

Per batch: ``lam ~ Beta(alpha, alpha)``, a ``torch.randperm`` partner, a block grid ``block_num`` drawn uniformly from
``block_nums`` ({2, 4, 8, 16}); the saliency is one extra forward and backward of the model being trained on the
clean batch (eval mode, mean cross-entropy on the hard labels; ``train.py`` l.372-388) and is the per-pixel RMS
over channels of the input gradient, ``sqrt(mean_c(dL/dx^2))``. Then (``mixup.py`` ``mixup_graph`` l.82-197):

1. saliency average-pooled to the block grid and normalised to sum 1 per image (``S``, the partner's ``S[perm]``);
2. a smoothness term from the images pooled by ``neigh_size`` in pixel space: the mean absolute colour difference
   across each block border, for the four own/partner label pairs, times ``beta / block_num / 16 * gamma``, folded
   into the unaries and one weight per edge (l.131-160);
3. the mask: per image, a 3-label (``n_labels``) graph cut on the block grid, label ``l`` giving the block the mask
   value ``1 - l/2`` (1 = own image), unary ``(1 - t) U_own + t U_partner + eta * prior_l / block_num^2`` with the
   binomial prior of ``lam``, pairwise ``(i - j)^2 / 4`` per edge weight, all scaled by ``1000 block_num^2`` and cast
   to int32, solved by the same library and call as the original: gco's alpha-beta swap
   (``gco.cut_grid_graph(..., algorithm='swap')``, PyPI ``gco-wrapper``; ``graphcut_multi`` l.30-67);
4. transport (``transport``): each image's salient blocks are moved onto the blocks its mask keeps, by the
   original's greedy assignment (``mask_transport`` l.200-222: ``block_num`` rounds of row argmin, column resolve,
   the losers' cost + 1; cost ``t_eps * C - S_src * [mask_dst > 0]``, C the squared block distance over
   ``(block_num - 1)^2``); destination blocks nobody wins become 0; the same for the partner with ``1 - mask``;
5. ``mixed = M * own_T + (1 - M) * partner_T`` (M upsampled nearest); the label weight is the final mask's mean per
   image, not ``lam`` (``train.py`` l.412-415).

Defaults are the original ImageNet run's (``imagenet/README.md``; ``train.py`` l.106-130, neigh_size capped at 2
l.253): ``alpha`` 1, ``beta`` (the original's ``--p_beta``) 1.2, ``gamma`` 0.5, ``eta`` 0.2, ``neigh_size`` 2,
``n_labels`` 3, ``transport`` on with ``t_eps`` 0.8, ``clean_lam`` 0, mixing every batch. OpenMixup's DeiT configs
(Westlake-AI/openmixup@37e1372 ``configs/.../deit_*puzzlemix*``) differ: ``block_nums`` (2, 4, 8), ``neigh_size`` 4,
the label-smoothed head loss for the saliency: set those options to run its variant.

Deliberate differences: the transport applies the plan as a gather (the original's batched matmul gives the same
numbers); an image whose input gradient is all zero gets uniform saliency (the original divides 0 by 0); images must
be square with every ``block_nums`` entry dividing the side and ``neigh_size`` dividing the block (the original
crashes otherwise: ``check_geometry`` refuses such settings before training); the label keeps the run's label
smoothing (the DeiT recipe's, as OpenMixup's DeiT head; the original's ImageNet ResNet run has none).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from .core import MixBatch, Mixer, coin, mix_targets, np_rng

EPS = 1e-8  # graphcut_multi's eps inside the prior's logs (l.30)


def _check_square(H: int, W: int, block_nums, neigh_size: int) -> None:
    if H != W:
        raise ValueError(f"puzzlemix needs square images (the original's block grid is width // block_num), "
                         f"got {H}x{W}")
    bad = [b for b in block_nums if W % b or (W // b) % min(neigh_size, W // b)]
    if bad:
        ok = [b for b in (2, 4, 8, 16, 32) if W % b == 0 and (W // b) % min(neigh_size, W // b) == 0]
        raise ValueError(f"puzzlemix: block_nums {list(bad)} do not tile the {W}-px image into blocks that "
                         f"neigh_size {neigh_size} divides; valid here: {ok} (set method_kwargs.puzzlemix.block_nums)")


def neigh_penalty(a: torch.Tensor, b: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean absolute colour difference across block borders between pooled images ``a`` (the top / left block)
    and ``b`` (the bottom / right one): ``((B, n-1, n), (B, n, n-1))``; ``k`` pooled pixels per block."""
    dx = (a[:, :, :-1, :] - b[:, :, 1:, :])[:, :, k - 1::k, :]
    dy = (a[:, :, :, :-1] - b[:, :, :, 1:])[:, :, :, k - 1::k]
    return F.avg_pool2d(dx.abs().mean(1), kernel_size=(1, k)), F.avg_pool2d(dy.abs().mean(1), kernel_size=(k, 1))


def graph_cut(u_own: np.ndarray, u_partner: np.ndarray, pw_x: np.ndarray, pw_y: np.ndarray, lam: float,
              beta_n: float, eta: float, n_labels: int = 3) -> np.ndarray:
    """One image's mask ``(n, n)`` with values ``1 - l/(n_labels-1)``: gco's alpha-beta swap on the int32 energy the
    original builds (``graphcut_multi``). ``u_own``: cost of keeping the own image (label 0), ``u_partner``: of
    taking the partner's (the last label); ``pw_x`` ``(n-1, n)``, ``pw_y`` ``(n, n-1)`` per-edge weights."""
    import gco

    n = u_own.shape[0]
    large = 1000 * n ** 2
    t = np.linspace(0, 1, n_labels)
    prior = -np.log(np.array([math.comb(n_labels - 1, i) * lam ** (n_labels - 1 - i) * (1 - lam) ** i
                              for i in range(n_labels)]) + EPS)
    prior = eta * prior / n ** 2
    unary = (large * np.stack([(1 - t[i]) * u_own + t[i] * u_partner + prior[i] for i in range(n_labels)],
                              axis=-1)).astype(np.int32)
    idx = np.arange(n_labels)
    pairwise = ((idx[:, None] - idx[None, :]) ** 2 / (n_labels - 1) ** 2).astype(np.float32)
    cost_v = (large * (pw_x + beta_n)).astype(np.int32)
    cost_h = (large * (pw_y + beta_n)).astype(np.int32)
    labels = gco.cut_grid_graph(unary, pairwise, cost_v, cost_h, algorithm="swap")
    return (1.0 - labels / (n_labels - 1)).reshape(n, n)


def _cost_matrix(n: int, device) -> torch.Tensor:
    r = torch.arange(n * n, device=device)
    i, j = r // n, r % n
    c = ((i[:, None] - i[None, :]) ** 2 + (j[:, None] - j[None, :]) ** 2).float()
    return c / (n - 1) ** 2


def mask_transport(mask: torch.Tensor, sal: torch.Tensor, eps: float) -> torch.Tensor:
    """The original's greedy transport plan ``(B, n*n, n*n)`` (source block, destination block), 0/1, at most one
    winner per destination: ``mask`` ``(B, 1, n, n)`` (destinations: blocks with ``mask > 0``), ``sal`` ``(B, n, n)``
    (the normalised block saliency of the source)."""
    n = mask.shape[-1]
    z = (mask > 0).float()
    cost = eps * _cost_matrix(n, mask.device)[None] - sal.reshape(-1, n * n, 1) * z.reshape(-1, 1, n * n)
    plan_win = torch.zeros_like(cost)
    for _ in range(n):
        row_best = cost.min(-1)[1]
        plan = torch.zeros_like(cost).scatter_(-1, row_best.unsqueeze(-1), 1)
        col_best = (plan * cost).min(-2)[1]
        plan_win = torch.zeros_like(cost).scatter_(-2, col_best.unsqueeze(-2), 1) * plan
        cost += (1 - plan_win) * plan
    return plan_win


def transport_image(img: torch.Tensor, plan: torch.Tensor, n: int) -> torch.Tensor:
    """Destination block ``j`` takes the source block that won it (zeros where nobody did)."""
    B, C, H, W = img.shape
    s = H // n
    blocks = img.reshape(B, C, n, s, n, s).permute(0, 2, 4, 1, 3, 5).reshape(B, n * n, C, s, s)
    src = plan.argmax(1)  # (B, n*n): the source of each destination
    won = plan.sum(1) > 0
    out = blocks.gather(1, src[:, :, None, None, None].expand_as(blocks)) * won[:, :, None, None, None]
    return out.reshape(B, n, n, C, s, s).permute(0, 3, 1, 4, 2, 5).reshape(B, C, H, W)


def puzzle_mix(x: torch.Tensor, saliency: torch.Tensor, perm: torch.Tensor, block_num: int, lam: float,
               beta: float, gamma: float, eta: float, neigh_size: int, n_labels: int, mean: torch.Tensor,
               std: torch.Tensor, transport: bool = True, t_eps: float = 0.8):
    """``(mixed, ratio, mask)``: the original's ``mixup_graph`` on normalised images ``x`` ``(B, C, W, W)`` with
    the pixel saliency ``(B, W, W)``; ``ratio`` ``(B,)`` is the own image's share (the final mask's mean) and
    ``mask`` ``(B, W, W)`` is 1 where the pixel is the own image's, 0 the partner's, 0.5 a blend."""
    B, _, H, W = x.shape
    _check_square(H, W, [block_num], neigh_size)
    x1, x2 = x, x[perm]
    block = W // block_num
    neigh = min(neigh_size, block)
    beta_n = beta / block_num / 16
    pool = F.avg_pool2d(saliency[:, None].float(), block)[:, 0]
    total = pool.reshape(B, -1).sum(1).reshape(B, 1, 1)
    s1 = torch.where(total > 0, pool / total.clamp_min(torch.finfo(pool.dtype).tiny),
                     torch.full_like(pool, 1.0 / block_num ** 2))
    s2 = s1[perm]
    p1 = F.avg_pool2d(x1.float() * std + mean, neigh)
    p2 = p1[perm]
    k = block // neigh
    pairs = {(0, 0): (p2, p2), (0, 1): (p2, p1), (1, 0): (p1, p2), (1, 1): (p1, p1)}  # (top/left, bottom/right)
    px, py = {}, {}
    for key, (a, b) in pairs.items():  # 1 = own image, 0 = partner
        dx, dy = neigh_penalty(a, b, k)
        px[key], py[key] = beta_n * gamma * dx, beta_n * gamma * dy
    u_own, u_partner = s2.clone(), s1.clone()  # keeping the own block loses the partner's saliency, and vice versa
    u_own[:, :-1, :] += (px[1, 0] + px[1, 1]) / 2
    u_partner[:, :-1, :] += (px[0, 1] + px[0, 0]) / 2
    u_own[:, 1:, :] += (px[0, 1] + px[1, 1]) / 2
    u_partner[:, 1:, :] += (px[1, 0] + px[0, 0]) / 2
    u_own[:, :, :-1] += (py[1, 0] + py[1, 1]) / 2
    u_partner[:, :, :-1] += (py[0, 1] + py[0, 0]) / 2
    u_own[:, :, 1:] += (py[0, 1] + py[1, 1]) / 2
    u_partner[:, :, 1:] += (py[1, 0] + py[0, 0]) / 2
    wx = ((px[1, 0] + px[0, 1] - px[1, 1] - px[0, 0]) / 2).cpu().numpy()
    wy = ((py[1, 0] + py[0, 1] - py[1, 1] - py[0, 0]) / 2).cpu().numpy()
    u_own, u_partner = u_own.cpu().numpy(), u_partner.cpu().numpy()
    masks = [graph_cut(u_own[i], u_partner[i], wx[i], wy[i], lam, beta_n, eta, n_labels) for i in range(B)]
    mask = torch.tensor(np.stack(masks), dtype=torch.float32, device=x.device)[:, None]
    if transport:
        x1 = transport_image(x1, mask_transport(mask, s1, t_eps), block_num)
        x2 = transport_image(x2, mask_transport(1 - mask, s2, t_eps), block_num)
    mask = F.interpolate(mask, size=(H, W))  # nearest
    ratio = mask.reshape(B, -1).mean(-1)
    return (mask * x1 + (1 - mask) * x2).to(x.dtype), ratio, mask[:, 0]


def input_saliency(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, autocast=None) -> torch.Tensor:
    """``sqrt(mean_c (dL/dx)^2)`` ``(B, H, W)`` of the mean cross-entropy on the hard labels, the model in eval mode
    (``train.py`` l.374-388); only the input's gradient is computed (no parameter gradient is accumulated, so a DDP
    replica syncs nothing: the original's backward followed by ``optimizer.zero_grad()``)."""
    import contextlib

    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            xg = x.detach().requires_grad_(True)
            with (autocast() if autocast is not None else contextlib.nullcontext()):
                logits = model(xg)
            loss = F.cross_entropy(logits.float(), y)
            (grad,) = torch.autograd.grad(loss, xg)
    finally:
        model.train(was_training)
    return grad.float().pow(2).mean(1).sqrt()


class PuzzleMix(Mixer):
    name = "puzzlemix"
    needs_model = True  # the saliency is the trained model's input gradient: mixer.bind(model) before mixing

    def __init__(self, num_classes: int, smoothing: float = 0.1, prob: float = 1.0, alpha: float = 1.0,
                 block_nums=(2, 4, 8, 16), beta: float = 1.2, gamma: float = 0.5, eta: float = 0.2,
                 neigh_size: int = 2, n_labels: int = 3, transport: bool = True, t_eps: float = 0.8,
                 input_mean=(0.485, 0.456, 0.406), input_std=(0.229, 0.224, 0.225)):
        super().__init__(num_classes, smoothing, prob)
        if n_labels < 2:
            raise ValueError(f"n_labels must be >= 2 (the original: 2, 3 or 4), got {n_labels}")
        if not block_nums or any(int(b) < 2 for b in block_nums):
            raise ValueError(f"block_nums must list grid sizes >= 2 (original: 2, 4, 8, 16), got {block_nums!r}")
        self.alpha, self.block_nums, self.beta, self.gamma, self.eta = alpha, tuple(int(b) for b in block_nums), \
            beta, gamma, eta
        self.neigh_size, self.n_labels, self.transport, self.t_eps = neigh_size, n_labels, bool(transport), t_eps
        self.input_mean, self.input_std = tuple(input_mean), tuple(input_std)
        self._model, self._autocast = None, None

    def bind(self, model: torch.nn.Module, autocast=None) -> PuzzleMix:
        """The model whose input gradient is the saliency (the bare module, not a DDP or compiled wrapper)."""
        self._model, self._autocast = model, autocast
        return self

    @classmethod
    def check_geometry(cls, img_size, token_stride: int, **options) -> None:
        _check_square(*img_size, options.get("block_nums", cls.default("block_nums")),
                      options.get("neigh_size", cls.default("neigh_size")))

    def mix(self, x, y, generator) -> MixBatch:
        if self._model is None:
            raise RuntimeError("puzzlemix needs the model being trained for its saliency: call mixer.bind(model)")
        rng = np_rng(generator)
        lam = float(rng.beta(self.alpha, self.alpha))
        perm = torch.randperm(x.shape[0], generator=generator)
        block_num = self.block_nums[int(rng.integers(0, len(self.block_nums)))]
        sal = input_saliency(self._model, x, y, self._autocast)
        mean = torch.tensor(self.input_mean, device=x.device).view(1, -1, 1, 1)
        std = torch.tensor(self.input_std, device=x.device).view(1, -1, 1, 1)
        with torch.no_grad():
            mixed, ratio, mask = puzzle_mix(x, sal, perm.to(x.device), block_num, lam, self.beta, self.gamma,
                                            self.eta, self.neigh_size, self.n_labels, mean, std, self.transport,
                                            self.t_eps)
        return MixBatch(mixed, y, 1 - ratio, "puzzlemix", region=1 - mask, partner=perm.to(y.device),
                        extra={"block_num": block_num})

    def __call__(self, x, y, generator) -> MixBatch:
        if not coin(generator, self.prob):
            return MixBatch(x, y, torch.zeros(x.shape[0], device=x.device))
        return self.mix(x, y, generator)

    def targets(self, batch, logits=None, attn=None, grid=None, progress=0.0):
        return mix_targets(batch.y, batch.lam, self.num_classes, self.smoothing, batch.partner)
