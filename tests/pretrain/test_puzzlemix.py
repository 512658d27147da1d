"""Puzzle-Mix against the original: snu-mllab/PuzzleMix@e2dbf3a ``imagenet/mixup.py`` run on fixed inputs
(``tests/data/make_puzzlemix_reference.py`` wrote ``puzzlemix_reference.npz``); then the saliency pass and the
method's contract."""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from pretrain.mixing import create_mixer
from pretrain.mixing.puzzlemix import input_saliency, mask_transport, puzzle_mix
from pretrain.models import create_backbone

DATA = Path(__file__).resolve().parents[1] / "data"
sys.path.insert(0, str(DATA))
from make_puzzlemix_reference import HP, PERM, inputs  # noqa: E402


@pytest.mark.parametrize("bn", [2, 4, 8, 16])
def test_puzzle_mix_is_the_original_bit_for_bit(bn):
    """Graph-cut masks (3 labels), both transport plans, the label weights and the mixed images equal the
    original's on 32-px images with smooth structure, a saliency blob per image and a different lam per grid."""
    z = np.load(DATA / "puzzlemix_reference.npz")
    images, sal, mean, std = inputs(z["pixels"], z["sal_levels"])
    perm = torch.tensor(PERM)
    lam = float(z[f"bn{bn}_lam"])
    mixed, ratio, mask = puzzle_mix(images.clone(), sal.clone(), perm, bn, lam, HP["beta"], HP["gamma"], HP["eta"],
                                    HP["neigh_size"], HP["n_labels"], mean, std, HP["transport"], HP["t_eps"])
    bs = 32 // bn
    block_mask = mask[:, ::bs, ::bs].numpy()
    np.testing.assert_array_equal(block_mask, z[f"bn{bn}_mask"])
    np.testing.assert_array_equal(ratio.numpy(), z[f"bn{bn}_ratio"])
    np.testing.assert_array_equal(mixed[:, :, ::bs, ::bs].numpy(), z[f"bn{bn}_mixed_corner"])
    np.testing.assert_allclose(mixed.double().sum((1, 2, 3)).numpy(), z[f"bn{bn}_mixed_sum"], rtol=0, atol=1e-9)
    # the plans: which source block each destination takes (-1: none, the block becomes 0)
    pool = torch.nn.functional.avg_pool2d(sal[:, None], bs)[:, 0]
    s1 = pool / pool.sum((1, 2), keepdim=True)
    m = torch.from_numpy(z[f"bn{bn}_mask"])[:, None]
    for got_plan, key in ((mask_transport(m, s1, HP["t_eps"]), "self"),
                          (mask_transport(1 - m, s1[perm], HP["t_eps"]), "partner")):
        src = torch.where(got_plan.sum(1) > 0, got_plan.argmax(1), -1).numpy()
        np.testing.assert_array_equal(src, z[f"bn{bn}_src_{key}"])
    # the inputs are ones where a difference would show: every label, moved blocks, unequal shares
    if bn >= 4:
        assert set(np.unique(block_mask)) == {0.0, 0.5, 1.0}
    moved = z[f"bn{bn}_src_self"] != np.arange(bn * bn)
    assert moved.any() and len(set(np.round(z[f"bn{bn}_ratio"], 4))) > 1


def test_saliency_is_the_input_gradient_rms_and_leaves_the_model_alone():
    torch.manual_seed(0)
    model = create_backbone("deit_t", img_size=32, patch_size=8, num_classes=5, drop_path_rate=0.1).train()
    x, y = torch.randn(4, 3, 32, 32), torch.tensor([0, 1, 2, 3])
    sal = input_saliency(model, x, y)
    assert model.training and all(p.grad is None for p in model.parameters())  # no parameter gradient
    model.eval()
    xg = x.clone().requires_grad_(True)
    torch.nn.functional.cross_entropy(model(xg), y).backward()  # eval mode: no drop path, as the original
    torch.testing.assert_close(sal, xg.grad.pow(2).mean(1).sqrt())


def test_method_labels_and_geometry():
    torch.manual_seed(0)
    model = create_backbone("deit_t", img_size=32, patch_size=8, num_classes=5).train()
    mixer = create_mixer("puzzlemix", 5, block_nums=(4,))
    x, y = torch.randn(6, 3, 32, 32), torch.arange(6) % 5
    with pytest.raises(RuntimeError, match="bind"):
        mixer(x, y, torch.Generator().manual_seed(0))
    batch = mixer.bind(model)(x, y, torch.Generator().manual_seed(0))
    assert batch.kind == "puzzlemix" and batch.extra["block_num"] == 4
    assert sorted(batch.partner.tolist()) == list(range(6))
    torch.testing.assert_close(batch.lam, batch.region.flatten(1).mean(1))  # the partner's share of the final mask
    t = mixer.targets(batch)
    own = 1 - batch.lam
    for i in range(6):
        want = own[i] * 0.9 * torch.nn.functional.one_hot(y[i], 5) + batch.lam[i] * 0.9 * \
            torch.nn.functional.one_hot(y[batch.partner[i]], 5) + 0.02
        torch.testing.assert_close(t[i], want.float())
    with pytest.raises(ValueError, match=r"valid here: \[2, 4\]"):  # DeiT/14's 56-px demo: 8 and 16 cannot tile
        mixer.check_geometry((56, 56), 14)
    with pytest.raises(ValueError, match="square"):
        mixer.check_geometry((32, 48), 8)
