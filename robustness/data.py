"""Readers for the datasets the suite evaluates on, in their standard layouts (see ``configs/datasets.py``).

Images come out as ``[0, 1]`` tensors (no normalisation: perturbations happen in pixel space; the model wrapper
normalises). Evaluation transform: resize the shorter side to ``img_size / crop_pct``, centre crop ``img_size``
(``geometry='crop'``), or squash the whole image to ``img_size x img_size`` (``'squash'``: wsolevaluation's
localisation and Naseer et al.'s VOC); bilinear by default, torchvision's default that Naseer et al.
(``evaluate.py`` l.74-78) and Hendrycks (``eval.py`` l.19-20) evaluate with. Ground-truth boxes go through the same
geometry (:func:`transform_box`, :func:`squash_box`).
"""

from __future__ import annotations

import hashlib
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torchvision import transforms as T

from configs.datasets import DatasetError, class_subset, dataset_root, imagenet_classes, read_lines

IMG_EXT = (".jpeg", ".jpg", ".png")


INTERPOLATION = {"bilinear": T.InterpolationMode.BILINEAR, "bicubic": T.InterpolationMode.BICUBIC}


def eval_transform(img_size: int, crop_pct: float, interpolation: str = "bilinear", geometry: str = "crop"):
    if interpolation not in INTERPOLATION:
        raise ValueError(f"interpolation must be one of {sorted(INTERPOLATION)}, got {interpolation!r}")
    mode = INTERPOLATION[interpolation]
    if geometry == "squash":
        return T.Compose([T.Resize((img_size, img_size), interpolation=mode), T.ToTensor()])
    if geometry != "crop":
        raise ValueError(f"geometry must be 'crop' or 'squash', got {geometry!r}")
    return T.Compose([T.Resize(int(math.floor(img_size / crop_pct)), interpolation=mode), T.CenterCrop(img_size),
                      T.ToTensor()])


def mask_transform(size: int, geometry: str):
    """A label map (PIL, mode P or L) through the image's geometry at ``size`` with nearest neighbours: squashed, or
    resized by its shorter side and centre-cropped (so that it stays aligned with the image)."""
    nearest = T.InterpolationMode.NEAREST
    if geometry == "squash":
        return T.Resize((size, size), interpolation=nearest)
    return T.Compose([T.Resize(size, interpolation=nearest), T.CenterCrop(size)])


def squash_box(box, wh, img_size: int):
    """wsolevaluation's box rescaling for an image squashed to ``img_size`` (clovaai/wsolevaluation@96f4b88
    ``evaluation.py`` l.95-114): every coordinate ``int(v * img_size / side)``."""
    w, h = (float(v) for v in wh)
    x0, y0, x1, y1 = (float(v) for v in box)
    return int(x0 * img_size / w), int(y0 * img_size / h), int(x1 * img_size / w), int(y1 * img_size / h)


def transform_box(box, wh, img_size: int, crop_pct: float):
    """An inclusive pixel box of an image of size ``wh`` -> the same box after :func:`eval_transform`, clipped."""
    w, h = wh
    short = int(math.floor(img_size / crop_pct))
    s = short / min(w, h)
    nw, nh = (short, int(short * h / w)) if w <= h else (int(short * w / h), short)
    ox, oy = int(round((nw - img_size) / 2.0)), int(round((nh - img_size) / 2.0))
    x0, y0, x1, y1 = box  # covers the continuous range [x0, x1 + 1) x [y0, y1 + 1)
    lo = lambda v, o: int(min(max(math.floor(v * s) - o, 0), img_size - 1))
    hi = lambda v, o: int(min(max(math.ceil((v + 1) * s) - 1 - o, 0), img_size - 1))
    return lo(x0, ox), lo(y0, oy), hi(x1, ox), hi(y1, oy)


class ImageList(torch.utils.data.Dataset):
    """``(image [0,1] tensor, label, index)`` from a list of ``(path, label)``."""

    def __init__(self, items, transform):
        self.items, self.transform = list(items), transform

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        path, label = self.items[i]
        try:
            with Image.open(path) as im:
                img = im.convert("RGB")
        except Exception as e:
            raise DatasetError(f"unreadable image {path}: {e}") from e
        return self.transform(img), label, i


def _folder_items(root: Path, class_index: dict[str, int], what: str):
    items = []
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        if d.name not in class_index:
            raise DatasetError(f"{what}: folder {d} is not a class of the ImageNet class list")
        items += [(f, class_index[d.name]) for f in sorted(d.iterdir()) if f.suffix.lower() in IMG_EXT]
    if not items:
        raise DatasetError(f"{what}: no images under {root}/<wnid>/")
    return items


def cap(items, max_images: int | None, seed: int = 0):
    """A fixed random subset of at most ``max_images`` (all when None)."""
    if max_images is None or len(items) <= max_images:
        return items
    idx = np.sort(np.random.default_rng(seed).choice(len(items), max_images, replace=False))
    return [items[i] for i in idx]


def imagenet_val(data_root=None):
    root = dataset_root("imagenet", data_root)
    classes = imagenet_classes(root)
    return _folder_items(root / "val", {w: i for i, w in enumerate(classes)}, "ImageNet val"), classes, root


def val_boxes(root: Path, path: Path):
    """GT boxes ``[(x0, y0, x1, y1)]`` and image size from ``Annotations/CLS-LOC/val/<stem>.xml``."""
    xml = root / "Annotations/CLS-LOC/val" / (Path(path).stem + ".xml")
    if not xml.exists():
        raise DatasetError(f"missing box annotation {xml} (ILSVRC Annotations/CLS-LOC/val/<stem>.xml)")
    ann = ET.parse(xml).getroot()
    size = ann.find("size")
    wh = (int(size.findtext("width")), int(size.findtext("height")))
    boxes = [tuple(int(float(o.find("bndbox").findtext(k))) for k in ("xmin", "ymin", "xmax", "ymax"))
             for o in ann.findall("object")]
    if not boxes:
        raise DatasetError(f"{xml} has no <object><bndbox>")
    return boxes, wh


def imagenet_a(data_root, classes):
    root = dataset_root("imagenet-a", data_root)
    subset = class_subset(root, "imagenet_a_indices.txt", len(classes))
    items = _folder_items(root, {classes[i]: i for i in subset}, "ImageNet-A")
    return items, subset


def imagenet_o(data_root, classes):
    """OOD images and the in-distribution class subset (``imagenet_o_indices.txt``)."""
    root = dataset_root("imagenet-o", data_root)
    subset = class_subset(root, "imagenet_o_indices.txt", len(classes))
    items = _folder_items(root, {classes[i]: i for i in subset}, "ImageNet-O")
    return [(p, -1) for p, _ in items], subset


def voc_val(data_root=None):
    root = dataset_root("voc2012", data_root)
    stems = read_lines(root / "ImageSets/Segmentation/val.txt")
    items = [(root / "JPEGImages" / f"{s}.jpg", root / "SegmentationClass" / f"{s}.png") for s in stems]
    for img, seg in items[:1] + items[-1:]:
        for p in (img, seg):
            if not p.exists():
                raise DatasetError(f"VOC2012: missing {p} listed in ImageSets/Segmentation/val.txt")
    return items


def fingerprint(paths) -> str:
    """sha256 over the sorted (path, size) pairs of the files used: cheap, and changes when the data does."""
    h = hashlib.sha256()
    for p in sorted(str(p) for p in paths):
        h.update(f"{p}\t{Path(p).stat().st_size}\n".encode())
    return h.hexdigest()
