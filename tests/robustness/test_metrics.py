"""Metrics and perturbations against hand-computed values, scikit-learn, and the original definitions."""

import math

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.metrics import average_precision_score, roc_auc_score

from robustness.attention import box_from_mask, mass_mask
from robustness.data import transform_box
from robustness.metrics import aurra, box_iou, calib_err, mask_iou, ood_measures
from robustness.perturb import drop_patches, random_drop, shuffle_patches


def _hendrycks_calib_err(confidence, correct, p="2", beta=100):
    """Transcription of hendrycks/natural-adv-examples calibration_tools.calib_err, as the reference."""
    idxs = np.argsort(confidence, kind="stable")
    confidence, correct = confidence[idxs], correct[idxs]
    bins = [[i * beta, (i + 1) * beta] for i in range(len(confidence) // beta)]
    bins[-1] = [bins[-1][0], len(confidence)]
    cerr, total = 0, len(confidence)
    for i in range(len(bins) - 1):
        bc, bk = confidence[bins[i][0]:bins[i][1]], correct[bins[i][0]:bins[i][1]]
        if len(bc) > 0:
            d = np.abs(np.nanmean(bc) - np.nanmean(bk))
            cerr = cerr + len(bc) / total * d**2 if p == "2" else (cerr + len(bc) / total * d if p == "1" else
                                                                  np.maximum(cerr, d))
    return np.sqrt(cerr) if p == "2" else cerr


def test_calib_err_hand_computed_and_quirk():
    conf = np.concatenate([np.full(100, 0.8), np.full(150, 0.95)])
    correct = np.concatenate([np.tile([1, 0], 50), np.zeros(150)])
    # bins [0,100) and [100,250); the last bin is skipped but its 150 samples count in N = 250
    assert math.isclose(calib_err(conf, correct), math.sqrt(100 / 250 * 0.3**2))
    assert math.isclose(calib_err(conf, correct, p="1"), 100 / 250 * 0.3)
    assert math.isclose(calib_err(conf, correct, p="infty"), 0.3)
    rng = np.random.default_rng(0)
    c, k = rng.uniform(size=537), (rng.uniform(size=537) < 0.6).astype(float)
    for p in ("1", "2", "infty"):
        assert math.isclose(calib_err(c, k, p=p), _hendrycks_calib_err(c, k, p=p), rel_tol=1e-12)
    with pytest.raises(ValueError, match="at least"):
        calib_err(c[:99], k[:99])
    with pytest.raises(ValueError, match="NaN"):
        calib_err(np.full(100, np.nan), k[:100])


def test_aurra_hand_computed():
    assert math.isclose(aurra([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 1]), (1 + 0.5 + 2 / 3 + 0.75) / 4)
    assert math.isclose(aurra([0.1, 0.9], [1, 0]), (0 + 0.5) / 2)


def test_ood_measures_hand_computed_and_sklearn():
    m = ood_measures([0.9, 0.4], [0.5, 0.1])
    assert math.isclose(m["auroc"], 0.75) and math.isclose(m["aupr"], 0.5 * 1 + 0.5 * 2 / 3)
    assert m["fpr95"] == 0.5
    assert ood_measures([3, 4], [1, 2]) == {"auroc": 1.0, "aupr": 1.0, "fpr95": 0.0}
    rng = np.random.default_rng(1)
    out, inn = rng.normal(1, 1, 300), rng.normal(0, 1, 500)
    y, s = np.r_[np.ones(300), np.zeros(500)], np.r_[out, inn]
    m = ood_measures(out, inn)
    assert math.isclose(m["auroc"], roc_auc_score(y, s)) and math.isclose(m["aupr"], average_precision_score(y, s))
    assert math.isclose(m["fpr95"], _fpr_brute_force(out, inn))
    assert math.isclose(m["fpr95"], 0.718)  # sklearn's roc_curve with the first threshold reaching 95%: 0.712


def _fpr_brute_force(out, inn, level=0.95):
    """Hendrycks' rule restated: among the distinct scores t from the lowest OOD score up, the one whose OOD recall
    (#out >= t / P, in floating point) is nearest the level, the lowest such t on ties; FPR = #in >= t / N."""
    out, inn = np.asarray(out, float), np.asarray(inn, float)
    best = None
    for t in np.unique(np.r_[out, inn]):  # ascending: the first of equal distances is the lowest threshold
        if t < out.min():
            continue
        d = abs((out >= t).sum() / len(out) - level)
        if best is None or d < best[0]:
            best = (d, t)
    return float((inn >= best[1]).mean())


@pytest.mark.parametrize("out,inn,want,sklearn_first", [
    # flat stretches and few OOD samples, where the original's nearest-recall cut-off and sklearn's roc_curve with
    # the first threshold reaching 95% differ (values of hendrycks/natural-adv-examples@0777070 calibration_tools.py
    # fpr_and_fdr_at_recall, run on these inputs)
    (list(range(20, 1, -1)) + [0.5], [25, 1.5, 1.0, 0.8], 1.0, 0.25),
    ([10, 9, 8, 7, 6, 5, 4, 3, 2, 0.2], [9.5, 1.0, 0.5, 0.2, 0.05], 0.6, 0.8),
    (list(range(25, 0, -1)), [30, 1.5, 1.2, 0.2], 0.75, 0.25),
    ([-1] * 2 + [-0.9] * 17 + [-0.5], [-1] * 5 + [-0.95] * 3 + [-0.9] * 2 + [-0.6] * 2, 7 / 12, 1.0),
    (list(range(30, 13, -1)) + [3, 2, 1], [3, 2, 1, 0, -1, -2, -3, -4, -5, -6], 0.2, 0.3),
])
def test_fpr95_is_hendrycks_cutoff(out, inn, want, sklearn_first):
    from sklearn.metrics import roc_curve

    assert math.isclose(ood_measures(out, inn)["fpr95"], want)
    assert math.isclose(_fpr_brute_force(out, inn), want)
    fpr, tpr, _ = roc_curve(np.r_[np.ones(len(out)), np.zeros(len(inn))], np.r_[out, inn])
    assert math.isclose(fpr[np.searchsorted(tpr, 0.95, side="left")], sklearn_first)  # the rule it replaces


def test_fpr95_random_ties_match_the_restatement():
    rng = np.random.default_rng(3)
    for _ in range(200):
        out = rng.integers(0, 12, rng.integers(1, 40)).astype(float)
        inn = rng.integers(-3, 9, rng.integers(1, 40)).astype(float)
        assert math.isclose(ood_measures(out, inn)["fpr95"], _fpr_brute_force(out, inn))


def test_box_and_mask_iou():
    assert math.isclose(box_iou((0, 0, 1, 1), (1, 1, 2, 2)), 1 / 7)
    assert box_iou((0, 0, 3, 3), (0, 0, 3, 3)) == 1.0 and box_iou((0, 0, 1, 1), (5, 5, 6, 6)) == 0.0
    a = np.zeros((4, 4), bool)
    a[:2] = True
    b = np.zeros((4, 4), bool)
    b[1:3] = True
    assert math.isclose(mask_iou(a, b), 4 / 12)
    void = np.zeros((4, 4), bool)
    void[0] = True
    assert math.isclose(mask_iou(a, b, void), 4 / 8)


def test_mass_mask_dino_rule():
    attn = torch.tensor([[0.4, 0.1, 0.3, 0.2]])
    assert mass_mask(attn, 0.5).tolist() == [[True, False, True, False]]  # 0.4 + 0.3 >= 0.5
    assert mass_mask(attn, 0.4).tolist() == [[True, False, False, False]]
    assert mass_mask(attn, 1.0).all() and not mass_mask(attn, 0.0).any()
    assert mass_mask(attn * 7, 0.5).tolist() == [[True, False, True, False]]  # unnormalised input


def test_box_from_mask_largest_component_and_all():
    m = np.zeros((10, 10), bool)
    m[1:3, 1:3] = True  # 4 pixels
    m[5:9, 4:9] = True  # 20 pixels
    assert box_from_mask(m) == (4, 5, 8, 8)
    assert box_from_mask(m, largest_component=False) == (1, 1, 8, 8)
    assert box_from_mask(np.zeros((3, 3), bool)) is None


def test_transform_box():
    # 64x64 image, resize to 32 (crop_pct 1): the box halves; inclusive pixels [10, 19] -> [5, 9]
    assert transform_box((10, 10, 19, 19), (64, 64), 32, 1.0) == (5, 5, 9, 9)
    # 100x50 image to 32 at crop 0.8: shorter side 40 (scale 0.8), width 80, crop offset 24 in x, 4 in y
    assert transform_box((30, 5, 69, 44), (100, 50), 32, 0.8) == (0, 0, 31, 31)
    assert transform_box((40, 10, 49, 19), (100, 50), 32, 0.8) == (8, 4, 15, 11)


def test_perturbation_invariants():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 3, 32, 32, generator=g) + 0.01  # no exact zeros
    none = random_drop(3, 16, 0, g)
    assert torch.equal(drop_patches(x, none, (4, 4)), x)  # ratio 0 is the identity
    for k in (1, 5, 16):
        d = random_drop(3, 16, k, g)
        assert (d.sum(1) == k).all()
        out = drop_patches(x, d, (4, 4))
        zero_cells = (out.view(3, 3, 4, 8, 4, 8).abs().sum((1, 3, 5)) == 0).flatten(1)
        assert torch.equal(zero_cells, d)  # exactly the chosen patches are black
    assert torch.equal(shuffle_patches(x, 1, g), x)
    for n in (2, 4, 8):
        s = shuffle_patches(x, n, g)
        a, b = (t.reshape(3, 3, n, 32 // n, n, 32 // n).permute(0, 2, 4, 1, 3, 5).reshape(3, n * n, -1)
                for t in (x, s))
        for i in range(3):  # a permutation of the cells: every shuffled cell is exactly one original cell
            match = (b[i][:, None] == a[i][None]).all(-1)
            assert (match.sum(1) == 1).all() and (match.sum(0) == 1).all()
        assert not torch.equal(s, x)
    with pytest.raises(ValueError, match="divide"):
        shuffle_patches(x, 14, g)


def test_shuffle_non_square_grid_is_rows_by_columns():
    """Naseer et al.'s 2x4 grid: 2 rows of 4 cells (112x56 px at 224): each output cell is one input cell."""
    g = torch.Generator().manual_seed(0)
    x = torch.arange(8, dtype=torch.float).view(1, 1, 2, 4).repeat_interleave(112, 2).repeat_interleave(56, 3)
    s = shuffle_patches(x.expand(2, 3, -1, -1).contiguous(), [2, 4], g)
    cells = s.reshape(2, 3, 2, 112, 4, 56)
    assert (cells == cells[:, :, :, :1, :, :1]).all()  # constant 112x56 blocks: the cell shape is rows x columns
    for i in range(2):
        assert sorted(cells[i, 0, :, 0, :, 0].flatten().tolist()) == list(range(8))
    assert not torch.equal(s[0, 0], x[0, 0])
    with pytest.raises(ValueError, match="shuffle grid 4x3 must divide the image 224x224"):
        shuffle_patches(x, (4, 3), g)


def test_eval_transform_is_torchvision_default_bilinear_on_a_non_square_image():
    """Naseer et al. and Hendrycks: Resize(256) + CenterCrop(224) with torchvision's default (bilinear)."""
    from torchvision import transforms as T

    from robustness.data import eval_transform

    rng = np.random.default_rng(0)
    im = Image.fromarray(rng.integers(0, 255, (375, 500, 3), dtype=np.uint8))
    ref = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor()])(im)
    assert torch.equal(eval_transform(224, 0.875)(im), ref)
    assert not torch.equal(eval_transform(224, 0.875, "bicubic")(im), ref)
    squashed = eval_transform(224, 0.875, geometry="squash")(im)
    assert torch.equal(squashed, T.Compose([T.Resize((224, 224)), T.ToTensor()])(im))


def test_squash_box_is_wsolevaluation_rescaling():
    from robustness.data import squash_box

    # clovaai/wsolevaluation resize_bbox: int(v * 224 / side) on a 500x375 image
    assert squash_box((111, 108, 441, 193), (500, 375), 224) == (49, 64, 197, 115)
    assert transform_box((111, 108, 441, 193), (500, 375), 224, 0.875) != (49, 64, 197, 115)


@pytest.mark.parametrize("wh", [(500, 375), (375, 500), (500, 333)])
@pytest.mark.parametrize("geometry", ["squash", "crop"])
def test_voc_image_and_mask_stay_aligned_on_real_shapes(wh, geometry):
    """VOC-shaped images: the mask must go through the image's geometry. An object painted into the image and
    labelled in the mask lands on the same pixels after the transforms (IoU ~1; the old pipeline cropped the
    image and squashed the mask: 0.5 on a 500x375 image)."""
    from robustness.data import eval_transform, mask_transform

    w, h = wh
    img = np.zeros((h, w, 3), np.uint8)
    seg = np.zeros((h, w), np.uint8)
    for x0, y0, x1, y1, c in ((w // 2 + 10, h // 3, w // 2 + 90, h - 30, 5), (70, 20, 150, h // 2, 12)):
        img[y0:y1, x0:x1] = 255
        seg[y0:y1, x0:x1] = c
    mask_img = Image.frombytes("P", (w, h), seg.tobytes())  # VOC's palette PNGs: mode P, raw class indices
    x = eval_transform(512, 1.0, "bilinear", geometry)(Image.fromarray(img))
    m = np.asarray(mask_transform(512, geometry)(mask_img))
    assert x.shape == (3, 512, 512) and m.shape == (512, 512)
    painted, labelled = x[0].numpy() > 0.5, m > 0
    assert (painted & labelled).sum() / (painted | labelled).sum() > 0.97
    if geometry == "crop" and w > h:  # the mask squashed as before: misaligned
        old = np.asarray(mask_img.resize((512, 512), Image.NEAREST)) > 0
        assert (painted & old).sum() / (painted | old).sum() < 0.8


def test_drop_grid_is_naseers_14x14_unless_model():
    """Naseer et al. drop cells of a fixed 14x14 grid (16 px at 224) for every model; 'model' is the token grid."""
    from robustness.run import DEFAULTS, drop_grid

    assert DEFAULTS["drop_grid"] == 14
    assert drop_grid(14, 224, 32) == (14, 14) and drop_grid("model", 224, 32) == (7, 7)  # PVT at 224
    assert drop_grid("model", 32, 8) == (4, 4)
    with pytest.raises(ValueError, match="must divide the 32-px image"):
        drop_grid(14, 32, 8)
