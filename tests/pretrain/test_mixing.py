"""Mixing methods: a contract over every registered method, and hand-computed cases per method."""

import math

import numpy as np
import pytest
import timm
import torch
import torch.nn as nn

from pretrain.mixing import (
    MIXERS,
    MixBatch,
    attention_lambda,
    create_mixer,
    maskmix_mask,
    mix_targets,
    pal_alpha,
    smooth_one_hot,
    transmix_lambda,
)
from pretrain.mixing.gridmix import grid_holes
from pretrain.mixing.tokenmix import block_token_mask
from pretrain.models import create_backbone, forward_with_attention

K = 10


class MapNet(nn.Module):
    """A frozen 'external model' whose feature map is given: features (B, K, h, w), identity classifier."""

    def __init__(self, maps):
        super().__init__()
        self.maps = maps
        self.head = nn.Linear(maps.shape[1], maps.shape[1], bias=False)
        self.head.weight.data = torch.eye(maps.shape[1])

    def forward_features(self, x):
        return self.maps[: x.shape[0]].to(x.device)

    def get_classifier(self):
        return self.head


def _kwargs(name):
    if name == "tokenmix":
        return dict(teacher=timm.create_model("resnet10t", num_classes=K), patch_size=8)
    if name == "attentive_cutmix":
        return dict(model=timm.create_model("resnet10t", num_classes=K), grid=4, top_k=3)
    if name in ("maskmix", "mixpro"):
        return dict(patch_size=8, scale=1)
    return {}


@pytest.fixture(scope="module")
def vit():
    torch.manual_seed(0)
    return create_backbone("deit_t", img_size=32, patch_size=8, num_classes=K).eval()


@pytest.fixture(scope="module")
def data():
    g = torch.Generator().manual_seed(1)
    return torch.rand(8, 3, 32, 32, generator=g), torch.arange(8) % K


# ------------------------------------------------------------------------------------------------ contract


@pytest.mark.parametrize("name", list(MIXERS))
def test_contract(name, vit, data):
    x, y = data
    mixer = create_mixer(name, K, **_kwargs(name))
    if getattr(mixer, "needs_model", False):  # Puzzle-Mix: the trained model's input gradient
        mixer.bind(vit)
    kinds = set()
    for seed in range(6):
        g = torch.Generator().manual_seed(seed)
        batch = mixer(x, y, g)
        kinds.add(batch.kind)
        assert batch.x.shape == x.shape and batch.x.dtype == x.dtype
        assert batch.lam.shape == (8,) and ((batch.lam >= 0) & (batch.lam <= 1)).all()
        logits, attn, grid = forward_with_attention(vit, batch.x)
        t = mixer.targets(batch, logits=logits, attn=attn, grid=grid, progress=0.5)
        assert t.shape == (8, K) and t.dtype == torch.float32 and (t >= -1e-7).all()
        if mixer.loss == "soft_ce":
            torch.testing.assert_close(t.sum(1), torch.ones(8))
        else:
            assert (t <= 1 + 1e-6).all() and (t.sum(1) <= 1 + 1e-5).all()
        # same generator seed -> same output
        g2 = torch.Generator().manual_seed(seed)
        batch2 = mixer(x, y, g2)
        assert batch2.kind == batch.kind
        torch.testing.assert_close(batch2.x, batch.x, rtol=0, atol=0)
        torch.testing.assert_close(mixer.targets(batch2, logits=logits, attn=attn, grid=grid, progress=0.5), t)
        loss = mixer.criterion()(logits, t)
        assert torch.isfinite(loss)
    if name != "none":
        assert kinds != {"none"}
    # identity when mixing is off
    off = create_mixer(name, K, **_kwargs(name)) if name == "none" else create_mixer(name, K, prob=0.0,
                                                                                     **_kwargs(name))
    b = off(x, y, torch.Generator().manual_seed(0))
    assert torch.equal(b.x, x)
    logits, attn, grid = forward_with_attention(vit, b.x)
    torch.testing.assert_close(off.targets(b, logits=logits, attn=attn, grid=grid), smooth_one_hot(y, K, 0.1))


def test_unknown_method_and_key_list_valid_ones():
    with pytest.raises(KeyError, match="transmix"):
        create_mixer("transmixx", K)
    with pytest.raises(KeyError, match="switch_prob"):
        create_mixer("deit", K, **{"mixup-switch-prob": 0.8})  # the TransMix config typo, now an error


def test_odd_batch_is_refused(data):
    x, y = data
    with pytest.raises(ValueError, match="even"):
        create_mixer("cutmix", K)(x[:7], y[:7], torch.Generator().manual_seed(0))


# --------------------------------------------------------------------------------- the four public functions


def test_attention_lambda_hand_computed():
    attn = torch.tensor([[1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0]])
    m = torch.zeros(4, 4)
    m[0:2, 0:2] = 1  # patch 0 of a 2x2 grid
    torch.testing.assert_close(attention_lambda(m, attn, (2, 2)), torch.tensor([0.1, 0.4]))
    m2 = torch.zeros(4, 4)
    m2[1, 1] = m2[3, 3] = 1  # not the top-left pixel of any patch: counts nothing
    torch.testing.assert_close(attention_lambda(m2, attn, (2, 2)), torch.zeros(2))
    per_sample = torch.stack([m, 1 - m])  # (B, H, W)
    torch.testing.assert_close(attention_lambda(per_sample, attn, (2, 2)), torch.tensor([0.1, 0.6]))
    with pytest.raises(ValueError, match="h\\*w"):
        attention_lambda(m, attn, (3, 3))


def test_transmix_lambda_hand_computed():
    attn = torch.tensor([[1.0, 1.0, 1.0, 1.0], [3.0, 1.0, 0.0, 0.0]])
    top_half = (0, 2, 0, 4)  # patches 0, 1; area 0.5
    torch.testing.assert_close(transmix_lambda(top_half, (4, 4), attn, (2, 2), "attn"), torch.tensor([0.5, 1.0]))
    torch.testing.assert_close(transmix_lambda(top_half, (4, 4), attn, (2, 2)), torch.tensor([0.5, 0.75]))
    centre = (1, 3, 1, 3)  # only patch 3's top-left pixel (2, 2) is inside; area 4/16
    torch.testing.assert_close(transmix_lambda(centre, (4, 4), attn, (2, 2)), torch.tensor([0.25, 0.125]))
    with pytest.raises(ValueError, match="lam_mode"):
        transmix_lambda(centre, (4, 4), attn, (2, 2), "paper")


def test_maskmix_mask_exact_cells_per_sample():
    g = torch.Generator().manual_seed(0)
    m = maskmix_mask(8, (32, 48), 8, 5, g)  # 4 x 6 = 24 cells of 8 px
    assert m.shape == (8, 32, 48) and set(m.unique().tolist()) == {0.0, 1.0}
    cells = m[:, ::8, ::8]
    assert (cells.flatten(1).sum(1) == 5).all()
    torch.testing.assert_close(m, cells.repeat_interleave(8, 1).repeat_interleave(8, 2))  # whole cells
    torch.testing.assert_close(m.mean((1, 2)), torch.full((8,), 5 / 24))
    assert len({tuple(c.flatten().tolist()) for c in cells}) > 1  # per-sample positions
    torch.testing.assert_close(maskmix_mask(8, (32, 48), 8, 5, torch.Generator().manual_seed(0)), m)
    with pytest.raises(ValueError, match="divide"):
        maskmix_mask(2, (30, 32), 8, 1, g)


def test_pal_alpha_one_hot_prediction():
    probs = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    target = torch.tensor([[0.7, 0.3, 0.0], [0.7, 0.3, 0.0]])
    expect = torch.tensor([0.7, 0.3]) / math.sqrt(0.58)
    torch.testing.assert_close(pal_alpha(probs, target), expect)


# ----------------------------------------------------------------------------------------- per method


def test_mixup_and_cutmix_inputs_and_labels(data):
    x, y = data
    b = create_mixer("mixup", K)(x, y, torch.Generator().manual_seed(3))
    lam_self = 1 - float(b.lam[0])
    torch.testing.assert_close(b.x, lam_self * x + (1 - lam_self) * x.flip(0))
    b = create_mixer("cutmix", K)(x, y, torch.Generator().manual_seed(3))
    yl, yh, xl, xh = b.box
    assert math.isclose(float(b.lam[0]), (yh - yl) * (xh - xl) / 1024)
    torch.testing.assert_close(b.x[..., yl:yh, xl:xh], x.flip(0)[..., yl:yh, xl:xh])
    outside = torch.ones(32, 32, dtype=torch.bool)
    outside[yl:yh, xl:xh] = False
    torch.testing.assert_close(b.x[..., outside], x[..., outside])
    t = create_mixer("cutmix", K).targets(b)
    lam = float(b.lam[0])
    assert math.isclose(float(t[0, y[0]]), (1 - lam) * 0.91 + lam * 0.01, rel_tol=1e-5)


def test_deit_switch_frequency(data):
    x, y = data
    mixer = create_mixer("deit", K)
    g = torch.Generator().manual_seed(0)
    kinds = [mixer(x, y, g).kind for _ in range(400)]
    assert 0.43 < kinds.count("cutmix") / 400 < 0.57 and set(kinds) == {"cutmix", "mixup"}


def _cutmix_batch(x, y, box):
    region = torch.zeros(x.shape[-2:])
    region[box[0]:box[1], box[2]:box[3]] = 1
    area = float(region.mean())
    return MixBatch(x, y, torch.full((x.shape[0],), area), "cutmix", region=region, box=box)


def test_transmix_relabels_cutmix_batches_per_sample(data):
    x, y = data
    x, y = x[:2], y[:2]
    attn = torch.tensor([[1.0] * 16, [0.0] * 15 + [1.0]])  # sample 1 looks only at patch 15 (bottom right)
    box = (16, 32, 16, 32)  # bottom-right quarter: patches 10, 11, 14, 15 of the 4x4 grid
    tm = create_mixer("transmix", K)
    t = tm.targets(_cutmix_batch(x, y, box), attn=attn, grid=(4, 4))
    lam = torch.tensor([(0.25 + 0.25) / 2, (0.25 + 1.0) / 2])
    torch.testing.assert_close(t, mix_targets(y, lam, K))
    t = create_mixer("transmix", K, lam_mode="attn").targets(_cutmix_batch(x, y, box), attn=attn, grid=(4, 4))
    torch.testing.assert_close(t, mix_targets(y, torch.tensor([0.25, 1.0]), K))
    mixup = MixBatch(x, y, torch.full((2,), 0.3), "mixup")
    torch.testing.assert_close(tm.targets(mixup, attn=attn, grid=(4, 4)), mix_targets(y, mixup.lam, K))
    with pytest.raises(ValueError, match="attention"):
        tm.targets(_cutmix_batch(x, y, box))


def test_maskmix_area_label(data):
    x, y = data
    mixer = create_mixer("maskmix", K, patch_size=8, scale=1, maskmix_prob=1.0)
    b = mixer(x, y, torch.Generator().manual_seed(5))
    assert b.kind == "maskmix"
    torch.testing.assert_close(b.lam, b.region.mean((1, 2)))
    n_keep = round((1 - float(b.lam[0])) * 16)
    assert math.isclose(float(b.lam[0]), 1 - n_keep / 16)
    keep = (1 - b.region)[:, None]
    torch.testing.assert_close(b.x, x * keep + x[b.partner] * (1 - keep))
    with pytest.raises(ValueError, match="divide"):
        create_mixer("maskmix", K, patch_size=16, scale=4, maskmix_prob=1.0)(x, y, torch.Generator())


def _maskmix_batch(x, y):
    region = torch.zeros(2, 32, 32)
    region[:, :16] = 1  # top half from the partner: patches 0..7
    return MixBatch(x[:2], y[:2], torch.full((2,), 0.5), "maskmix", region=region)


def test_mixpro_pal_hand_computed(data):
    x, y = data
    b = _maskmix_batch(x, y)
    attn = torch.tensor([[1.0] * 16, [1.0] * 4 + [0.0] * 12])  # lam_attn = 0.5, 1.0
    logits = torch.full((2, K), -30.0)
    logits[0, y[0]] = 30.0  # one-hot prediction of the sample's own class
    logits[1, y[1]] = 30.0
    mixer = create_mixer("mixpro", K, patch_size=8, scale=1)
    area_t = mix_targets(b.y, b.lam, K)
    alpha = area_t[:, y[:2]].diagonal() / area_t.norm(dim=1)  # cosine with a one-hot
    lam = alpha * torch.tensor([0.5, 1.0]) + (1 - alpha) * 0.5
    torch.testing.assert_close(mixer.targets(b, logits=logits, attn=attn, grid=(4, 4)), mix_targets(b.y, lam, K))
    for strategy, a in (("equal", 0.5), ("linear", 0.3), ("parabolic", 0.09)):
        m = create_mixer("mixpro", K, patch_size=8, scale=1, alpha_strategy=strategy)
        lam = a * torch.tensor([0.5, 1.0]) + (1 - a) * 0.5
        torch.testing.assert_close(m.targets(b, logits=logits, attn=attn, grid=(4, 4), progress=0.3),
                                   mix_targets(b.y, lam, K))
    nosmooth = create_mixer("mixpro", K, patch_size=8, scale=1, alpha_strategy="equal", pal_smoothing=False)
    t = nosmooth.targets(b, logits=logits, attn=attn, grid=(4, 4))
    torch.testing.assert_close(t, mix_targets(b.y, torch.tensor([0.5, 0.75]), K, smoothing=0.0))


def test_mixpro_alpha_gradient_switches(data):
    x, y = data
    b = _maskmix_batch(x, y)
    attn = torch.tensor([[1.0] * 16, [1.0] * 4 + [0.0] * 12])
    for detach, expect_grad in ((True, False), (False, True)):
        logits = torch.randn(2, K, requires_grad=True)
        t = create_mixer("mixpro", K, patch_size=8, scale=1, detach_alpha=detach).targets(
            b, logits=logits, attn=attn, grid=(4, 4))
        assert t.requires_grad == expect_grad
    m = create_mixer("mixpro", K, patch_size=8, scale=1, alpha_strategy="learnable")
    (p,) = m.parameters()
    logits = torch.randn(2, K)
    loss = m.criterion()(logits, m.targets(b, logits=logits, attn=attn, grid=(4, 4)))
    loss.backward()
    assert p.grad is not None and p.grad.abs() > 0


def test_tokenmix_teacher_map_labels(data):
    x, y = data
    x, y = x[:2], torch.tensor([1, 2])
    maps = torch.zeros(2, K, 2, 2)
    maps[0, 1] = torch.tensor([[3.0, 1.0], [0.0, 0.0]])  # image 0's class-1 map: 3/4 on token 0, 1/4 on token 1
    maps[1, 2] = torch.tensor([[0.0, 0.0], [1.0, 1.0]])  # image 1's class-2 map: 1/2 on tokens 2, 3
    mixer = create_mixer("tokenmix", K, teacher=MapNet(maps), patch_size=16, mix_fraction=0.5, tokenmix_prob=1.0,
                         mask_type="random")
    b = mixer(x, y, torch.Generator().manual_seed(0))
    tok = b.region[:, ::16, ::16].flatten(1)  # (2, 4) 1 = token pasted from the partner
    cam = maps[:, [1, 2]].diagonal().permute(2, 0, 1).flatten(1)
    cam = cam / cam.sum(1, keepdim=True)
    s_a = (cam * (1 - tok)).sum(1)
    s_b = (cam.flip(0) * tok).sum(1)
    expect = torch.zeros(2, K)
    expect[0, 1], expect[0, 2] = s_a[0], s_b[0]
    expect[1, 2], expect[1, 1] = s_a[1], s_b[1]
    mixer.target_smoothing = "none"
    torch.testing.assert_close(mixer.targets(b), expect)
    mixer.target_smoothing = "official"  # every class 0.1/K, then -0.05 on each of the two labelled classes
    expect = expect + 0.1 / K
    expect[0, 1] -= 0.05
    expect[0, 2] -= 0.05
    expect[1, 2] -= 0.05
    expect[1, 1] -= 0.05
    torch.testing.assert_close(mixer.targets(b), expect)
    assert torch.equal(tok[0], tok[1]) and (tok.sum(1) == 2).all() and mixer.loss == "bce"  # one mask per batch
    with pytest.raises(ValueError, match="teacher"):
        create_mixer("tokenmix", K)


def test_block_token_mask_exact_count():
    g = torch.Generator().manual_seed(0)
    for n in (1, 5, 9, 14):
        assert int(block_token_mask((4, 4), n, g).sum()) == n
    assert int(block_token_mask((14, 14), 112, g).sum()) == 112


def test_gridmix_holes_hand_computed():
    m = grid_holes((4, 4), n=2, ratio=0.5, offset=(0.0, 0.0))
    expect = torch.zeros(4, 4)
    expect[0::2, 0::2] = 1
    torch.testing.assert_close(m, expect)
    assert float(grid_holes((32, 32), 4, 0.5, (0.3, 0.6)).mean()) == 0.25


def test_attentive_cutmix_pastes_partner_top_cells(data):
    x, y = data
    x, y = x[:2], y[:2]
    maps = torch.zeros(2, 1, 4, 4)
    maps[1, 0, 0, 0] = maps[1, 0, 3, 3] = 5.0  # image 1 (partner of 0): cells 0 and 15 are its hottest
    maps[0, 0, 1, 2] = maps[0, 0, 2, 1] = 5.0  # image 0 (partner of 1): cells 6 and 9
    mixer = create_mixer("attentive_cutmix", K, model=MapNet(maps), grid=4, top_k=2, switch_prob=1.0)
    b = mixer(x, y, torch.Generator().manual_seed(0))
    cells = b.region[:, ::8, ::8].flatten(1)
    assert cells[0].nonzero().flatten().tolist() == [0, 15]
    assert cells[1].nonzero().flatten().tolist() == [6, 9]
    torch.testing.assert_close(b.lam, torch.full((2,), 2 / 16))


def test_saliencymix_box_is_centred_on_partner_peak(data):
    x, y = data
    from pretrain.mixing.saliencymix import spectral_residual_saliency

    x = x[:2] * 0.2 + 0.4
    x[1, :, 20:23, 6:9] = 1.0  # a bright dot in the partner of sample 0
    cy, cx = divmod(int(spectral_residual_saliency(x[1:])[0].argmax()), 32)
    assert 19 <= cy <= 23 and 5 <= cx <= 9
    mixer = create_mixer("saliencymix", K, switch_prob=1.0)
    for seed in range(5):
        b = mixer(x, y[:2], torch.Generator().manual_seed(seed))
        yl, yh, xl, xh = b.box
        if yh - yl > 1 and xh - xl > 1:
            assert yl <= cy < yh and xl <= cx < xh
            assert abs((yl + yh) / 2 - cy) <= 1 or yl == 0 or yh == 32
        assert math.isclose(float(b.lam[0]), float(b.region.mean()))


# ---------------------------------------------------------------------------------------- attention tap


def test_tap_matches_explicit_attention_and_keeps_fused_kernel(vit, data):
    x, _ = data
    logits, attn, grid = forward_with_attention(vit, x)
    assert grid == (4, 4) and attn.shape == (8, 16) and not attn.requires_grad
    blk = vit.blocks[-1]
    assert all(b.attn.fused_attn for b in vit.blocks) or not timm.layers.use_fused_attn()
    captured = {}
    h = blk.attn.register_forward_pre_hook(lambda m, a: captured.setdefault("x", a[0]))
    with torch.no_grad():
        ref_logits = vit(x)
    h.remove()
    t = captured["x"]
    B, N, C = t.shape
    qkv = blk.attn.qkv(t).reshape(B, N, 3, blk.attn.num_heads, C // blk.attn.num_heads).permute(2, 0, 3, 1, 4)
    a = (qkv[0] @ qkv[1].transpose(-2, -1) * blk.attn.scale).softmax(-1)  # (B, H, N, N)
    torch.testing.assert_close(attn, a[:, :, 0, 1:].mean(1), rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(logits, ref_logits)
    _, a6, _ = forward_with_attention(vit, x, source=6)
    _, ar, _ = forward_with_attention(vit, x, source="rollout")
    assert a6.shape == ar.shape == (8, 16) and not torch.allclose(a6, attn)
    torch.testing.assert_close(ar.sum(1) + 0 * ar[:, 0], ar.sum(1))
    with pytest.raises(ValueError, match="block number"):
        forward_with_attention(vit, x, source=13)


def test_external_attention_provider(vit, data):
    x, y = data
    tm = create_mixer("transmix", K, attn_source="external", attn_model=vit)
    b = _cutmix_batch(x, y, (0, 16, 0, 32))
    _, attn, grid = forward_with_attention(vit, x)
    torch.testing.assert_close(tm.targets(b), create_mixer("transmix", K).targets(b, attn=attn, grid=grid))
    with pytest.raises(ValueError, match="attn_model"):
        create_mixer("transmix", K, attn_source="external")


class _Draws:
    """A numpy-Generator stand-in that returns fixed integer draws (the box centre)."""

    def __init__(self, *values):
        self.values = list(values)

    def integers(self, lo, hi):
        return self.values.pop(0)


def test_cutmix_box_rounding_of_the_originals_timm():
    """TransMix / TokenMix pin timm 0.5.4 and MixPro 0.4.12, whose rand_bbox ends the box at c + cut // 2; timm 1.0.31
    (installed) at c + (cut + 1) // 2. 224 px, lam 0.3 (cut 187), centre (100, 50)."""
    import numpy as np
    from timm.data.mixup import rand_bbox

    from pretrain.mixing.core import cutmix_box

    assert cutmix_box((224, 224), 0.3, _Draws(100, 50)) == (7, 193, 0, 143)  # timm 0.5.4: area 26598
    assert cutmix_box((224, 224), 0.3, _Draws(100, 50), "ceil") == (7, 194, 0, 144)  # area 26928
    np.random.seed(0)
    cy, cx = np.random.randint(0, 224), np.random.randint(0, 224)
    np.random.seed(0)
    assert tuple(int(v) for v in rand_bbox((3, 224, 224), 0.3)) == cutmix_box((224, 224), 0.3, _Draws(cy, cx), "ceil")
    with pytest.raises(ValueError, match="box_rounding"):
        cutmix_box((224, 224), 0.3, _Draws(1, 1), "round")
    for name in ("cutmix", "deit", "transmix"):
        assert create_mixer(name, 10).box_rounding == "floor"
        assert create_mixer(name, 10, box_rounding="ceil").box_rounding == "ceil"


def test_mixpro_pal_alpha_uses_the_smoothed_area_target():
    """fistyee/MixPro@53a229e main.py l.288-310 on K=4, smoothing 0.1, y=[0,1] paired with each other, own-cell share
    0.75, patch mask (1 = own) [[1,1,1,0],[1,0,0,1]], attention [[.1,.2,.3,.4],[.25]*4], softmax
    [[.5,.3,.1,.1],[.2,.6,.1,.1]]: alpha = cos(smoothed area target, softmax) = [0.963076, 0.984945], own weight
    [0.605539, 0.503764], loss target unsmoothed (pal_smoothing=False, the original's loss)."""
    from pretrain.mixing.core import MixBatch

    own = torch.tensor([[1.0, 1, 1, 0], [1, 0, 0, 1]])
    batch = MixBatch(torch.zeros(2, 3, 2, 2), torch.tensor([0, 1]), torch.tensor([0.25, 0.25]), "maskmix",
                     region=(1 - own).view(2, 2, 2), partner=torch.tensor([1, 0]))
    attn = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.25] * 4])
    logits = torch.tensor([[0.5, 0.3, 0.1, 0.1], [0.2, 0.6, 0.1, 0.1]]).log()
    mp = create_mixer("mixpro", 4, pal_smoothing=False, patch_size=1, scale=1)
    t = mp.targets(batch, logits=logits, attn=attn, grid=(2, 2))
    want = torch.tensor([[0.605539, 0.394461, 0, 0], [0.496236, 0.503764, 0, 0]])
    torch.testing.assert_close(t, want, atol=2e-6, rtol=0)
    # smoothing kept in the loss target (the default): the same alpha, the weights on smoothed one-hots
    t = create_mixer("mixpro", 4, patch_size=1, scale=1).targets(batch, logits=logits, attn=attn, grid=(2, 2))
    torch.testing.assert_close(t[0], 0.605539 * torch.tensor([0.925, 0.025, 0.025, 0.025])
                               + 0.394461 * torch.tensor([0.025, 0.925, 0.025, 0.025]), atol=2e-6, rtol=0)


@pytest.mark.parametrize("pairing", ["randperm", "flip"])
def test_maskmix_pairing(pairing):
    """The original pairs by torch.randperm(B) per batch (a sample may draw itself); 'flip' is timm's pairing. The
    pasted cells and the partner label come from the same partner."""
    from pretrain.mixing.maskmix import maskmix_batch

    g = torch.Generator().manual_seed(3)
    x = torch.arange(8, dtype=torch.float).view(8, 1, 1, 1).expand(8, 3, 16, 16).contiguous()
    y = torch.arange(8)
    b = maskmix_batch(x, y, 4, 1.0, g, pairing)
    partner = b.partner if pairing == "randperm" else torch.arange(7, -1, -1)
    assert sorted(partner.tolist()) == list(range(8))
    if pairing == "randperm":
        assert not torch.equal(partner, torch.arange(7, -1, -1))
    for i in range(8):
        pasted = b.x[i, 0][b.region[i] == 1]
        assert (pasted == partner[i]).all() and (b.x[i, 0][b.region[i] == 0] == i).all()
    t = create_mixer("maskmix", 8, smoothing=0.0, pairing=pairing).targets(b)
    torch.testing.assert_close(t[torch.arange(8), partner], torch.where(partner == y, 1.0, b.lam))


def test_attentive_cutmix_ranks_cells_by_the_last_channel_of_unit_input():
    """xden2331/attentive_cutmix attentive_transform.py l.66-74: output[0][-1] (the last channel) of the CNN on the
    [0, 1] input. A map whose last channel ranks the bottom row (cells 43..48 highest) and whose channel mean ranks
    the top row: the original pastes cells (6,1)..(6,6)."""

    class Probe(nn.Module):
        def __init__(self):
            super().__init__()
            self.seen = None

        def forward_features(self, x):
            self.seen = x.clone()
            i = torch.arange(49, dtype=torch.float).view(1, 1, 7, 7).expand(x.shape[0], 1, 7, 7)
            return torch.cat([10 * (48 - i), i], 1)

    probe = Probe()
    mean, std = (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)
    ac = create_mixer("attentive_cutmix", 4, model=probe, input_mean=mean, input_std=std, switch_prob=1.0)
    x = torch.zeros(2, 3, 224, 224)
    b = ac.cut(x, torch.tensor([0, 1]), torch.Generator())
    torch.testing.assert_close(probe.seen, torch.full_like(x, 0.5))  # the normalisation undone: [0, 1] input
    cells = b.region[0].view(7, 32, 7, 32)[:, 0, :, 0]
    assert cells[6, 1:].eq(1).all() and cells.sum() == 6 and math.isclose(float(b.lam[0]), 6 / 49, rel_tol=1e-6)
    mean_rank = create_mixer("attentive_cutmix", 4, model=probe, score="mean", cnn_input="normalized").cut(
        x, torch.tensor([0, 1]), torch.Generator())
    assert mean_rank.region[0].view(7, 32, 7, 32)[0, 0, :6, 0].eq(1).all()
    torch.testing.assert_close(probe.seen, x)


@pytest.mark.parametrize("car,cas,cx,cy,rows,cols,area", [
    # Westlake-AI/openmixup gridmix.py rand_grid on a 16x16 image, lam 0.75, 2 holes, hole aspect 1
    (1.0, 1.0, 0.0, 0.0, [0, 1, 2, 3, 8, 9, 10, 11], [0, 1, 2, 3, 8, 9, 10, 11], 64),
    (1.0, 2.0, 0.5, 0.5, [3, 4, 5, 9, 10, 11, 15], [2, 3, 4, 8, 9, 10], 42),
    (1.0, 2.0, 0.5, 0.9, [1, 2, 3, 7, 8, 9, 11, 12, 13, 14, 15], [2, 3, 4, 8, 9, 10], 66),  # negative start wraps
])
def test_gridmix_openmixup_grid(car, cas, cx, cy, rows, cols, area):
    from pretrain.mixing.gridmix import openmixup_grid

    m = openmixup_grid((16, 16), 0.75, 2, 1.0, car, cas, cx, cy)
    assert int(m.sum()) == area
    assert np.flatnonzero(m.any(1)).tolist() == rows and np.flatnonzero(m.any(0)).tolist() == cols


def test_gridmix_default_is_openmixup():
    g = create_mixer("gridmix", 4, switch_prob=1.0)
    assert g.variant == "openmixup"
    x = torch.randn(4, 3, 32, 32)
    b = g(x, torch.arange(4), torch.Generator().manual_seed(0))
    assert b.kind == "gridmix" and b.partner is not None
    torch.testing.assert_close(b.lam, b.region.mean().expand(4))


class _Uniforms:
    """A numpy-Generator stand-in with scripted ``uniform`` and ``integers`` draws."""

    def __init__(self, uniforms, integers):
        self.u, self.i = list(uniforms), list(integers)

    def uniform(self, lo, hi):
        return self.u.pop(0)

    def integers(self, lo, hi):
        return self.i.pop(0)


def test_tokenmix_official_block_loop():
    """Sense-X/TokenMix tokenmix.py generate_mask on scripted draws (area, log-aspect, top, left), 14x14, 112 tokens:
    a 10x10 block; a 14-row block refused (sides must be < 14, no position drawn); a 3x3 in the corner; a 2x2 that
    would add 4 > 3 tokens refused; single-token and 1x2 blocks."""
    from pretrain.mixing.tokenmix import official_block_mask

    draws = _Uniforms([100, 0.0, 196, 0.0, 12, 0.0, 3, 0.0, 1.2, 0.0, 2, math.log(0.5)],
                      [0, 0, 11, 11, 0, 12, 13, 0, 13, 1])
    m = official_block_mask((14, 14), 112, draws)
    assert int(m.sum()) == 112 and not draws.u and not draws.i
    assert m[13].tolist() == [1, 1, 1] + [0] * 8 + [1, 1, 1] and m[11:, 11:].eq(1).all() and m[:10, :10].eq(1).all()
    # ten failed attempts end the mask short (no top-up): every block drawn 14 rows tall
    short = official_block_mask((14, 14), 112, _Uniforms([100, 0.0] + [196, 0.0] * 10, [0, 0]))
    assert int(short.sum()) == 100


def test_tokenmix_official_target_smoothing():
    """tokenmix.py l.347-353 on K=4, smoothing 0.1, y=[0, 2], s_a=[0.7, 0.4], s_b=[0.6, 0.3]."""
    from pretrain.mixing.core import MixBatch

    mixer = create_mixer("tokenmix", 4, teacher=MapNet(torch.zeros(2, 4, 2, 2)), patch_size=16)
    b = MixBatch(torch.zeros(2, 3, 32, 32), torch.tensor([0, 2]), torch.full((2,), 0.5), "tokenmix",
                 extra={"s_a": torch.tensor([0.7, 0.4]), "s_b": torch.tensor([0.6, 0.3])})
    torch.testing.assert_close(mixer.targets(b), torch.tensor([[0.675, 0.025, 0.575, 0.025],
                                                               [0.275, 0.025, 0.375, 0.025]]))


# ------------------------------------------------------------------ MixPro Tables 7-9 and TransMix approach A


def _maskmix(x, **opts):
    """A MaskMix batch (maskmix_prob 1) with ``opts``: the mixed batch and the mixer."""
    m = create_mixer("maskmix", K, patch_size=8, maskmix_prob=1.0, **opts)
    return m.mix(x, torch.arange(x.shape[0]) % K, torch.Generator().manual_seed(3)), m


@pytest.mark.parametrize("strategy", ["region", "block", "random"])
def test_maskmix_mask_strategies(strategy, data):
    """Table 7: region = one rectangle of cells from the partner, block = exactly S - ceil(S r) partner cells,
    random = the official mask; the label is the exact share of partner pixels in every case."""
    x = torch.rand(8, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    batch, _ = _maskmix(x, scale=1, mask_strategy=strategy)
    cells = batch.region[:, ::8, ::8]  # (B, 8, 8): one value per 8-px cell
    torch.testing.assert_close(cells.repeat_interleave(8, 1).repeat_interleave(8, 2), batch.region)
    torch.testing.assert_close(batch.lam, batch.region.flatten(1).mean(1))
    counts = cells.flatten(1).sum(1)
    assert len(set(counts.tolist())) == 1  # the same number of partner cells in every sample (one r per batch)
    if strategy == "region":
        for c in cells:
            rows, cols = c.sum(1).nonzero().squeeze(1), c.sum(0).nonzero().squeeze(1)
            if len(rows):  # one filled rectangle
                assert c[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].all() and c.sum() == len(rows) * len(cols)
    partner = x[batch.partner]
    torch.testing.assert_close(batch.x, x * (1 - batch.region[:, None]) + partner * batch.region[:, None])


def test_maskmix_cells_misaligned_and_smaller_than_patches():
    """Table 8 B: the cell grid shifted by half a patch (cells cut at the borders); C: 4-px cells on 8-px patches.
    Labels are pixel shares; PAL weighs a patch by its share of partner pixels."""
    x = torch.rand(8, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    b, m = _maskmix(x, scale=1, cell_offset=4)
    assert not m.aligned
    inner = b.region[:, 4:28:8, 4:28:8]  # the interior cells' top-left pixels: the cells start at 4 + 8k
    torch.testing.assert_close(b.region[:, 4:28, 4:28], inner.repeat_interleave(8, 1).repeat_interleave(8, 2))
    corner = b.region[:, 0:4, 0:4]  # the top-left cell, cut to 4x4 px at the border: one value
    assert (corner == corner[:, :1, :1]).all()
    torch.testing.assert_close(b.lam, b.region.flatten(1).mean(1))
    c, mc = _maskmix(x, scale=0.5)
    assert mc.cell == 4 and not mc.aligned
    cells = c.region[:, ::4, ::4]
    torch.testing.assert_close(cells.repeat_interleave(4, 1).repeat_interleave(4, 2), c.region)
    attn = torch.rand(8, 16, generator=torch.Generator().manual_seed(1))
    frac = attention_lambda(c.region, attn, (4, 4), "fraction")
    share = torch.nn.functional.avg_pool2d(c.region[:, None], 8).flatten(1)
    torch.testing.assert_close(frac, (attn * share).sum(1) / attn.sum(1))
    assert not torch.allclose(frac, attention_lambda(c.region, attn, (4, 4)))  # top-left sampling would differ
    with pytest.raises(ValueError, match="whole patches"):
        create_mixer("maskmix", K, patch_size=8, scale=0.5, shuffle="pasted")


@pytest.mark.parametrize("which", ["pasted", "canvas", "both"])
def test_maskmix_shuffled_patches(which):
    """Table 9: patches of one set move among that set's positions; the mask and the label stay."""
    x = torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    plain, _ = _maskmix(x, scale=1)
    shuf, _ = _maskmix(x, scale=1, shuffle=which)
    torch.testing.assert_close(shuf.region, plain.region)
    torch.testing.assert_close(shuf.lam, plain.lam)
    tiles = lambda t: torch.nn.functional.unfold(t, 8, stride=8).transpose(1, 2)  # noqa: E731  (B, 16, 192)
    a, b = tiles(plain.x), tiles(shuf.x)
    side = plain.region[:, ::8, ::8].reshape(4, 16) > 0.5
    for i in range(4):
        for s in (True, False):
            moved = which == "both" or (which == "pasted") == s
            pa, pb = a[i][side[i] == s], b[i][side[i] == s]
            key = lambda t: sorted(map(tuple, t.round(decimals=5).tolist()))  # noqa: E731
            assert key(pa) == key(pb)  # the same tiles, within the same set
            if not moved:
                torch.testing.assert_close(pa, pb)
    assert not torch.equal(plain.x, shuf.x)


def test_transmix_box_aligned_to_patches(data):
    """MixPro Table 8 A: every edge of the pasted box on a patch border; the label the snapped box's area."""
    x, y = data
    m = create_mixer("transmix", K, align_box=True, patch_size=8, switch_prob=1.0)
    seen = 0
    for seed in range(10):
        b = m.mix(x, y, torch.Generator().manual_seed(seed))
        assert all(v % 8 == 0 for v in b.box)
        area = (b.box[1] - b.box[0]) * (b.box[3] - b.box[2]) / 32 ** 2
        torch.testing.assert_close(b.lam, torch.full((8,), area))
        torch.testing.assert_close(b.region.mean(), torch.tensor(area))
        seen += area > 0
    assert seen


def test_cutmix_snap_moves_the_drawn_box_once():
    """One box drawn from the stream, its edges moved to the nearest 8-px border (halves up), pasted once."""
    from pretrain.mixing.core import cutmix_batch, snap_box

    assert snap_box((3, 4, 12, 32), (32, 32), 8) == (0, 8, 16, 32)
    x = torch.arange(4 * 32 * 32, dtype=torch.float32).view(4, 1, 32, 32)
    y = torch.arange(4)
    for seed in range(6):
        plain = cutmix_batch(x, y, 1.0, torch.Generator().manual_seed(seed))
        snapped = cutmix_batch(x, y, 1.0, torch.Generator().manual_seed(seed), snap=8)
        assert snapped.box == snap_box(plain.box, (32, 32), 8)
        yl, yh, xl, xh = snapped.box
        want = x.clone()
        want[..., yl:yh, xl:xh] = x.flip(0)[..., yl:yh, xl:xh]
        assert torch.equal(snapped.x, want)


def test_tokenmix_saliency_teacher(data):
    x, y = data
    m = create_mixer("tokenmix", K, teacher="saliency", patch_size=8, tokenmix_prob=1.0)
    b = m.mix(x, y, torch.Generator().manual_seed(0))
    from pretrain.mixing.tokenmix import saliency_token_map
    cam = saliency_token_map(x, (4, 4))
    torch.testing.assert_close(cam.sum(1), torch.ones(8))
    t = b.region[:, ::8, ::8].flatten(1)
    torch.testing.assert_close(b.extra["s_a"], (cam * (1 - t)).sum(1))


def test_transmix_with_pal_weight(data):
    """MixPro Table 6's CutMix + TransMix + PAL: lam = alpha * lam_attn + (1 - alpha) * lam_area on CutMix batches,
    alpha = cos(softmax, smoothed area target)."""
    x, y = data
    m = create_mixer("transmix", K, lam_mode="pal", switch_prob=1.0)
    b = m.mix(x, y, torch.Generator().manual_seed(0))
    logits = torch.randn(8, K, generator=torch.Generator().manual_seed(1))
    attn = torch.rand(8, 16, generator=torch.Generator().manual_seed(2))
    t = m.targets(b, logits=logits, attn=attn, grid=(4, 4))
    area = mix_targets(y, b.lam, K, 0.1)
    alpha = pal_alpha(logits.softmax(1), area)
    lam = alpha * attention_lambda(b.region, attn, (4, 4)) + (1 - alpha) * b.lam
    torch.testing.assert_close(t, mix_targets(y, lam, K, 0.1))
    assert not torch.allclose(lam, b.lam)
