"""The benchmark report: reads the stages' JSON files only and writes ``report.md``, a self-contained
``report.html`` (plots embedded) and ``results.csv`` into ``<out>/<alias>/report/``; a paper table's into
``<out>/<alias>/report/<table key>/``.

    python -m tools.report --root runs/deit_s --profile demo --methods deit,transmix,mixpro --seeds 0
    python -m tools.report --root runs/deit_s --profile demo --table transmix-9
"""

from __future__ import annotations

import argparse
import ast
import base64
import csv
import html
import io
import json
import math
from pathlib import Path

import numpy as np

from tools.tables import published

REPO = Path(__file__).resolve().parents[1]

# Published numbers come from the paper-table presets (configs/tables/, ../shared/PROTOCOLS.md section 5), their one
# source: tools.tables.published(alias, method, *results_path). MixPro released and reported DeiT-x/14 models,
# TransMix and TokenMix DeiT-x/16: each number sits beside the patch size its paper's models used.
ROBUST_PATHS = {"a_top1": ("robustness", "imagenet_a", "top1"), "a_calib": ("robustness", "imagenet_a", "calib_err"),
                "a_aurra": ("robustness", "imagenet_a", "aurra"), "o_aupr": ("robustness", "imagenet_o", "aupr"),
                "shuffle": ("robustness", "drop_shuffle", "shuffle", "mean_top1"),
                "voc": ("robustness", "voc", "jaccard"),
                "loc": ("robustness", "localisation", "largest_component", "miou")}
DET_KEYS = ("box_AP", "box_AP50", "box_AP75", "mask_AP", "mask_AP50", "mask_AP75")

STAGES = {"pretrain": "pretrain", "seg_linear": "transfer/seg_linear", "seg_segmenter": "transfer/seg_segmenter",
          "seg_upernet": "transfer/seg_upernet",
          "det": "transfer/det_maskrcnn", "robustness": "robustness"}


def load(root: Path, methods, seeds) -> dict:
    """``{(method, seed): {stage: results dict}}`` for every results.json found; a paper table's speed stage
    (``<root>/bench_mixing/<method set>``, every method paired in one process) appears as stage ``bench`` of each
    method: the stage that paired the most of these methods and no other."""
    out = {}
    benches = [json.loads(f.read_text()) for f in sorted((root / "bench_mixing").glob("*/results.json"))]
    benches = [b for b in benches if set(b["methods"]) <= set(methods)]
    bench = max(benches, key=lambda b: len(b["methods"]), default=None)
    for m in methods:
        for s in seeds:
            d = root / m / f"seed{s}"
            out[(m, s)] = {k: json.loads((d / v / "results.json").read_text())
                           for k, v in STAGES.items() if (d / v / "results.json").exists()}
            if bench is not None and m in bench["methods"]:
                out[(m, s)]["bench"] = {**bench["methods"][m], "stage": "bench_mixing",
                                        "code_sha256": bench.get("code_sha256")}
    return out


def metric(res, stage, *path):
    v = res.get(stage)
    for p in path:
        if v is None:
            return None
        v = v.get(p) if isinstance(v, dict) else None
    return v


def summary(values: list) -> tuple[float | None, float | None]:
    vals = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not vals:
        return None, None
    return float(np.mean(vals)), (float(np.std(vals, ddof=1)) if len(vals) > 1 else None)


def bootstrap_top1(data, method, baseline, seeds, n_boot=2000, seed=0):
    """Paired bootstrap of clean top-1(method) - top-1(baseline), in points: ``(difference, low, high)``.

    With one seed it resamples validation images only (the same images for both methods), so the interval covers
    test-set sampling and not training variance. With two or more seeds it is two-level: each resample draws seeds
    (with replacement; the method and the baseline of one seed stay paired) and, independently, images, and
    averages the per-image differences over both, so it covers training variance (seed to seed) as well."""
    a = [metric(data[(method, s)], "robustness", "drop_shuffle", "clean_correct") for s in seeds]
    b = [metric(data[(baseline, s)], "robustness", "drop_shuffle", "clean_correct") for s in seeds]
    if any(v is None for v in a + b) or len({len(v) for v in a + b}) != 1:
        return None
    d = np.asarray(a, float) - np.asarray(b, float)  # (seeds, images)
    n_seeds, n_img = d.shape
    rng = np.random.default_rng(seed)
    boots = np.empty(n_boot)
    for k in range(n_boot):
        rows = d[rng.integers(0, n_seeds, n_seeds)] if n_seeds > 1 else d
        boots[k] = rows.mean(0)[rng.integers(0, n_img, n_img)].mean()
    return 100 * d.mean(), 100 * np.percentile(boots, 2.5), 100 * np.percentile(boots, 97.5)


def bootstrap_seeds(values_m, values_b, n_boot=2000, seed=0):
    """Paired bootstrap over seeds of mean(method - baseline) for metrics measured once per seed."""
    d = np.asarray([a - b for a, b in zip(values_m, values_b) if a is not None and b is not None], float)
    if len(d) < 2:
        return None
    rng = np.random.default_rng(seed)
    boots = d[rng.integers(0, len(d), (n_boot, len(d)))].mean(1)
    return d.mean(), np.percentile(boots, 2.5), np.percentile(boots, 97.5)


def cell(mean, std=None, digits=1):
    if mean is None:
        return "—"
    return f"{mean:.{digits}f}" + (f" ± {std:.{digits}f}" if std is not None else "")


def ci(t):
    return "n/a" if t is None else f"{t[0]:+.1f} [{t[1]:+.1f}, {t[2]:+.1f}]"


def paper(v):
    return "—" if v is None else f"{v:.1f}"


class Table:
    def __init__(self, title, header, note=""):
        self.title, self.header, self.rows, self.note = title, header, [], note

    def md(self):
        lines = [f"### {self.title}", "", "| " + " | ".join(self.header) + " |",
                 "|" + "---|" * len(self.header)]
        lines += ["| " + " | ".join(map(str, r)) + " |" for r in self.rows]
        return "\n".join(lines + ([f"\n{self.note}"] if self.note else []) + [""])

    def html(self):
        head = "".join(f"<th>{html.escape(h)}</th>" for h in self.header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in self.rows)
        note = f"<p class='note'>{html.escape(self.note)}</p>" if self.note else ""
        return f"<h3>{html.escape(self.title)}</h3><table><tr>{head}</tr>{body}</table>{note}"


def external(data, m, seeds) -> dict | None:
    """The import stage's results of a method evaluated from a released checkpoint (``run_all --weights``)."""
    return next((data[(m, s)]["pretrain"] for s in seeds if metric(data[(m, s)], "pretrain", "external")), None)


def tables(data, alias, methods, seeds, baseline, jobs: int = 1) -> list[Table]:
    per = lambda m, *p: [metric(data[(m, s)], *p) for s in seeds]
    name = lambda m: f"{m} (external)" if external(data, m, seeds) else m  # noqa: E731
    out = []
    t = Table("Classification (clean val set)", ["method", "top-1", "top-5", "Δ top-1 vs baseline [95% CI]",
                                                 "train images/s", "paper top-1 (ImageNet)"],
              ("Δ: paired bootstrap (2,000 resamples) over seeds and validation images together (two-level), so "
               "the interval includes training variance. " if len(seeds) > 1 else
               "Δ: paired bootstrap over validation images (2,000 resamples); with one seed the interval covers "
               "test-set sampling only, not training variance (usually the larger part): run --seeds 0,1,2 for "
               "that. ") + "External rows: "
              "a released checkpoint, not trained here; its top-1 is the robustness stage's clean evaluation on the "
              "val set (same images). Train images/s: "
              "median over epochs of the training loop"
              + (f", measured while {jobs} stages ran side by side (run_all --jobs {jobs}): compare methods' speed "
                 "with tools/bench_mixing.py, which times them paired in one process." if jobs > 1 else "."))
    for m in methods:
        top1 = per(m, "robustness", "clean_top1") if external(data, m, seeds) else per(m, "pretrain", "top1")
        t.rows.append([name(m), cell(*summary(top1)), cell(*summary(per(m, "pretrain", "top5"))),
                       "baseline" if m == baseline else ci(bootstrap_top1(data, m, baseline, seeds)),
                       cell(*summary(per(m, "pretrain", "images_per_s"))),
                       paper(published(alias, m, "pretrain", "top1"))])
    out.append(t)
    if any(metric(data[k], "seg_linear") or metric(data[k], "seg_segmenter") for k in data):
        t = Table("Semantic segmentation (Pascal Context, 60 classes)",
                  ["method", "decoder", "mAcc", "mIoU", "mIoU (MS+flip)", "Δ mIoU vs baseline [95% CI]",
                   "paper mAcc / mIoU / MS"], "Δ: paired bootstrap over seeds (needs 2 or more seeds).")
        for dec in ("linear", "segmenter"):
            for m in methods:
                st = f"seg_{dec}"
                p = [published(alias, m, st, k) for k in ("mAcc", "mIoU", "mIoU_ms")]
                t.rows.append([name(m), dec, cell(*summary(per(m, st, "mAcc"))), cell(*summary(per(m, st, "mIoU"))),
                               cell(*summary(per(m, st, "mIoU_ms"))),
                               "baseline" if m == baseline else ci(bootstrap_seeds(per(m, st, "mIoU"),
                                                                                   per(baseline, st, "mIoU"))),
                               " / ".join(paper(v) for v in p) if any(v is not None for v in p) else "—"])
        out.append(t)
    if any(metric(data[k], "seg_upernet") for k in data):
        t = Table("Semantic segmentation (ADE20K, 150 classes, UperNet)",
                  ["method", "mAcc", "mIoU", "mAcc (MS+flip)", "mIoU (MS+flip)", "Δ mIoU vs baseline [95% CI]"],
                  "MMSegmentation's DeiT + UperNet recipe (configs/transfer/ade20k_*.py); Δ: paired bootstrap over "
                  "seeds (needs 2 or more seeds).")
        for m in methods:
            st = "seg_upernet"
            t.rows.append([name(m), cell(*summary(per(m, st, "mAcc"))), cell(*summary(per(m, st, "mIoU"))),
                           cell(*summary(per(m, st, "mAcc_ms"))), cell(*summary(per(m, st, "mIoU_ms"))),
                           "baseline" if m == baseline else ci(bootstrap_seeds(per(m, st, "mIoU"),
                                                                               per(baseline, st, "mIoU")))])
        out.append(t)
    if any(metric(data[k], "det") for k in data):
        keys = list(DET_KEYS)
        nothing = {m: [s for s in seeds if metric(data.get((m, s), {}), "det", "no_detections")] for m in methods}
        empty = [name(m) + (f" (seed {', '.join(map(str, nothing[m]))})" if len(seeds) > 1 else "")
                 for m in methods if nothing[m]]
        t = Table("Detection and instance segmentation (Mask R-CNN, COCO-style)",
                  ["method"] + keys + ["paper (box AP/50/75, mask AP/50/75)"],
                  f"No detection scored above the test score_thr on any image for {', '.join(empty)}: AP 0, "
                  "pycocotools' value for detections that find nothing (a detector that has not learnt yet, as "
                  "after the demo's short schedule)." if empty else "")
        for m in methods:
            p = [published(alias, m, "det", k) for k in DET_KEYS]
            t.rows.append([name(m)] + [cell(*summary(per(m, "det", k))) for k in keys] +
                          [" / ".join(paper(v) for v in p) if any(v is not None for v in p) else "—"])
        out.append(t)
    if any(metric(data[k], "robustness") for k in data):
        suite = next((metric(data[k], "robustness", "suite") for k in data if metric(data[k], "robustness")), {})
        sh = next((metric(data[k], "robustness", "drop_shuffle", "shuffle") for k in data
                   if metric(data[k], "robustness", "drop_shuffle")), None) or {}
        grids = ", ".join(f"{r}x{c}" for r, c in sh.get("mean_over", []))
        t = Table("Robustness", ["method", "ImageNet-A top-1", "calib. error ↓", "AURRA", "ImageNet-O AUPR",
                                 "ImageNet-O AUROC", "FPR95 ↓", "shuffle mean top-1", "paper A / calib / AURRA / O"],
                  f"Shuffle mean over the grids {grids or '—'} (rows x columns; Naseer et al.'s set is 2x2, 2x4, 4x4, "
                  "4x8, 8x8, 14x14, 16x16; the unshuffled 1x1 point is "
                  f"{'included' if suite.get('shuffle_mean') == 'all' else 'left out'}). FPR95: Hendrycks' cut-off "
                  "(the threshold whose OOD recall is nearest 95%). Images resized "
                  f"{suite.get('interpolation', 'bilinear')}.")
        for m in methods:
            p = {k: published(alias, m, *path) for k, path in ROBUST_PATHS.items()}
            t.rows.append([name(m), cell(*summary(per(m, "robustness", "imagenet_a", "top1"))),
                           cell(*summary(per(m, "robustness", "imagenet_a", "calib_err"))),
                           cell(*summary(per(m, "robustness", "imagenet_a", "aurra"))),
                           cell(*summary(per(m, "robustness", "imagenet_o", "aupr"))),
                           cell(*summary(per(m, "robustness", "imagenet_o", "auroc"))),
                           cell(*summary(per(m, "robustness", "imagenet_o", "fpr95"))),
                           cell(*summary(per(m, "robustness", "drop_shuffle", "shuffle", "mean_top1"))),
                           " / ".join(paper(p.get(k)) for k in ("a_top1", "a_calib", "a_aurra", "o_aupr"))])
        out.append(t)
        t = Table("Attention quality", ["method", "loc. mIoU (largest comp.)", "GT-known Loc", "Top-1 Loc",
                                        "loc. mIoU (all fg)", "mask area %", "VOC Jaccard", "paper loc. mIoU / VOC J"],
                  "Class attention thresholded at mass 0.9 (DINO's rule); boxes with the +1 pixel convention. Mask "
                  "area: mean share of the image inside the mask; near 100, the attention is flat and every box is "
                  "the whole image, so the localisation columns cannot tell methods apart. Geometry: localisation "
                  f"{suite.get('loc_geometry', '?')}, VOC {suite.get('voc_geometry', '?')} (squash: the whole image "
                  "resized to a square, as wsolevaluation and Naseer et al.; crop: shorter side and centre crop).")
        for m in methods:
            p = {k: published(alias, m, *path) for k, path in ROBUST_PATHS.items()}
            lc = {k: per(m, "robustness", "localisation", "largest_component", k)
                  for k in ("miou", "gt_known_loc", "top1_loc")}
            t.rows.append([name(m), cell(*summary(lc["miou"])), cell(*summary(lc["gt_known_loc"])),
                           cell(*summary(lc["top1_loc"])),
                           cell(*summary(per(m, "robustness", "localisation", "all_foreground", "miou"))),
                           cell(*summary(per(m, "robustness", "localisation", "mask_area"))),
                           cell(*summary(per(m, "robustness", "voc", "jaccard"))),
                           f"{paper(p.get('loc'))} / {paper(p.get('voc'))}"])
        out.append(t)
    return out


def curves(data, methods, seeds) -> list[tuple[str, bytes]]:
    """Drop curves (three panels) and the shuffle curve, every method on shared axes; mean over seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def mean_curve(m, key, field):
        vals = [metric(data[(m, s)], "robustness", "drop_shuffle", key, field) for s in seeds]
        vals = [v for v in vals if v is not None]
        return np.mean(vals, 0) if vals else None

    figs = []
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), sharey=True)
    for ax, (key, title) in zip(axes, (("random_drop", "random"), ("salient_drop", "salient"),
                                       ("non_salient_drop", "non-salient"))):
        for m in methods:
            x, y = mean_curve(m, key, "info_loss"), mean_curve(m, key, "top1")
            if x is not None:
                ax.plot(x, y, marker="o", ms=3, label=m)
        ax.set(title=f"{title} patch drop", xlabel="information loss")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("top-1 (%)")
    axes[0].legend()
    fig.tight_layout()
    figs.append(("drop_curves.png", fig))
    fig, ax = plt.subplots(figsize=(5, 3.6))
    for m in methods:
        y = mean_curve(m, "shuffle", "top1")
        g = next((metric(data[(m, s)], "robustness", "drop_shuffle", "shuffle", "patches") for s in seeds), None)
        if y is not None and g is not None:
            ax.plot([str(v) for v in g], y, marker="o", label=m)
    ax.set(title="patch shuffle", xlabel="grid size (patches)", ylabel="top-1 (%)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    figs.append(("shuffle_curve.png", fig))
    out = []
    for name, f in figs:
        buf = io.BytesIO()
        f.savefig(buf, format="png", dpi=110)
        plt.close(f)
        out.append((name, buf.getvalue()))
    return out


SAMPLES_SHOWN = 4  # mixed samples drawn per method
SAMPLES_NOTE = ("Real mixed images of each run's training set (its augmentation and its method), the trained model's "
                "last-block class attention over them; the white outline is the region pasted from the partner. "
                "Area λ: the partner's share of the pixels (CutMix's label); attention λ: its share of the class "
                "attention (TransMix's label, before the official code averages the two).")


def mixed_sample_grid(root: Path, methods, seeds) -> tuple[str, bytes] | None:
    """TransMix Figure 5 from this run: per method (a row), real mixed training images from the first seed's
    ``pretrain/mixed_samples.npz`` (``pretrain/samples.py``), each with its area label and attention label (the
    partner's weight) and the trained model's class attention drawn over it; the pasted region is outlined."""
    found = []
    for m in methods:
        f = next((root / m / f"seed{s}" / "pretrain/mixed_samples.npz" for s in seeds
                  if (root / m / f"seed{s}" / "pretrain/mixed_samples.npz").exists()), None)
        if f is not None:
            found.append((m, np.load(f)))
    if not found:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = min(SAMPLES_SHOWN, min(len(z["images"]) for _, z in found))
    fig, axes = plt.subplots(len(found), n, figsize=(2.6 * n, 2.9 * len(found)), squeeze=False)
    for r, (m, z) in enumerate(found):
        classes = [str(c) for c in z["classes"]]
        for c in range(n):
            ax = axes[r][c]
            img = z["images"][c]
            H, W = img.shape[:2]
            ax.imshow(img)
            ax.imshow(z["attn"][c], cmap="jet", alpha=0.35, extent=(0, W, H, 0), interpolation="nearest")
            ax.contour(z["region"][c], levels=[0.5], colors="white", linewidths=1.2)
            y, yp = int(z["labels"][c]), int(z["partner_labels"][c])
            name = classes[y] if y < len(classes) else y
            pname = classes[yp] if yp < len(classes) else yp
            ax.set_title(f"{name} + {pname}\narea λ {z['lam_area'][c]:.2f}, attention λ {z['lam_attn'][c]:.2f}",
                         fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r][0].set_ylabel(f"{m}\n({z['kind']})", fontsize=9)
    fig.suptitle("mixed training samples: λ is the partner's (outlined region's) label weight", fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return "mixed_samples.png", buf.getvalue()


def config_docs(alias: str, profile: str, ade20k: bool = False) -> list[tuple[str, str]]:
    """(file, docstring) of every config a run of this profile uses: they state each deviation from the papers."""
    files = [REPO / "configs/pretrain" / f"{alias}.py", REPO / "configs/robustness" / f"{profile}.py"]
    from pretrain.models import FAMILY
    if FAMILY.get(alias) == "deit":
        files.append(REPO / "configs/transfer" / f"seg_{profile}.py")
    if ade20k:
        files.append(REPO / "configs/transfer" / f"ade20k_{profile}.py")
    if FAMILY.get(alias) == "pvt":
        files.append(REPO / "configs/transfer" / f"det_{profile}.py")
    out = []
    for f in files:
        if f.exists():
            doc = ast.get_docstring(ast.parse(f.read_text())) or ""
            out.append((str(f.relative_to(REPO)), doc))
    return out


METHOD_NOTES = {
    "deit": "switch_prob 0.5 (timm default; what the official TransMix config actually ran); CutMix box ends at "
            "c + cut//2 (timm 0.4.12/0.5.4, the originals' pins; box_rounding='ceil' for timm 1.0.31's).",
    "transmix": "label = (area + attention)/2 (official code); attention of the last block from the same forward; "
                "CutMix box of timm 0.5.4 (box_rounding).",
    "mixpro": "PAL alpha detached and label smoothing kept in the loss target (OpenMixup's port; the official code "
              "does neither: detach_alpha / pal_smoothing); alpha against the smoothed area target and randperm "
              "pairing as the official code; MaskMix scale from the profile config.",
    "maskmix": "MixPro's MaskMix with the area label; randperm pairing (official; pairing='flip' for timm's).",
    "tokenmix": "teacher map computed online from a frozen checkpoint as a ReLU class-activation map (official: "
                "precomputed NFNet-F6 top-5 logit maps); one block mask per batch, the official block loop and its "
                "subtractive label smoothing (mask_scope, block_fill, target_smoothing).",
    "saliencymix": "spectral-residual saliency (official: OpenCV fine-grained, which needs opencv-contrib).",
    "gridmix": "no official code: OpenMixup's parametrisation (variant='openmixup'; 'grid' for this suite's earlier "
               "GridMask-style grid); global area label only; in the DeiT switch as TransMix Table 8.",
    "attentive_cutmix": "cells ranked by the last channel of the CNN's last feature map on the [0, 1] input "
                        "(official); the CNN in eval mode (the official one runs BatchNorm in training mode on one "
                        "image); the map pooled to the cell grid; flip pairing.",
}


def paper_table(t: dict, data, alias: str, seeds) -> Table:
    """A ``configs/tables`` preset (``tools.tables.load_table``) laid out as the paper's table for ``alias``: per row,
    each column's value (mean ± std over seeds) beside the published one; ``data`` holds a row ``ALIAS:LABEL`` under
    that key (:func:`load_rows`)."""
    pub = t["published"].get(alias, {})
    table = Table(f"{t['paper']} {t['table']} ({alias})",
                  [f"{t['paper']} {t['table']}"] + [c for title in t["columns"] for c in (title, f"paper {title}")],
                  f"{t['caption']}. Published numbers for {alias}" + ("" if pub else ": none (the paper did not run "
                  f"this backbone; it ran {', '.join(t['backbones'])})") + ".")
    for label, name in t["rows"].items():
        row = [f"{name} (`{label}`)"]
        for path, p in zip(t["columns"].values(), pub.get(label, [None] * len(t["columns"]))):
            digits = 2 if path[0] == "bench" else 1  # speed ratios (0.74x) need two
            row += [cell(*summary([metric(data.get((label, s), {}), *path) for s in seeds]), digits=digits),
                    "—" if p is None else f"{p:.{digits}f}"]
        table.rows.append(row)
    return table


def load_rows(t: dict | None, root: Path, seeds) -> dict:
    """``{(ALIAS:LABEL, seed): {stage: results}}`` for a table's rows that are another backbone's run, read from
    ``<root>/../ALIAS`` (the same output folder)."""
    out = {}
    for row in (t or {}).get("rows", {}):
        other, sep, label = row.partition(":")
        if sep:
            found = load(root.parent / other, [label], seeds)
            out.update({(row, s): found[(label, s)] for s in seeds})
    return out


def stale_results(data) -> list[str]:
    """``"<method> seed<s>: <stage>"`` for every result whose recorded ``code_sha256`` is not this checkout's code
    for that stage (or that records none: written before the hash was kept)."""
    from pretrain.checkpoint import STAGE_CODE, code_sha256

    return [f"{m} seed{s}: {st}" for (m, s), stages in data.items() for st, res in stages.items()
            if res.get("stage") not in STAGE_CODE or res.get("code_sha256") != code_sha256(res["stage"])]


def write_report(root: Path, alias: str, profile: str, methods, seeds, data_root, baseline="deit",
                 table: dict | None = None, planned: set[str] | None = None) -> Path:
    """``planned``: the stage names the run planned (a paper table's run skips the stages its columns do not read;
    only planned stages count as missing). None: pretraining and robustness are expected. A paper table's report
    goes to ``report/<table key>/``, so the tables run into one ``--out`` keep each its own; every file is written
    whole or not at all (``atomic_write_bytes``)."""
    from pretrain.checkpoint import atomic_write_bytes

    root = Path(root)
    rep = root / "report" / table["key"] if table is not None else root / "report"
    data = load(root, methods, seeds)
    # a table's ``ALIAS:LABEL`` rows (other backbones' runs under the same --out, TransMix Table 7): in the header,
    # results.csv and the missing / stale lists too, unless one of this backbone's own methods (already in ``data``)
    row_data = load_rows(table, root, seeds)
    rows = [(o, label) for o, sep, label in (r.partition(":") for r in (table or {}).get("rows", {}))
            if sep and not (o == alias and label in methods)]
    every = {**data, **{(f"{o}:{label}", s): row_data[(f"{o}:{label}", s)] for o, label in rows for s in seeds}}
    jobs = max([metric(v, "pretrain", "stages_side_by_side") or 1 for v in every.values()] or [1])
    tabs = tables(data, alias, methods, seeds, baseline if baseline in methods else methods[0], jobs) if methods \
        else []  # a table whose every row is another backbone's (TransMix Table 7): its own layout only
    if table is not None:  # the paper's table first, in its layout, the published numbers beside ours
        tabs.insert(0, paper_table(table, {**data, **row_data}, alias, seeds))
    pngs = curves(data, methods, seeds) if any(metric(v, "robustness") for v in data.values()) else []
    grid = mixed_sample_grid(root, methods, seeds)
    for name, b in pngs + ([grid] if grid else []):
        atomic_write_bytes(rep / name, b)
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(["method", "seed", "stage", "metric", "value"])
    for (m, s), stages in every.items():
        for st, res in stages.items():
            for k, v in _flat(res):
                w.writerow([m, s, st, k, v])
    atomic_write_bytes(rep / "results.csv", buf.getvalue().encode())
    runs = {alias: [(root, m) for m in methods]} if methods else {}  # backbone -> its (run folder, method)s
    for o, label in rows:
        runs.setdefault(o, []).append((root.parent / o, label))
    metas = {a: next((json.loads((d / m / f"seed{s}" / "pretrain/backbone.json").read_text()) for d, m in dirs
                      for s in seeds if (d / m / f"seed{s}" / "pretrain/backbone.json").exists()), {})
             for a, dirs in (runs or {alias: []}).items()}
    provider = next((metric(v, "robustness", "saliency_provider") for v in data.values()
                     if metric(v, "robustness")), "—")
    expected = ("pretrain", "robustness") if planned is None else \
        ["pretrain"] + [k for k, v in {**STAGES, "bench": "bench_mixing"}.items()
                        if k != "pretrain" and v.split("/")[-1] in planned]
    missing = [f"{m} seed{s}: {st}" for (m, s), v in every.items() for st in expected if st not in v]
    stale = stale_results(every)
    ade20k = any(metric(v, "seg_upernet") for v in data.values())
    head = [f"# {alias}: mixing augmentations benchmark ({profile} profile)", "",
            f"- methods: {', '.join(methods + [f'{o}:{m}' for o, m in rows])} "
            f"(baseline: {baseline}); seeds: {', '.join(map(str, seeds))}",
            f"- data: {data_root}" + (" (built-in synthetic benchmark: numbers are not comparable to the papers')"
                                      if "synthetic" in str(data_root) else ""),
            f"- backbone{'s' if len(metas) > 1 else ''}: " + "; ".join(
                f"{meta.get('timm_name', a)} at {meta.get('img_size', '?')} px, token grid stride "
                f"{meta.get('patch_size', '?')}, " + ("a released checkpoint (not trained here)" if meta.get("external")
                                                     else f"{meta.get('epochs', '?')} epochs")
                for a, meta in metas.items()),
            f"- saliency provider for salient / non-salient dropping: {provider}",
            "- numbers are final-epoch values (never best-epoch); mean ± std over seeds",
            f"- pretraining ran {jobs} stage(s) at a time (run_all --jobs)",
            f"- missing results: {', '.join(missing) if missing else 'none'}",
            "- results produced by other code than this checkout's (kept from an earlier run; `run_all "
            f"--rerun-stale` re-runs them): {', '.join(stale) if stale else 'none'}"]
    for m in methods:
        ext = external(data, m, seeds)
        if ext:
            head.append(f"- {m} (external): released checkpoint {ext['source_file']} (sha256 {ext['source_sha256']}), "
                        "imported with pretrain.import_weights; not trained here")
    head.append("")
    devs = ["## Protocol and deviations", ""]
    docs = list(dict.fromkeys(fd for a in metas for fd in config_docs(a, profile, ade20k)))  # each backbone's
    for f, doc in docs:
        devs += [f"**{f}**", "", doc, ""]
    labels = list(dict.fromkeys(methods + [m for _, m in rows]))  # the rows of other backbones run methods too
    notes = [(m, METHOD_NOTES[m.split("@")[0]]) for m in labels if m.split("@")[0] in METHOD_NOTES]
    devs += ["**methods**", ""] + [f"- {m}: {n}" for m, n in notes] + [""]
    md = "\n".join(head + ["## Results", ""] + [t.md() for t in tabs] +
                   (["## Curves", ""] + [f"![{n}]({n})" for n, _ in pngs] + [""] if pngs else []) +
                   (["## Mixed training samples (TransMix Figure 5)", "", SAMPLES_NOTE, "", f"![{grid[0]}]({grid[0]})",
                     ""] if grid else []) + devs)
    atomic_write_bytes(rep / "report.md", md.encode())
    imgs = "".join(f"<img src='data:image/png;base64,{base64.b64encode(b).decode()}' alt='{n}'>" for n, b in pngs)
    if grid:
        imgs += (f"<h2>Mixed training samples (TransMix Figure 5)</h2><p class='note'>{html.escape(SAMPLES_NOTE)}</p>"
                 f"<img src='data:image/png;base64,{base64.b64encode(grid[1]).decode()}' alt='{grid[0]}'>")
    body = "<ul>" + "".join(f"<li>{html.escape(x[2:])}</li>" for x in head[2:] if x) + "</ul>"
    dev_html = "".join(f"<h4>{html.escape(f)}</h4><pre>{html.escape(doc)}</pre>" for f, doc in docs)
    dev_html += "<h4>methods</h4><ul>" + "".join(f"<li>{html.escape(m)}: {html.escape(n)}</li>"
                                                  for m, n in notes) + "</ul>"
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(alias)} report</title><style>"
            "body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse;"
            "margin:0.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,"
            "th:first-child{text-align:left}th{background:#f3f3f3}img{max-width:100%}.note{color:#666;"
            "font-size:90%}pre{white-space:pre-wrap;background:#fafafa;padding:6px}</style></head><body>"
            f"<h1>{html.escape(head[0][2:])}</h1>{body}<h2>Results</h2>{''.join(t.html() for t in tabs)}"
            f"<h2>Curves</h2>{imgs}<h2>Protocol and deviations</h2>{dev_html}</body></html>")
    atomic_write_bytes(rep / "report.html", page.encode())
    return rep / "report.md"


def _flat(d, prefix=""):
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            yield from _flat(v, key + ".")
        elif isinstance(v, (int, float, str)) or v is None:
            yield key, v
        elif isinstance(v, list) and len(v) <= 32 and all(isinstance(x, (int, float)) for x in v):
            yield key, json.dumps(v)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", required=True, help="<out>/<alias>")
    ap.add_argument("--profile", default="demo")
    ap.add_argument("--methods", default=None, help="default: the table's, else deit,transmix,mixpro")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--baseline", default="deit")
    ap.add_argument("--data-root", default="?")
    ap.add_argument("--table", default=None, help="a paper table's key (configs/tables/): its layout first")
    args = ap.parse_args(argv)
    root = Path(args.root)
    table = None
    if args.table:
        from tools.tables import load_table

        table = load_table(args.table)
    methods = args.methods or (",".join(table["methods"]) if table else "deit,transmix,mixpro")
    print(write_report(root, root.name, args.profile, methods.split(","), [int(s) for s in args.seeds.split(",")],
                       args.data_root, args.baseline, table))


if __name__ == "__main__":
    main()
