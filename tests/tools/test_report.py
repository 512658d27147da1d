"""tools/report.py statistics: the confidence interval of the top-1 difference."""

import numpy as np

from tools.report import bootstrap_top1


def _data(per_seed_a, per_seed_b):
    data = {}
    for s, (a, b) in enumerate(zip(per_seed_a, per_seed_b)):
        data[("m", s)] = {"robustness": {"drop_shuffle": {"clean_correct": list(a)}}}
        data[("base", s)] = {"robustness": {"drop_shuffle": {"clean_correct": list(b)}}}
    return data


def test_two_seeds_resample_seeds_and_images():
    """The method wins every image with seed 0 and loses every image with seed 1: averaged over seeds first (the
    old image-only bootstrap) the interval is [0, 0]; resampling seeds too, it spans the seed-to-seed spread."""
    data = _data([[1] * 100, [0] * 100], [[0] * 100, [1] * 100])
    diff, lo, hi = bootstrap_top1(data, "m", "base", [0, 1])
    assert diff == 0 and lo == -100 and hi == 100


def test_one_seed_resamples_images_only():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 2, 400), rng.integers(0, 2, 400)
    diff, lo, hi = bootstrap_top1(_data([a], [b]), "m", "base", [0])
    assert np.isclose(diff, 100 * (a - b).mean()) and lo < diff < hi
    se = 100 * (a - b).std() / np.sqrt(400)  # the normal approximation of the same interval
    assert abs((hi - lo) - 2 * 1.96 * se) < 0.25 * (hi - lo)
    assert bootstrap_top1(_data([[1] * 50], [[1] * 50]), "m", "base", [0]) == (0, 0, 0)
