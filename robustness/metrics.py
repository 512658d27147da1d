"""Metrics as pure array functions, each with its definition and source.

- :func:`calib_err`, :func:`aurra`: Hendrycks et al., "Natural Adversarial Examples" (hendrycks/natural-adv-examples
  ``calibration_tools.py``), reproduced with their quirks.
- :func:`ood_measures`: AUROC, AUPR (``average_precision_score``: step-wise, not trapezoid) and FPR at 95% recall
  (:func:`fpr_at_recall`, Hendrycks' cut-off rule) with the out-of-distribution samples as the positive class
  (Hendrycks' ``get_measures`` convention).
- :func:`box_iou`: integer pixel boxes with the +1 convention (wsolevaluation).
"""

from __future__ import annotations

import numpy as np


def _check(confidence, correct):
    confidence = np.asarray(confidence, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.float64)
    if confidence.shape != correct.shape or confidence.ndim != 1:
        raise ValueError(f"confidence and correct must be 1-D of one length, got {confidence.shape}, {correct.shape}")
    if np.isnan(confidence).any():
        raise ValueError("confidence holds NaN")
    return confidence, correct


def calib_err(confidence, correct, p: str = "2", beta: int = 100) -> float:
    """RMS (``p='2'``), mean-absolute (``'1'``) or max (``'infty'``) calibration error over bins of ``beta`` samples.

    Sort by confidence; bins ``[i*beta, (i+1)*beta)`` for ``i < N // beta``, the last bin extended to take the
    remainder; each bin contributes ``n_bin/N * |mean conf - mean acc|^2`` (p=2, square-rooted at the end).
    Quirk of the original kept: its loop runs over all bins but the last, so the last bin is skipped while its
    samples still count in ``N``. Needs at least ``beta`` samples (the original would index an empty list)."""
    confidence, correct = _check(confidence, correct)
    if p not in ("1", "2", "infty", "infinity", "max"):
        raise ValueError(f"p must be '1', '2' or 'infty', got {p!r}")
    n = len(confidence)
    if n < beta:
        raise ValueError(f"calib_err needs at least beta={beta} samples (bins of {beta}), got {n}")
    order = np.argsort(confidence, kind="stable")
    confidence, correct = confidence[order], correct[order]
    bins = [[i * beta, (i + 1) * beta] for i in range(n // beta)]
    bins[-1][1] = n
    err = 0.0
    for lo, hi in bins[:-1]:  # the original's range(len(bins) - 1)
        diff = abs(np.nanmean(confidence[lo:hi]) - np.nanmean(correct[lo:hi]))
        if p == "2":
            err += (hi - lo) / n * diff**2
        elif p == "1":
            err += (hi - lo) / n * diff
        else:
            err = max(err, diff)
    return float(np.sqrt(err) if p == "2" else err)


def aurra(confidence, correct) -> float:
    """Area under the response-rate accuracy curve: the mean over k of the accuracy of the k most confident."""
    confidence, correct = _check(confidence, correct)
    order = np.argsort(-confidence, kind="stable")
    curve = np.cumsum(correct[order]) / np.arange(1, len(correct) + 1)
    return float(curve.mean())


def fpr_at_recall(out_scores, in_scores, recall: float = 0.95) -> float:
    """Hendrycks' ``fpr_and_fdr_at_recall`` (hendrycks/natural-adv-examples@0777070 ``calibration_tools.py`` l.117-157,
    a copy of hendrycks/outlier-exposure@e6ede98 ``utils/display_results.py`` l.26-66), OOD = positive class.

    The thresholds are the distinct scores, highest first; at each, recall = OOD samples at or above it / all OOD.
    The curve is walked from the first threshold that reaches recall 1 back to the highest one, and the cut-off is
    the threshold whose recall is *nearest* ``recall`` (``argmin |recall - level|``: it may lie below the level; among
    equal recalls the lowest threshold, i.e. the most false positives, because that one comes first in the walk). The
    value is the in-distribution samples at or above the cut-off / all in-distribution samples. (Not sklearn's
    ``roc_curve`` and the first threshold reaching the level: that picks another point on flat stretches and with
    few OOD samples; the tests pin the original's values on such inputs.)"""
    out_scores, in_scores = np.asarray(out_scores, np.float64), np.asarray(in_scores, np.float64)
    y = np.concatenate([np.ones(len(out_scores), bool), np.zeros(len(in_scores), bool)])
    s = np.concatenate([out_scores, in_scores])
    order = np.argsort(s, kind="mergesort")[::-1]  # descending, as the original (a reversed stable sort)
    s, y = s[order], y[order]
    last_of_level = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # the last sample of each distinct score
    tps = np.cumsum(y, dtype=np.float64)[last_of_level]
    fps = 1 + last_of_level - tps
    full = int(np.searchsorted(tps, tps[-1]))  # the first threshold with every OOD sample above it
    rec = tps[full::-1] / tps[-1]  # from there back to the highest threshold (the original's sentinel 1 appended
    fps = fps[full::-1]  # after these is never the first minimum, so it is left out)
    cut = int(np.argmin(np.abs(rec - recall)))
    return float(fps[cut] / (~y).sum())


def ood_measures(out_scores, in_scores, recall: float = 0.95) -> dict:
    """``{"auroc", "aupr", "fpr95"}`` for anomaly scores (higher = more anomalous), OOD = positive class, as
    Hendrycks' ``get_measures``: sklearn's ``roc_auc_score`` and ``average_precision_score`` (step-wise, not
    trapezoid), and :func:`fpr_at_recall`."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    out_scores, in_scores = np.asarray(out_scores, np.float64), np.asarray(in_scores, np.float64)
    if len(out_scores) == 0 or len(in_scores) == 0:
        raise ValueError("ood_measures needs both out- and in-distribution scores")
    y = np.concatenate([np.ones(len(out_scores)), np.zeros(len(in_scores))])
    s = np.concatenate([out_scores, in_scores])
    return {"auroc": float(roc_auc_score(y, s)), "aupr": float(average_precision_score(y, s)),
            "fpr95": fpr_at_recall(out_scores, in_scores, recall)}


def box_iou(a, b) -> float:
    """IoU of two integer boxes ``(x0, y0, x1, y1)`` with inclusive corners (area ``(x1-x0+1)*(y1-y0+1)``)."""
    ix = min(a[2], b[2]) - max(a[0], b[0]) + 1
    iy = min(a[3], b[3]) - max(a[1], b[1]) + 1
    inter = max(ix, 0) * max(iy, 0)
    area = lambda r: (r[2] - r[0] + 1) * (r[3] - r[1] + 1)
    return inter / (area(a) + area(b) - inter)


def mask_iou(pred: np.ndarray, gt: np.ndarray, void: np.ndarray | None = None) -> float:
    """Jaccard of two boolean masks; ``void`` pixels are left out of both (``ignore_void``) when given."""
    if void is not None:
        pred, gt = pred & ~void, gt & ~void
    union = (pred | gt).sum()
    return float((pred & gt).sum() / union) if union else 0.0
