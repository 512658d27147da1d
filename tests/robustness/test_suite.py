"""Every evaluator of the robustness suite end to end on the tiny synthetic data."""

import json
import os

import numpy as np
import pytest
import torch

from pretrain.train import run as pretrain
from robustness.evaluate import Normalized, SweepPlan, make_saliency, sweep_batch
from robustness.run import DEFAULTS, load_suite
from robustness.run import run as robustness

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUITE = os.path.join(REPO, "configs/robustness/tiny.py")


@pytest.fixture(scope="module")
def backbones(tiny_data, tmp_path_factory):
    """Two tiny DeiT-T backbones (two methods) trained on the tiny data."""
    root = tmp_path_factory.mktemp("rob")
    out = {}
    for method in ("deit", "transmix"):
        pretrain(os.path.join(REPO, "configs/pretrain/deit_t.py"), method, 0, root / method, "tiny",
                 overrides={"data_root": str(tiny_data)})
        out[method] = root / method / "backbone.pth"
    return out


def test_full_suite_on_tiny_data(backbones, tiny_data, tmp_path):
    res = robustness(str(backbones["transmix"]), SUITE, tmp_path / "r", saliency=str(backbones["deit"]),
                     data_root=tiny_data)
    saved = json.loads((tmp_path / "r/results.json").read_text())
    assert saved["method"] == "transmix" and (tmp_path / "r/drop.png").stat().st_size > 1000
    assert (tmp_path / "r/shuffle.png").exists()
    ds = res["drop_shuffle"]
    assert ds["images"] == 40 and ds["forwards"] == 40 * (10 + 2 * 10 + 6)
    assert ds["random_drop"]["info_loss"] == [k * 16 // 10 / 16 for k in range(10)]
    assert ds["salient_drop"]["info_loss"][-1] == 1.0 and ds["non_salient_drop"]["info_loss"][-1] == 0.0
    sal, non = np.array(ds["salient_drop"]["info_loss"]), np.array(ds["non_salient_drop"]["info_loss"])
    np.testing.assert_allclose(sal + non, 1.0)
    assert (np.diff(sal) >= 0).all()
    assert res["clean_top1"] == ds["random_drop"]["top1"][0] == ds["shuffle"]["top1"][0]  # identities
    # Naseer et al.'s grids that divide 32 (rows x columns), the mean over those that shuffle (1x1 left out)
    assert ds["drop_grid"] == [4, 4]  # the demo suite's "model" grid: DeiT-T/8 at 32 px
    assert ds["shuffle"]["grid"] == [[1, 1], [2, 2], [2, 4], [4, 4], [4, 8], [8, 8]]
    assert ds["shuffle"]["patches"] == [1, 4, 8, 16, 32, 64] and ds["shuffle"]["mean_over"] == ds["shuffle"]["grid"][1:]
    assert np.isclose(ds["shuffle"]["mean_top1"], np.mean(ds["shuffle"]["top1"][1:]))
    assert res["localisation"]["geometry"] == "squash" and res["voc"]["geometry"] == "squash"
    assert len(saved["code_sha256"]) == 64
    a = res["imagenet_a"]
    assert a["images"] == 100 and a["classes"] == 5 and 0 <= a["calib_err"] <= 100 and 0 <= a["aurra"] <= 100
    o = res["imagenet_o"]
    assert o["ood_images"] == 100 and o["id_images"] == 20 and 0 <= o["aupr"] <= 100 and 0 <= o["fpr95"] <= 100
    loc = res["localisation"]
    for kind in ("largest_component", "all_foreground"):
        assert 0 < loc[kind]["miou"] <= 100 and loc[kind]["top1_loc"] <= loc[kind]["gt_known_loc"]
    assert res["voc"]["images"] == 6 and 0 < res["voc"]["jaccard"] <= 100 and res["voc"]["input_size"] == 64
    inputs = saved["inputs"]
    assert len(inputs["backbone_sha256"]) == 64 and inputs["backbone_sha256"] != inputs["saliency_sha256"]
    assert "deit seed 0" in saved["saliency_provider"]


def test_shared_provider_drops_the_same_patches(backbones, tiny_data, tmp_path):
    r1 = robustness(str(backbones["deit"]), SUITE, tmp_path / "a", saliency=str(backbones["deit"]),
                    data_root=tiny_data)
    r2 = robustness(str(backbones["transmix"]), SUITE, tmp_path / "b", saliency=str(backbones["deit"]),
                    data_root=tiny_data)
    for k in ("salient_drop", "non_salient_drop"):
        assert r1["drop_shuffle"][k]["info_loss"] == r2["drop_shuffle"][k]["info_loss"]


def test_one_forward_per_image_and_point():
    calls = {"n": 0}

    class Counting(torch.nn.Module):
        def __init__(self):
            super().__init__()
            from pretrain.models import create_backbone
            self.net = create_backbone("deit_t", img_size=32, patch_size=8, num_classes=10)

        def forward(self, x):
            calls["n"] += x.shape[0]
            return self.net(x)

    model = Normalized(Counting().net, (0.5,) * 3, (0.5,) * 3).eval()
    counted = Normalized(Counting(), (0.5,) * 3, (0.5,) * 3).eval()
    plan = SweepPlan({**DEFAULTS, "shuffle_grids": [1, 2, 4]}, (4, 4))
    x = torch.rand(6, 3, 32, 32)
    sweep_batch(counted, make_saliency(model), x, torch.zeros(6, dtype=torch.long), plan,
                torch.Generator().manual_seed(0))
    assert calls["n"] == 6 * plan.points == 6 * 33


def test_unknown_suite_key(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("masss = [0.5]\n")
    with pytest.raises(KeyError, match="masses"):
        load_suite(bad)


def test_flat_attention_covers_the_image(tiny_data):
    """Uniform class attention over a 4x4 grid: the mass-0.9 mask keeps 15 of 16 tokens (14/16 = 0.875 < 0.9), which
    still span every row and column, so both boxes are the whole image and the mask covers 15/16 of it."""
    from robustness import data as D
    from robustness.evaluate import box_iou, localisation, squash_box, transform_box, val_boxes

    class Flat(torch.nn.Module):
        def with_attention(self, x, per_head=False):
            return torch.zeros(len(x), 10), torch.full((len(x), 16), 1 / 16), (4, 4)

    val, _, root = D.imagenet_val(tiny_data)
    assert len({val_boxes(root, p)[1] for p, _ in val}) > 1  # non-square images of several shapes
    for geometry, gt in (("squash", lambda b, wh: squash_box(b, wh, 32)),  # wsolevaluation's boxes
                         ("crop", lambda b, wh: transform_box(b, wh, 32, 1.0))):
        cfg = {**DEFAULTS, "crop_pct": 1.0, "batch_size": 8, "workers": 0, "loc_geometry": geometry}
        res = localisation(Flat(), val, root, cfg, 32, "cpu")
        assert res["mask_area"] == pytest.approx(100 * 15 / 16) and res["geometry"] == geometry
        want = np.mean([max(box_iou((0, 0, 31, 31), gt(b, wh)) for b in boxes)
                        for boxes, wh in (val_boxes(root, p) for p, _ in val)])
        for kind in ("largest_component", "all_foreground"):
            assert res[kind]["miou"] == pytest.approx(100 * want)
