"""tools/report.py: the confidence interval of the top-1 difference; the published numbers' one source."""

import json

import numpy as np
import pytest

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


def test_published_numbers_have_one_source(tmp_path, monkeypatch):
    """The report's published numbers are the presets' (configs/tables/): a row whose options are only checkpoint
    slots counts for its bare method, an ALIAS:LABEL row for that alias, and two presets that disagree on a cell
    are refused, naming both."""
    import shutil

    import tools.tables as T

    assert T.published("deit_s", "transmix", "pretrain", "top1") == 80.7
    assert T.published("deit_s", "attentive_cutmix", "pretrain", "top1") == 77.5  # transmix-8's slot-only variant
    assert T.published("swin_t", "deit", "pretrain", "top1") == 81.3  # transmix-7's Swin-T row
    assert T.published("deit_s", "mixpro", "seg_segmenter", "mIoU_ms") == 51.6
    assert T.published("pvt_s", "mixpro", "det", "mask_AP75") == 41.7
    assert T.published("deit_s", "nope", "pretrain", "top1") is None
    for key in ("transmix-1", "transmix-9"):
        shutil.copy(T.PRESETS / f"{key}.py", tmp_path / f"{key}.py")
    text = (tmp_path / "transmix-9.py").read_text()
    (tmp_path / "transmix-9.py").write_text(text.replace('"transmix": [80.7]', '"transmix": [80.9]'))
    monkeypatch.setattr(T, "PRESETS", tmp_path)
    T.published_index.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"disagree for \('deit_s', 'transmix', \('pretrain', 'top1'\)\)"):
            T.published_index()
    finally:
        T.published_index.cache_clear()


def test_each_speed_table_reads_its_own_paired_stage(tmp_path):
    """Two tables' bench stages in one folder: a table reads the stage that paired the most of its methods and no
    other (TransMix Table 8's seven, not MixPro Table 2's nine)."""
    import json

    from tools.report import load

    for name, methods in {"t8": ["cutmix", "puzzlemix"], "m2": ["cutmix", "puzzlemix", "mixpro"]}.items():
        d = tmp_path / "bench_mixing" / name
        d.mkdir(parents=True)
        (d / "results.json").write_text(json.dumps({"methods": {m: {"ratio_to_cutmix": len(methods) / 10}
                                                                for m in methods}}))
    assert load(tmp_path, ["cutmix", "puzzlemix"], [0])[("puzzlemix", 0)]["bench"]["ratio_to_cutmix"] == 0.2
    assert load(tmp_path, ["cutmix", "puzzlemix", "mixpro"], [0])[("cutmix", 0)]["bench"]["ratio_to_cutmix"] == 0.3
    assert "bench" not in load(tmp_path, ["cutmix"], [0])[("cutmix", 0)]


def test_detection_table_says_which_runs_found_nothing():
    """A Mask R-CNN run without a single detection above score_thr scores AP 0 (transfer.det) and the table says so,
    naming the run; a table whose runs all detected something has no such note."""
    from tools.report import DET_KEYS, tables

    det = lambda ap, empty: {"det": {**{k: ap for k in DET_KEYS}, "no_detections": empty}}  # noqa: E731
    data = {("deit", 0): det(0.0, True), ("transmix", 0): det(1.5, False)}
    t = next(t for t in tables(data, "pvt_s", ["deit", "transmix"], [0], "deit") if t.title.startswith("Detection"))
    assert [r[:2] for r in t.rows] == [["deit", "0.0"], ["transmix", "1.5"]]
    assert "on any image for deit: AP 0" in t.note and "transmix" not in t.note
    data[("deit", 0)] = det(0.5, False)
    t = next(t for t in tables(data, "pvt_s", ["deit", "transmix"], [0], "deit") if t.title.startswith("Detection"))
    assert t.note == ""
    data.update({("deit", 1): det(0.0, True), ("transmix", 1): det(1.1, False)})  # two seeds: the note names the seed
    t = next(t for t in tables(data, "pvt_s", ["deit", "transmix"], [0, 1], "deit") if t.title.startswith("Detection"))
    assert [r[:2] for r in t.rows] == [["deit", "0.2 ± 0.4"], ["transmix", "1.3 ± 0.3"]], t.rows
    assert "on any image for deit (seed 1): AP 0" in t.note and "transmix" not in t.note


def test_a_table_of_other_backbones_runs_reports_them_in_its_header(tmp_path):
    """TransMix Table 7's rows are all ``ALIAS:LABEL`` runs (no methods of the run's own backbone): the header names
    those runs, each backbone's geometry and how many stages ran side by side, and the missing list and results.csv
    cover them."""
    from tools.report import write_report
    from tools.tables import load_table

    t = load_table("transmix-7")
    for i, row in enumerate(list(t["rows"])[:-1]):  # the last row (TransMix-CA-Swin-S) has not run
        alias, _, label = row.partition(":")
        d = tmp_path / alias / label / "seed0" / "pretrain"
        d.mkdir(parents=True)
        (d / "results.json").write_text(json.dumps({"stage": "pretrain", "top1": 40.0 + i, "stages_side_by_side": 2}))
        (d / "backbone.json").write_text(json.dumps({"timm_name": f"timm_{alias}", "img_size": 64,
                                                     "patch_size": 32, "epochs": 5}))
    rep = write_report(tmp_path / "ca_swin_t", "ca_swin_t", "demo", t["methods"], [0], "data", "deit", t,
                       planned={"pretrain"})
    md = rep.read_text()
    assert ("- methods: swin_t:deit, ca_swin_t:deit, ca_swin_t:transmix, swin_s:deit, ca_swin_s:deit, "
            "ca_swin_s:transmix (baseline: deit); seeds: 0") in md
    assert "- backbones: timm_swin_t at 64 px, token grid stride 32, 5 epochs; timm_ca_swin_t at 64 px" in md
    assert "- pretraining ran 2 stage(s) at a time" in md
    assert "- missing results: ca_swin_s:transmix seed0: pretrain\n" in md
    assert "**configs/pretrain/swin_s.py**" in md and "- transmix: label = (area + attention)/2" in md
    csv = (rep.parent / "results.csv").read_text().splitlines()
    assert "swin_s:deit,0,pretrain,top1,43.0" in csv and "ca_swin_t:deit,0,pretrain,top1,41.0" in csv
    assert "| Swin-S (`swin_s:deit`) | 43.0 | — |" in md
