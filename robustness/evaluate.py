"""Evaluators of the robustness and attention-quality suite. Each takes a model that maps ``[0, 1]`` images to
logits (:class:`Normalized`), the suite config and data, and returns scalars and curves."""

from __future__ import annotations

import logging

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from pretrain.models import forward_with_attention

from .attention import box_from_mask, grid_to_pixels, mass_mask
from .data import ImageList, eval_transform, mask_transform, squash_box, transform_box, val_boxes
from .metrics import aurra, box_iou, calib_err, mask_iou, ood_measures
from .perturb import as_grid, drop_patches, random_drop, shuffle_patches

log = logging.getLogger(__name__)


class Normalized(torch.nn.Module):
    """``model((x01 - mean) / std)``: perturbations act in [0, 1] pixel space, the model sees normalised input."""

    def __init__(self, model, mean, std):
        super().__init__()
        self.model = model
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1))

    def forward(self, x01):
        return self.model((x01 - self.mean) / self.std)

    def with_attention(self, x01, per_head: bool = False):
        return forward_with_attention(self.model, (x01 - self.mean) / self.std, per_head=per_head)


def loader(items, cfg, img_size, geometry: str = "crop"):
    ds = ImageList(items, eval_transform(img_size, cfg["crop_pct"], cfg["interpolation"], geometry))
    return torch.utils.data.DataLoader(ds, batch_size=cfg["batch_size"], shuffle=False, num_workers=cfg["workers"],
                                       generator=torch.Generator().manual_seed(0))


def _bar(dl, desc):
    return tqdm(dl, desc=desc, mininterval=5, dynamic_ncols=True, leave=False)


class SweepPlan:
    """The sweep points of patch dropping and shuffling on a ``grid`` of tokens."""

    def __init__(self, cfg: dict, grid):
        self.grid, self.n = tuple(grid), grid[0] * grid[1]
        self.ks = [k * self.n // 10 for k in cfg["random_drop_tenths"]]
        self.masses, self.shuffles = list(cfg["masses"]), [as_grid(g) for g in cfg["shuffle_grids"]]
        if cfg["shuffle_mean"] not in ("shuffled", "all"):
            raise ValueError(f"shuffle_mean must be 'shuffled' or 'all', got {cfg['shuffle_mean']!r}")
        # Naseer et al. report one accuracy per grid (evaluate.py l.209-227); the mean is the TransMix paper's summary.
        # "shuffled": over the grids that shuffle (a 1x1 grid is the clean image); "all": every listed grid
        self.in_mean = [g != (1, 1) or cfg["shuffle_mean"] == "all" for g in self.shuffles]
        self.points = len(self.ks) + 2 * len(self.masses) + len(self.shuffles)


@torch.no_grad()
def sweep_batch(model, saliency, x, y, plan: SweepPlan, gen: torch.Generator) -> dict:
    """Correct counts of every sweep point and the dropped fractions for one batch on its device: the saliency
    provider runs once, then each point is one perturbation and one forward."""
    B, n, grid = x.shape[0], plan.n, plan.grid
    correct = lambda xp: model(xp).argmax(1) == y
    hits = lambda xp: correct(xp).sum().item()
    sal = saliency(x, grid)  # (B, n)
    out = {"random": [], "salient": [], "non_salient": [], "salient_frac": [], "non_salient_frac": []}
    for k in plan.ks:
        c = correct(drop_patches(x, random_drop(B, n, k, gen), grid))
        out["random"].append(c.sum().item())
        if k == 0:  # the clean point: keep per-image correctness for paired comparisons between methods
            out["clean_correct"] = c.int().tolist()
    for m in plan.masses:
        keep = mass_mask(sal, m)  # the patches holding `m` of the attention mass
        out["salient"].append(hits(drop_patches(x, keep, grid)))
        out["non_salient"].append(hits(drop_patches(x, ~keep, grid)))
        out["salient_frac"].append(keep.float().mean(1).sum().item())
        out["non_salient_frac"].append((~keep).float().mean(1).sum().item())
    out["shuffle"] = [hits(shuffle_patches(x, g, gen)) for g in plan.shuffles]
    return out


def drop_and_shuffle(model, saliency, items, cfg, img_size, grid, device) -> dict:
    """Random / salient / non-salient patch dropping and patch shuffling, one pass over the images (each image is
    loaded once; see :func:`sweep_batch`). ``grid``: the dropping grid (the model's token grid)."""
    plan = SweepPlan(cfg, grid)
    gen = torch.Generator().manual_seed(cfg["seed"])
    sums, total, clean = None, 0, []
    for x, y, _ in _bar(loader(items, cfg, img_size), "drop/shuffle"):
        r = sweep_batch(model, saliency, x.to(device), y.to(device), plan, gen)
        clean += r.pop("clean_correct", [])
        sums = {k: np.asarray(v, float) for k, v in r.items()} if sums is None else \
            {k: sums[k] + np.asarray(r[k], float) for k in sums}
        total += x.shape[0]
    pct = {k: (100 * v / total).tolist() for k, v in sums.items() if not k.endswith("_frac")}
    return {
        "images": total, "forwards": total * plan.points, "drop_grid": list(grid), "clean_correct": clean,
        "random_drop": {"info_loss": [k / plan.n for k in plan.ks], "top1": pct["random"]},
        "salient_drop": {"mass": plan.masses, "info_loss": (sums["salient_frac"] / total).tolist(),
                         "top1": pct["salient"]},
        "non_salient_drop": {"mass": plan.masses, "info_loss": (sums["non_salient_frac"] / total).tolist(),
                             "top1": pct["non_salient"]},
        "shuffle": {"grid": [list(g) for g in plan.shuffles], "patches": [r * c for r, c in plan.shuffles],
                    "top1": pct["shuffle"], "mean_over": [list(g) for g, k in zip(plan.shuffles, plan.in_mean) if k],
                    "mean_top1": float(np.mean([v for v, k in zip(pct["shuffle"], plan.in_mean) if k]))},
    }


@torch.no_grad()
def predictions(model, items, cfg, img_size, device, subset=None):
    """Softmax over the ``subset`` logits (sliced *before* the softmax, Hendrycks): ``(probs, labels)``."""
    probs, labels = [], []
    idx = torch.tensor(subset, device=device) if subset is not None else None
    for x, y, _ in _bar(loader(items, cfg, img_size), "predict"):
        logits = model(x.to(device)).float()
        if idx is not None:
            logits = logits[:, idx]
        probs.append(logits.softmax(1).cpu())
        labels.append(y)
    return torch.cat(probs), torch.cat(labels)


def imagenet_a_metrics(model, items, subset, cfg, img_size, device) -> dict:
    probs, labels = predictions(model, items, cfg, img_size, device, subset)
    conf, pred = probs.max(1)
    correct = (torch.tensor(subset)[pred] == labels).float().numpy()
    conf = conf.numpy()
    return {"images": len(items), "classes": len(subset), "top1": float(100 * correct.mean()),
            "calib_err": float(100 * calib_err(conf, correct, "2", cfg["calib_beta"])),
            "aurra": float(100 * aurra(conf, correct))}


def imagenet_o_metrics(model, ood_items, id_items, subset, cfg, img_size, device) -> dict:
    p_out, _ = predictions(model, ood_items, cfg, img_size, device, subset)
    p_in, _ = predictions(model, id_items, cfg, img_size, device, subset)
    m = ood_measures(-p_out.max(1).values.numpy(), -p_in.max(1).values.numpy())
    return {"ood_images": len(ood_items), "id_images": len(id_items), **{k: 100 * v for k, v in m.items()}}


@torch.no_grad()
def localisation(model, items, root, cfg, img_size, device) -> dict:
    """Class attention -> mass rule at ``cfg['loc_mass']`` -> nearest upsample -> one tight box; IoU (+1 convention)
    against the image's GT boxes (max), for the largest-component box and the all-foreground box. ``mask_area``: the
    mean share of the image the mask covers (near 100 when the attention is flat and every box is the whole image).

    ``cfg['loc_geometry']``: ``'squash'`` (default: wsolevaluation, clovaai/wsolevaluation@96f4b88
    ``data_loaders.py`` l.216-225 resizes to ``img_size x img_size`` and ``evaluation.py`` l.95-114 rescales the
    boxes with ``int(v * new / old)``) or ``'crop'`` (the classification transform: shorter side, centre crop, boxes
    clipped). The TransMix paper's localisation mIoU comes with no code, so which geometry its numbers used cannot be
    known; the default is wsolevaluation's, the reference for the largest-component box. The box itself is this
    suite's inclusive tight box of the mask (wsolevaluation's ``cv2.boundingRect`` box ends one pixel further)."""
    geometry = cfg["loc_geometry"]
    if geometry not in ("squash", "crop"):
        raise ValueError(f"loc_geometry must be 'squash' or 'crop', got {geometry!r}")
    ious = {"largest_component": [], "all_foreground": []}
    correct, area = [], []
    for x, y, i in _bar(loader(items, cfg, img_size, geometry), "localisation"):
        logits, attn, grid = model.with_attention(x.to(device))
        masks = grid_to_pixels(mass_mask(attn, cfg["loc_mass"]), grid, (img_size, img_size)).cpu().numpy()
        correct += (logits.argmax(1).cpu() == y).tolist()
        area += masks.reshape(len(masks), -1).mean(1).tolist()
        for m, j in zip(masks, i.tolist()):
            boxes, wh = val_boxes(root, items[j][0])
            gts = [squash_box(b, wh, img_size) if geometry == "squash" else
                   transform_box(b, wh, img_size, cfg["crop_pct"]) for b in boxes]
            for kind, lcc in (("largest_component", True), ("all_foreground", False)):
                pb = box_from_mask(m, lcc)
                ious[kind].append(0.0 if pb is None else max(box_iou(pb, g) for g in gts))
    out = {"images": len(correct), "mass": cfg["loc_mass"], "mask_area": float(100 * np.mean(area)),
           "geometry": geometry,
           "transform": f"squash to {img_size}x{img_size} ({cfg['interpolation']}), boxes int(v * {img_size} / side)"
           if geometry == "squash" else
           f"resize {int(img_size / cfg['crop_pct'])} (shorter side, {cfg['interpolation']}), centre crop {img_size}"}
    c = np.asarray(correct, bool)
    for kind, v in ious.items():
        v = np.asarray(v)
        out[kind] = {"miou": float(100 * v.mean()), "gt_known_loc": float(100 * (v >= 0.5).mean()),
                     "top1_loc": float(100 * ((v >= 0.5) & c).mean())}
    return out


@torch.no_grad()
def voc_jaccard(model, items, cfg, size, device) -> dict:
    """Naseer et al.'s weakly supervised segmentation: per head, the class attention thresholded at mass
    ``cfg['voc_mass']`` and upsampled to the image; per image, the mean over its present classes (not 0, not 255)
    of the best head's IoU with that class's mask; mean over images. Void pixels count in the union as in the
    original unless ``cfg['ignore_void']``.

    ``cfg['voc_geometry']``: ``'squash'`` (default: Naseer et al.'s ``utils.py`` ``get_voc_dataset`` l.22-36 resizes
    the image to ``size x size``, bilinear, and its mask the same way with nearest neighbours) or ``'crop'`` (shorter
    side and centre crop, the mask through the same crop)."""
    from PIL import Image

    geometry = cfg["voc_geometry"]
    to_t = eval_transform(size, 1.0, cfg["interpolation"], geometry)
    to_mask = mask_transform(size, geometry)
    per_image = []
    for img_path, seg_path in tqdm(items, desc="voc", mininterval=5, leave=False):
        with Image.open(img_path) as im:
            x = to_t(im.convert("RGB"))[None].to(device)
        with Image.open(seg_path) as im:
            seg = np.asarray(to_mask(im))
        _, attn, grid = model.with_attention(x, per_head=True)  # (1, heads, n)
        heads = attn[0]
        masks = grid_to_pixels(torch.stack([mass_mask(h[None], cfg["voc_mass"])[0] for h in heads]), grid,
                               (size, size)).cpu().numpy()
        void = seg == 255 if cfg["ignore_void"] else None
        classes = [c for c in np.unique(seg) if c not in (0, 255)]
        if not classes:
            continue
        per_image.append(np.mean([max(mask_iou(m, seg == c, void) for m in masks) for c in classes]))
    return {"images": len(per_image), "input_size": size, "mass": cfg["voc_mass"], "ignore_void": cfg["ignore_void"],
            "geometry": geometry,
            "jaccard": float(100 * np.mean(per_image)) if per_image else float("nan")}


def make_saliency(provider, head="mean"):
    """A function ``(x01, grid) -> (B, n)`` attention of ``provider`` resampled (area) to the dropping grid."""

    def saliency(x, grid):
        _, attn, g = provider.with_attention(x, per_head=head != "mean")
        if head != "mean":
            attn = attn[:, int(head)]
        if tuple(g) != tuple(grid):
            attn = F.interpolate(attn.view(-1, 1, *g), size=tuple(grid), mode="area").flatten(1)
        return attn

    return saliency
