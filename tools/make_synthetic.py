"""Synthetic benchmark in the real, standard dataset layouts.

    python tools/make_synthetic.py --out data/synthetic-demo --scale demo --seed 0

Writes seven datasets under ``--out`` that every stage of the suite reads exactly as it would read the real ones:

- ``imagenet/``: ``train/<wnid>/*.JPEG``, ``val/<wnid>/ILSVRC2012_val_*.JPEG``, ``LOC_synset_mapping.txt`` (the class
  list, ``<wnid> <name>`` per line, sorted by wnid), ILSVRC ``Annotations/CLS-LOC/val/<stem>.xml`` boxes (pixel indices,
  0-based, max inclusive) and ``masks/val/<wnid>/<stem>.png`` foreground masks (0/255).
- ``imagenet-a/``: a harder split (occluders, fog, low contrast, clutter, small objects) over a subset of the classes,
  ``<wnid>/*.jpg``, with ``imagenet_a_indices.txt`` / ``imagenet_a_synsets.txt`` (timm's analogue).
- ``imagenet-o/``: shapes no class uses, in ``<wnid>/*.jpg`` folders named after in-distribution classes (as in the
  real ImageNet-O), with ``imagenet_o_indices.txt`` / ``imagenet_o_synsets.txt`` (the in-distribution classes).
- ``pascal_context/``: MMSegmentation's layout (``JPEGImages``, ``SegmentationClassContext``,
  ``ImageSets/SegmentationContext/{train,val}.txt``), 60-class label ids, 0 = background, stuff regions + objects.
- ``coco/``: ``train2017/``, ``val2017/``, ``annotations/instances_{train,val}2017.json`` with polygon masks.
- ``voc2012/``: ``JPEGImages``, ``SegmentationClass`` (palette PNGs, 255 = void band), ``ImageSets/Segmentation``.
- ``ade20k/``: ADEChallengeData2016's layout (``images/{training,validation}/ADE_{train,val}_<8 digits>.jpg``,
  ``annotations/...png``), ADE20K's 150-class ids (1..150; 0 = "other", ignored), stuff regions + objects, short
  side the scale's (ADE20K's protocol resizes by the short side).

Images are shape classes rendered on textured, cluttered backgrounds with random scale, position, rotation and colour,
at their dataset's typical sizes (``REAL_WH``: ImageNet and VOC/Pascal 500x375, 375x500, 500x333, ...; COCO 640x480,
480x640, 640x427, ...), scaled so the long side is the scale's size: every evaluator meets non-square images.
Every image has its own random stream seeded by (seed, split, index), so the output is byte-identical for a seed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

VERSION = 5  # 4: non-square images at the real datasets' aspect ratios; 5: ADE20K
STAMP = "SYNTHETIC.json"


def generator_sha() -> str:
    """sha256 of this file: any change to the generator invalidates data generated before it."""
    import hashlib
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()

# --------------------------------------------------------------------------------------------- shapes (unit polygons)


def _regular(n: int, phase: float = 0.0) -> np.ndarray:
    t = phase + 2 * np.pi * np.arange(n) / n
    return np.stack([np.cos(t), np.sin(t)], 1)


def _star(n: int = 5, inner: float = 0.45) -> np.ndarray:
    t = np.pi / 2 + np.pi * np.arange(2 * n) / n
    r = np.where(np.arange(2 * n) % 2 == 0, 1.0, inner)
    return np.stack([r * np.cos(t), r * np.sin(t)], 1)


def _crescent() -> np.ndarray:
    c, r = 0.5, 0.8  # inner circle centre (c, 0), radius r; outer circle radius 1 at the origin
    x = (1 + c * c - r * r) / (2 * c)
    a = math.atan2(math.sqrt(1 - x * x), x)
    outer = np.linspace(a, 2 * np.pi - a, 40)
    phi = math.atan2(math.sqrt(1 - x * x), x - c)
    inner = np.linspace(2 * np.pi - phi, phi, 30)
    pts = np.concatenate([np.stack([np.cos(outer), np.sin(outer)], 1),
                          np.stack([c + r * np.cos(inner), r * np.sin(inner)], 1)])
    return pts


def _heart() -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    return np.stack([x, y], 1) / 16.0


def _poly(*pts: float) -> np.ndarray:
    return np.asarray(pts, dtype=np.float64).reshape(-1, 2)


SHAPES = {  # in-distribution classes: all simple polygons, so COCO polygons are exact
    "circle": _regular(48),
    "triangle": _regular(3, np.pi / 2),
    "square": _regular(4, np.pi / 4),
    "star": _star(5),
    "cross": _poly(-.3, -1, .3, -1, .3, -.3, 1, -.3, 1, .3, .3, .3, .3, 1, -.3, 1, -.3, .3, -1, .3, -1, -.3, -.3, -.3),
    "crescent": _crescent(),
    "arrow": _poly(-1, -.25, .2, -.25, .2, -.7, 1, 0, .2, .7, .2, .25, -1, .25),
    "heart": _heart(),
    "ell": _poly(-.7, -1, -.1, -1, -.1, .4, .7, .4, .7, 1, -.7, 1),
    "tee": _poly(-1, -1, 1, -1, 1, -.4, .3, -.4, .3, 1, -.3, 1, -.3, -.4, -1, -.4),
}
OOD_SHAPES = {  # shapes no class uses (ImageNet-O analogue)
    "hourglass": _poly(-.8, -1, .8, -1, .1, 0, .8, 1, -.8, 1, -.1, 0),
    "aitch": _poly(-1, -1, -.4, -1, -.4, -.25, .4, -.25, .4, -1, 1, -1, 1, 1, .4, 1, .4, .25, -.4, .25, -.4, 1, -1, 1),
    "horseshoe": _poly(-1, -1, -.45, -1, -.45, .45, .45, .45, .45, -1, 1, -1, 1, 1, -1, 1),
    "zed": _poly(-1, -1, 1, -1, 1, -.5, -.2, .5, 1, .5, 1, 1, -1, 1, -1, .5, .2, -.5, -1, -.5),
    "semicircle": np.concatenate([_poly(-1, 0), np.stack([np.cos(np.linspace(0, np.pi, 30)),
                                                            -np.sin(np.linspace(0, np.pi, 30))], 1)[::-1]]),
    "hexagon": _regular(6),
}
for _pts in list(SHAPES.values()) + list(OOD_SHAPES.values()):  # centre each polygon on its box, radius 1
    _pts -= (_pts.max(0) + _pts.min(0)) / 2
    _pts /= np.abs(_pts).max()

CLASSES = list(SHAPES)
# Like natural categories, each class has a typical colour: hues spread over the circle, each within HUE_JITTER of
# its class hue, so neighbouring classes overlap (colour alone is an unreliable cue; shape decides). This gives a
# ViT trained from scratch for minutes an early foothold; ImageNet-O's shapes take any hue.
CLASS_HUE = {c: i / len(CLASSES) for i, c in enumerate(CLASSES)}
HUE_JITTER = 0.1
WNIDS = [f"n{99000000 + i:08d}" for i in range(len(CLASSES))]  # n99000000, n99000001, ...
# 60-class Pascal Context label ids (MMSegmentation's PascalContextDataset order, 0 = background)
PC_OBJECT_IDS = [1, 7, 8, 10, 14, 15, 17, 20, 23, 31]  # aeroplane bird boat bottle car cat chair cow dog horse
PC_STUFF = {"sky": 47, "wall": 56, "building": 11, "grass": 29, "ground": 30, "water": 57, "road": 41, "floor": 26}
VOC_IDS = list(range(1, 11))  # aeroplane .. cow
# ADE20K label ids (MMSegmentation's ADE20KDataset order + 1, 0 = other): stuff as Pascal Context's, one object class
# per shape class (ADE20K has no cat, dog, cow, horse or bird: other objects stand in)
ADE_STUFF = {"sky": 3, "wall": 1, "building": 2, "grass": 10, "ground": 14, "water": 22, "road": 7, "floor": 4}
ADE_OBJECT_IDS = [91, 77, 99, 21, 20, 128, 81, 84, 149, 136]  # airplane boat bottle car chair bicycle bus truck
# clock vase
PC_TO_ADE = np.zeros(256, np.uint8)  # Pascal Context stuff id -> ADE20K's (0 stays 0)
for _name, _pc in PC_STUFF.items():
    PC_TO_ADE[_pc] = ADE_STUFF[_name]

SCALES = {
    # imagenet side, train/val per class, A and O images, pascal side/train/val, coco side/train/val, voc side/val,
    # ade20k short side/train/val
    "tiny": dict(img=32, train=8, val=4, a_per_class=20, o=100, pc=64, pc_train=8, pc_val=4,
                 coco=64, coco_train=6, coco_val=4, voc=64, voc_val=6, ade=64, ade_train=8, ade_val=4),
    "demo": dict(img=64, train=1300, val=50, a_per_class=40, o=200, pc=128, pc_train=300, pc_val=100,
                 coco=128, coco_train=240, coco_val=60, voc=96, voc_val=100, ade=128, ade_train=300, ade_val=100),
}

# ------------------------------------------------------------------------------------------------------- rendering

SS = 2  # supersampling for anti-aliased shape edges


def _grating(rng: np.random.Generator, h: int, w: int, n: int, fmax: float) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) / max(h, w)
    out = np.zeros((h, w), np.float32)
    for _ in range(n):
        f, th, ph = rng.uniform(1, fmax), rng.uniform(0, np.pi), rng.uniform(0, 2 * np.pi)
        out += rng.uniform(0.3, 1) * np.sin(2 * np.pi * f * (xx * np.cos(th) + yy * np.sin(th)) + ph)
    return out / max(n, 1)


def _colour(rng: np.random.Generator, sat=(0.4, 1.0), val=(0.3, 1.0), hue: float | None = None) -> np.ndarray:
    """A random RGB colour; with ``hue``, its hue lies within ``HUE_JITTER`` of it (a class-typical colour)."""
    import colorsys
    h = rng.uniform() if hue is None else (hue + rng.uniform(-HUE_JITTER, HUE_JITTER)) % 1.0
    return np.asarray(colorsys.hsv_to_rgb(h, rng.uniform(*sat), rng.uniform(*val)), np.float32)


def _background(rng: np.random.Generator, h: int, w: int, clutter: int) -> np.ndarray:
    base = _colour(rng, (0.0, 0.6), (0.2, 0.9))
    tex = _grating(rng, h, w, 3, 12)[..., None] * rng.uniform(0.1, 0.3)
    img = base[None, None] * (1 + tex) + rng.normal(0, 0.03, (h, w, 3)).astype(np.float32)
    canvas = Image.new("RGB", (w, h))
    draw = ImageDraw.Draw(canvas)
    mask = Image.new("L", (w, h))
    mdraw = ImageDraw.Draw(mask)
    for _ in range(clutter):  # thin strokes and small blobs: distractors, never class shapes
        col = tuple(int(c * 255) for c in _colour(rng))
        x0, y0 = rng.uniform(0, w), rng.uniform(0, h)
        if rng.uniform() < 0.6:
            x1, y1 = x0 + rng.normal(0, w / 4), y0 + rng.normal(0, h / 4)
            wd = max(1, int(rng.uniform(0.01, 0.03) * w))
            draw.line([x0, y0, x1, y1], fill=col, width=wd)
            mdraw.line([x0, y0, x1, y1], fill=255, width=wd)
        else:
            r = rng.uniform(0.02, 0.06) * w
            draw.ellipse([x0 - r, y0 - r, x0 + r, y0 + r], fill=col)
            mdraw.ellipse([x0 - r, y0 - r, x0 + r, y0 + r], fill=255)
    m = np.asarray(mask, np.float32)[..., None] / 255.0
    return img * (1 - m) + np.asarray(canvas, np.float32) / 255.0 * m


def _place(rng: np.random.Generator, pts: np.ndarray, hw, radius: float, centre=None) -> np.ndarray:
    """Rotate, scale and translate a unit polygon so it lies inside an ``h x w`` image; (N, 2) pixels (x, y)."""
    h, w = hw
    th = rng.uniform(0, 2 * np.pi)
    rot = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    p = pts @ rot.T * radius
    ext = p.max(0) - p.min(0)
    p *= min(1.0, (w - 3) / ext[0], (h - 3) / ext[1])  # a rotated corner may not leave the image
    lo, hi = p.min(0), p.max(0)
    if centre is None:
        centre = np.array([rng.uniform(1 - lo[0], w - 1 - hi[0]), rng.uniform(1 - lo[1], h - 1 - hi[1])])
    return p + centre


def _raster(poly: np.ndarray, h: int, w: int) -> np.ndarray:
    """Anti-aliased coverage in [0, 1] of a pixel polygon (pixel centres at integer + 0.5)."""
    img = Image.new("L", (w * SS, h * SS))
    ImageDraw.Draw(img).polygon([tuple(q) for q in (poly * SS).tolist()], fill=255)
    return np.asarray(img.resize((w, h), Image.BOX), np.float32) / 255.0


def _paint(img: np.ndarray, rng: np.random.Generator, alpha: np.ndarray, contrast: float = 0.35,
           hue: float | None = None) -> np.ndarray:
    """Composite a textured object of a random (class-typical with ``hue``) colour that differs from what lies under
    it by ``contrast``."""
    under = (img * alpha[..., None]).sum((0, 1)) / max(alpha.sum(), 1e-6)
    for _ in range(20):
        col = _colour(rng, hue=hue)
        if np.abs(col - under).max() >= contrast:
            break
    h, w = alpha.shape
    fg = col[None, None] * (1 + 0.15 * _grating(rng, h, w, 2, 6)[..., None])
    a = alpha[..., None]
    return img * (1 - a) + fg * a


def _to_u8(img: np.ndarray) -> np.ndarray:
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def _bbox(mask: np.ndarray) -> list[int]:
    ys, xs = np.nonzero(mask)
    return [int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())]  # xmin ymin xmax ymax, inclusive


def render_object(rng: np.random.Generator, hw, shape: np.ndarray, hard: str | None = None,
                  hue: float | None = None):
    """One centred-ish object on a cluttered ``h x w`` background: ``(uint8 HxWx3, bool mask)``."""
    h, w = hw
    side = min(h, w)
    small = hard == "small"
    img = _background(rng, h, w, clutter=int(rng.integers(3, 7)) * (3 if hard == "clutter" else 1))
    radius = side * (rng.uniform(0.12, 0.2) if small else rng.uniform(0.28, 0.45))
    poly = _place(rng, shape, (h, w), radius)
    alpha = _raster(poly, h, w)
    img = _paint(img, rng, alpha, contrast=0.06 if hard == "contrast" else 0.35, hue=hue)
    if hard == "contrast":
        img = 0.5 + (img - img.mean()) * 0.45
    if hard == "fog":
        img = img * (1 - (f := rng.uniform(0.55, 0.7))) + f * rng.uniform(0.6, 0.9)
    if hard == "occluder":  # a bar across the object's centre, covering a good part of it
        x0, y0, x1, y1 = _bbox(alpha > 0.5)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        bw = rng.uniform(0.35, 0.5) * (x1 - x0 + 1)
        occ = Image.new("L", (w, h))
        ImageDraw.Draw(occ).rectangle([cx - bw / 2, 0, cx + bw / 2, h], fill=255)
        occ = np.asarray(occ.rotate(float(rng.uniform(0, 180)), center=(cx, cy)), np.float32)[..., None] / 255
        img = img * (1 - occ) + _background(rng, h, w, 0) * occ
    return _to_u8(img), alpha >= 0.5


def render_scene(rng: np.random.Generator, hw, n_obj: int, stuff: bool):
    """Several non-overlapping objects on an ``h x w`` image; optionally on stuff regions. Returns image, objects,
    stuff label map."""
    h, w = hw
    side = min(h, w)
    if stuff:
        img, labels = _stuff_background(rng, (h, w))
    else:
        img, labels = _background(rng, h, w, clutter=int(rng.integers(3, 7))), None
    objects, taken = [], []
    for _ in range(n_obj):
        for _try in range(30):
            cls = int(rng.integers(len(CLASSES)))
            radius = side * rng.uniform(0.1, 0.22)
            c = np.array([rng.uniform(radius + 1, w - radius - 1), rng.uniform(radius + 1, h - radius - 1)])
            if all(np.hypot(*(c - c2)) > radius + r2 + 1 for c2, r2 in taken):
                break
        else:
            continue
        taken.append((c, radius))
        poly = _place(rng, SHAPES[CLASSES[cls]], (h, w), radius, centre=c)
        alpha = _raster(poly, h, w)
        img = _paint(img, rng, alpha, hue=CLASS_HUE[CLASSES[cls]])
        objects.append({"cls": cls, "poly": poly, "mask": alpha >= 0.5})
    return _to_u8(img), objects, labels


STUFF_LOOK = {  # stuff class -> (hue range, saturation, value, texture frequency, texture amplitude)
    "sky": ((0.55, 0.62), (0.3, 0.7), (0.7, 1.0), 1.5, 0.08),
    "wall": ((0.08, 0.12), (0.1, 0.3), (0.6, 0.85), 10, 0.05),
    "building": ((0.0, 1.0), (0.0, 0.15), (0.35, 0.6), 14, 0.25),
    "grass": ((0.25, 0.33), (0.5, 0.9), (0.3, 0.6), 25, 0.3),
    "ground": ((0.06, 0.1), (0.4, 0.7), (0.3, 0.5), 18, 0.2),
    "water": ((0.52, 0.6), (0.5, 0.9), (0.3, 0.6), 6, 0.2),
    "road": ((0.0, 1.0), (0.0, 0.08), (0.2, 0.4), 30, 0.1),
    "floor": ((0.05, 0.1), (0.3, 0.6), (0.45, 0.7), 8, 0.15),
}


def _stuff_texture(rng: np.random.Generator, name: str, h: int, w: int) -> np.ndarray:
    import colorsys
    hue, sat, val, freq, amp = STUFF_LOOK[name]
    col = np.asarray(colorsys.hsv_to_rgb(rng.uniform(*hue), rng.uniform(*sat), rng.uniform(*val)), np.float32)
    tex = _grating(rng, h, w, 3, freq)[..., None] * amp
    return col[None, None] * (1 + tex) + rng.normal(0, 0.02, (h, w, 3)).astype(np.float32)


def _stuff_background(rng: np.random.Generator, hw):
    """Top stuff / bottom stuff split by a wavy horizon, plus one background (label 0) panel."""
    h, w = hw
    top = ["sky", "wall", "building"][int(rng.integers(3))]
    bottom = ["grass", "ground", "water", "road", "floor"][int(rng.integers(5))]
    xs = np.arange(w)
    horizon = h * rng.uniform(0.3, 0.6) + h * 0.05 * np.sin(2 * np.pi * xs / w * rng.uniform(0.5, 2) +
                                                             rng.uniform(0, 6))
    is_top = np.arange(h)[:, None] < horizon[None, :]
    img = np.where(is_top[..., None], _stuff_texture(rng, top, h, w), _stuff_texture(rng, bottom, h, w))
    labels = np.where(is_top, PC_STUFF[top], PC_STUFF[bottom]).astype(np.uint8)
    pw, ph = (rng.uniform(0.15, 0.35, 2) * np.array([w, h])).astype(int)
    px, py = int(rng.integers(0, w - pw)), int(rng.integers(0, h - ph))
    img[py:py + ph, px:px + pw] = _background(rng, ph, pw, clutter=3)
    labels[py:py + ph, px:px + pw] = 0
    return img, labels


# ---------------------------------------------------------------------------------------------------- file writers


def _save_jpeg(arr: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path, format="JPEG", quality=92)


def _save_png(arr: np.ndarray, path: Path, palette: list[int] | None = None) -> None:
    """Single-channel PNG: grey-level (mode L) or, with a palette, indexed (mode P) as VOC's label maps."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if palette is None:
        im = Image.fromarray(arr)
    else:
        im = Image.frombytes("P", (arr.shape[1], arr.shape[0]), np.ascontiguousarray(arr).tobytes())
        im.putpalette(palette)
    im.save(path, format="PNG")


def voc_palette() -> list[int]:
    """The PASCAL VOC colour map (bit-interleaved), 256 entries."""
    pal = []
    for i in range(256):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal += [r, g, b]
    return pal


def ilsvrc_xml(stem: str, wnid: str, hw, box: list[int]) -> str:
    (h, w), (x0, y0, x1, y1) = hw, box
    return (f"<annotation>\n\t<folder>val</folder>\n\t<filename>{stem}</filename>\n"
            f"\t<source>\n\t\t<database>ILSVRC_2012</database>\n\t</source>\n"
            f"\t<size>\n\t\t<width>{w}</width>\n\t\t<height>{h}</height>\n\t\t<depth>3</depth>\n\t</size>\n"
            f"\t<segmented>0</segmented>\n\t<object>\n\t\t<name>{wnid}</name>\n\t\t<pose>Unspecified</pose>\n"
            f"\t\t<truncated>0</truncated>\n\t\t<difficult>0</difficult>\n\t\t<bndbox>\n\t\t\t<xmin>{x0}</xmin>\n"
            f"\t\t\t<ymin>{y0}</ymin>\n\t\t\t<xmax>{x1}</xmax>\n\t\t\t<ymax>{y1}</ymax>\n\t\t</bndbox>\n"
            f"\t</object>\n</annotation>\n")


# ------------------------------------------------------------------------------------------------------ work items
# Each item renders and writes one image (plus its annotation files) and returns what the JSON indexes need.
SPLIT_CODE = {"train": 1, "val": 2, "a": 3, "o": 4, "pc_train": 5, "pc_val": 6, "coco_train": 7, "coco_val": 8,
              "voc": 9, "ade_train": 10, "ade_val": 11}
HARD = ["occluder", "fog", "contrast", "clutter", "small"]


# the datasets' typical image sizes (width, height): every evaluator meets non-square images, as on the real data
REAL_WH = {
    "imagenet": [(500, 375), (375, 500), (500, 333), (500, 500), (333, 500)],  # ILSVRC val: mostly 500 x 375/333
    "pascal": [(500, 375), (375, 500), (500, 333), (333, 500)],  # VOC / Pascal Context
    "coco": [(640, 480), (480, 640), (640, 427), (427, 640)],
}


def real_hw(dataset: str, long_side: int, idx: int) -> tuple[int, int]:
    """``(h, w)`` of item ``idx``: the dataset's typical sizes in turn, scaled so the long side is ``long_side``."""
    w0, h0 = REAL_WH[dataset][idx % len(REAL_WH[dataset])]
    s = long_side / max(w0, h0)
    return round(h0 * s), round(w0 * s)


def real_hw_short(dataset: str, short_side: int, idx: int) -> tuple[int, int]:
    """As :func:`real_hw`, scaled so the *short* side is ``short_side``."""
    w0, h0 = REAL_WH[dataset][idx % len(REAL_WH[dataset])]
    s = short_side / min(w0, h0)
    return round(h0 * s), round(w0 * s)


def _rng(seed: int, split: str, idx: int) -> np.random.Generator:
    return np.random.default_rng([seed, SPLIT_CODE[split], idx])


def _item(task):
    kind, out, seed, idx, p = task
    out = Path(out)
    rng = _rng(seed, kind, idx)
    if kind in ("train", "val"):
        cls = idx % len(CLASSES)
        hw = real_hw("imagenet", p["img"], idx // len(CLASSES))
        img, mask = render_object(rng, hw, SHAPES[CLASSES[cls]], hue=CLASS_HUE[CLASSES[cls]])
        wnid = WNIDS[cls]
        if kind == "train":
            _save_jpeg(img, out / "imagenet/train" / wnid / f"{wnid}_{idx // len(CLASSES)}.JPEG")
            return None
        stem = f"ILSVRC2012_val_{idx + 1:08d}"
        _save_jpeg(img, out / "imagenet/val" / wnid / f"{stem}.JPEG")
        _save_png(mask.astype(np.uint8) * 255, out / "imagenet/masks/val" / wnid / f"{stem}.png")
        xml = out / "imagenet/Annotations/CLS-LOC/val" / f"{stem}.xml"
        xml.parent.mkdir(parents=True, exist_ok=True)
        xml.write_text(ilsvrc_xml(stem, wnid, hw, _bbox(mask)))
        return None
    if kind == "a":
        subset = a_subset()
        cls = subset[idx % len(subset)]
        img, _ = render_object(rng, real_hw("imagenet", p["img"], idx), SHAPES[CLASSES[cls]],
                               hard=HARD[(idx // len(subset)) % len(HARD)], hue=CLASS_HUE[CLASSES[cls]])
        _save_jpeg(img, out / "imagenet-a" / WNIDS[cls] / f"a_{idx:06d}.jpg")
        return None
    if kind == "o":
        names = list(OOD_SHAPES)
        hw = real_hw("imagenet", p["img"], idx // len(names))
        img, _ = render_object(rng, hw, OOD_SHAPES[names[idx % len(names)]])
        wnid = WNIDS[a_subset()[(idx // len(names)) % len(a_subset())]]  # ImageNet-O files sit in ID-class folders
        _save_jpeg(img, out / "imagenet-o" / wnid / f"o_{idx:06d}.jpg")
        return None
    if kind.startswith("pc_"):
        hw = real_hw("pascal", p["pc"], idx)
        img, objects, labels = render_scene(rng, hw, int(rng.integers(2, 5)), stuff=True)
        for o in objects:
            labels[o["mask"]] = PC_OBJECT_IDS[o["cls"]]
        stem = f"2008_{SPLIT_CODE[kind]}{idx:05d}"
        _save_jpeg(img, out / "pascal_context/JPEGImages" / f"{stem}.jpg")
        _save_png(labels, out / "pascal_context/SegmentationClassContext" / f"{stem}.png")
        return stem
    if kind.startswith("ade_"):
        hw = real_hw_short("pascal", p["ade"], idx)
        img, objects, labels = render_scene(rng, hw, int(rng.integers(2, 5)), stuff=True)
        labels = PC_TO_ADE[labels]
        for o in objects:
            labels[o["mask"]] = ADE_OBJECT_IDS[o["cls"]]
        split, prefix = ("training", "train") if kind == "ade_train" else ("validation", "val")
        stem = f"ADE_{prefix}_{idx + 1:08d}"
        _save_jpeg(img, out / "ade20k/images" / split / f"{stem}.jpg")
        _save_png(labels, out / "ade20k/annotations" / split / f"{stem}.png")
        return stem
    if kind.startswith("coco_"):
        h, w = real_hw("coco", p["coco"], idx)
        img, objects, _ = render_scene(rng, (h, w), int(rng.integers(1, 5)), stuff=False)
        split = kind[5:]
        image_id = SPLIT_CODE[kind] * 1_000_000 + idx
        fname = f"{image_id:012d}.jpg"
        _save_jpeg(img, out / f"coco/{split}2017" / fname)
        from pycocotools import mask as mask_utils

        anns = []
        for o in objects:
            poly = np.round(o["poly"], 2)
            rle = mask_utils.merge(mask_utils.frPyObjects([poly.reshape(-1).tolist()], h, w))
            x0, y0 = poly.min(0)
            x1, y1 = poly.max(0)
            box = [float(x0), float(y0), float(x1 - x0), float(y1 - y0)]
            anns.append({"category_id": o["cls"] + 1, "segmentation": [poly.reshape(-1).tolist()],
                         "area": float(mask_utils.area(rle)), "bbox": box, "iscrowd": 0})
        return {"id": image_id, "file_name": fname, "width": w, "height": h}, anns
    if kind == "voc":
        h, w = real_hw("pascal", p["voc"], idx)
        img, objects, _ = render_scene(rng, (h, w), int(rng.integers(1, 3)), stuff=False)
        from scipy.ndimage import binary_dilation, binary_erosion
        seg = np.zeros((h, w), np.uint8)
        void = np.zeros((h, w), bool)
        for o in objects:
            seg[o["mask"]] = VOC_IDS[o["cls"]]
            void |= binary_dilation(o["mask"], iterations=1) & ~binary_erosion(o["mask"], iterations=1)
        seg[void] = 255
        stem = f"2007_{idx:06d}"
        _save_jpeg(img, out / "voc2012/JPEGImages" / f"{stem}.jpg")
        _save_png(seg, out / "voc2012/SegmentationClass" / f"{stem}.png", palette=voc_palette())
        return stem
    raise ValueError(kind)


def a_subset() -> list[int]:
    """Class indices of the ImageNet-A / ImageNet-O analogue (every other class: half of them)."""
    return list(range(0, len(CLASSES), 2))


# ---------------------------------------------------------------------------------------------------------- driver


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def generate(out: str | Path, scale: str = "demo", seed: int = 0, workers: int = 2, progress: bool = True) -> Path:
    """Write all seven datasets under ``out`` (through a temporary sibling, renamed at the end)."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {sorted(SCALES)}")
    p = SCALES[scale]
    out = Path(out)
    tmp = out.with_name(out.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    k = len(CLASSES)
    tasks = ([("train", str(tmp), seed, i, p) for i in range(p["train"] * k)] +
             [("val", str(tmp), seed, i, p) for i in range(p["val"] * k)] +
             [("a", str(tmp), seed, i, p) for i in range(p["a_per_class"] * len(a_subset()))] +
             [("o", str(tmp), seed, i, p) for i in range(p["o"])] +
             [("pc_train", str(tmp), seed, i, p) for i in range(p["pc_train"])] +
             [("pc_val", str(tmp), seed, i, p) for i in range(p["pc_val"])] +
             [("coco_train", str(tmp), seed, i, p) for i in range(p["coco_train"])] +
             [("coco_val", str(tmp), seed, i, p) for i in range(p["coco_val"])] +
             [("voc", str(tmp), seed, i, p) for i in range(p["voc_val"])] +
             [("ade_train", str(tmp), seed, i, p) for i in range(p["ade_train"])] +
             [("ade_val", str(tmp), seed, i, p) for i in range(p["ade_val"])])
    results = []
    t0 = time.time()
    with Pool(workers) if workers > 1 else _Serial() as pool:
        for n, r in enumerate(pool.imap(_item, tasks, chunksize=32), 1):
            results.append(r)
            if progress and (n % 2000 == 0 or n == len(tasks)):
                print(f"[make_synthetic] {n}/{len(tasks)} images, {time.time() - t0:.1f}s", file=sys.stderr)
    by_kind: dict[str, list] = {}
    for t, r in zip(tasks, results):
        by_kind.setdefault(t[0], []).append(r)
    _write_indexes(tmp, by_kind, p)
    _write(tmp / STAMP, json.dumps({"generator": "tools/make_synthetic.py", "version": VERSION, "scale": scale,
                                    "seed": seed, "generator_sha256": generator_sha()}, indent=1) + "\n")
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    return out


class _Serial:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False

    @staticmethod
    def imap(fn, items, chunksize=1):
        return map(fn, items)


def _write_indexes(root: Path, by_kind: dict, p: dict) -> None:
    _write(root / "imagenet/LOC_synset_mapping.txt", "".join(f"{w} {c}\n" for w, c in zip(WNIDS, CLASSES)))
    sub = a_subset()
    for name in ("imagenet-a/imagenet_a", "imagenet-o/imagenet_o"):
        _write(root / f"{name}_indices.txt", "".join(f"{i}\n" for i in sub))
        _write(root / f"{name}_synsets.txt", "".join(f"{WNIDS[i]}\n" for i in sub))
    pc = root / "pascal_context"
    _write(pc / "ImageSets/SegmentationContext/train.txt", "".join(s + "\n" for s in by_kind["pc_train"]))
    _write(pc / "ImageSets/SegmentationContext/val.txt", "".join(s + "\n" for s in by_kind["pc_val"]))
    _write(pc / "classes.json", json.dumps({"objects": dict(zip(CLASSES, PC_OBJECT_IDS)), "stuff": PC_STUFF,
                                            "background": 0}, indent=1) + "\n")
    _write(root / "voc2012/ImageSets/Segmentation/val.txt", "".join(s + "\n" for s in by_kind["voc"]))
    _write(root / "voc2012/classes.json", json.dumps(dict(zip(CLASSES, VOC_IDS)), indent=1) + "\n")
    _write(root / "ade20k/classes.json", json.dumps({"objects": dict(zip(CLASSES, ADE_OBJECT_IDS)), "stuff": ADE_STUFF,
                                                     "other": 0}, indent=1) + "\n")
    cats = [{"id": i + 1, "name": c, "supercategory": "shape"} for i, c in enumerate(CLASSES)]
    for split in ("train", "val"):
        images, anns = [], []
        for img, img_anns in by_kind[f"coco_{split}"]:
            images.append(img)
            for a in img_anns:
                anns.append({"id": len(anns) + 1, "image_id": img["id"], **a})
        coco = {"info": {"description": "mixbench synthetic COCO-style shapes", "version": str(VERSION)},
                "licenses": [], "images": images, "annotations": anns, "categories": cats}
        _write(root / f"coco/annotations/instances_{split}2017.json", json.dumps(coco))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory (replaced if it exists)")
    ap.add_argument("--scale", default="demo", choices=sorted(SCALES))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--force", action="store_true", help="regenerate even if --out already holds this scale/seed")
    args = ap.parse_args(argv)
    stamp = Path(args.out) / STAMP
    if stamp.exists() and not args.force:
        s = json.loads(stamp.read_text())
        if (s.get("generator_sha256"), s.get("scale"), s.get("seed")) == (generator_sha(), args.scale, args.seed):
            print(f"[make_synthetic] {args.out} already holds scale={args.scale} seed={args.seed}; nothing to do")
            return
    t0 = time.time()
    generate(args.out, args.scale, args.seed, args.workers)
    print(f"[make_synthetic] wrote {args.out} (scale={args.scale}, seed={args.seed}) in {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
