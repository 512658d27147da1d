"""Dataset roots, in one place.

Every stage finds its data here. The root is, in order: the ``data_root`` argument, the ``DATA_ROOT`` environment
variable, or ``data/synthetic-demo`` under the repository (what ``tools/run_all.sh`` generates). Under the root each
dataset lives in its own folder, in its standard layout; point ``DATA_ROOT`` at a folder holding (links to) the real
ones to run on them::

    $DATA_ROOT/imagenet/        train/<wnid>/*.JPEG  val/<wnid>/*.JPEG  LOC_synset_mapping.txt
                                Annotations/CLS-LOC/val/<stem>.xml   (boxes, for localisation)
    $DATA_ROOT/imagenet-a/      <wnid>/*.jpg  [imagenet_a_indices.txt]  (ImageNet-1k: configs/class_subsets/)
    $DATA_ROOT/imagenet-o/      <wnid>/*.jpg  [imagenet_o_indices.txt]
    $DATA_ROOT/pascal_context/  JPEGImages/  SegmentationClassContext/  ImageSets/SegmentationContext/{train,val}.txt
    $DATA_ROOT/coco/            train2017/  val2017/  annotations/instances_{train,val}2017.json
    $DATA_ROOT/voc2012/         JPEGImages/  SegmentationClass/  ImageSets/Segmentation/val.txt
    $DATA_ROOT/ade20k/          images/{training,validation}/*.jpg  annotations/{training,validation}/*.png
                                (the contents of ADEChallengeData2016)

A single dataset can also be moved elsewhere with ``<NAME>_ROOT`` (e.g. ``IMAGENET_ROOT``, ``IMAGENET_A_ROOT``,
``PASCAL_CONTEXT_ROOT``, ``COCO_ROOT``, ``VOC2012_ROOT``, ``ADE20K_ROOT``).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ROOT = REPO / "data" / "synthetic-demo"
GENERATOR_HINT = "generate the built-in synthetic data with: python tools/make_synthetic.py --out DIR --scale demo"

# dataset -> (folder under the root, required entries, one-line layout)
LAYOUTS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "imagenet": ("imagenet", ("train", "val", "LOC_synset_mapping.txt"),
                 "train/<wnid>/*.JPEG, val/<wnid>/*.JPEG, LOC_synset_mapping.txt ('<wnid> <name>' per line)"),
    "imagenet-a": ("imagenet-a", (),
                   "<wnid>/*.jpg folders; imagenet_a_indices.txt (class indices into the ImageNet class list) "
                   "optional with ImageNet-1k: configs/class_subsets/ has Hendrycks' 200"),
    "imagenet-o": ("imagenet-o", (),
                   "<wnid>/*.jpg folders; imagenet_o_indices.txt (in-distribution class indices) optional with "
                   "ImageNet-1k: configs/class_subsets/ has Hendrycks' 200"),
    "pascal_context": ("pascal_context", ("JPEGImages", "SegmentationClassContext",
                                          "ImageSets/SegmentationContext/train.txt",
                                          "ImageSets/SegmentationContext/val.txt"),
                       "JPEGImages/*.jpg, SegmentationClassContext/*.png (60-class ids, 0 = background), "
                       "ImageSets/SegmentationContext/{train,val}.txt"),
    "coco": ("coco", ("train2017", "val2017", "annotations/instances_train2017.json",
                      "annotations/instances_val2017.json"),
             "train2017/, val2017/, annotations/instances_{train,val}2017.json"),
    "voc2012": ("voc2012", ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation/val.txt"),
                "JPEGImages/*.jpg, SegmentationClass/*.png (palette, 255 = void), ImageSets/Segmentation/val.txt"),
    "ade20k": ("ade20k", ("images/training", "images/validation", "annotations/training", "annotations/validation"),
               "images/{training,validation}/ADE_*.jpg, annotations/{training,validation}/ADE_*.png (0 = other, "
               "ignored; 1..150 = the classes), i.e. the contents of ADEChallengeData2016"),
}


class DatasetError(FileNotFoundError):
    """A dataset is missing or not in its expected layout."""


def data_root(data_root: str | os.PathLike | None = None) -> Path:
    return Path(data_root or os.environ.get("DATA_ROOT") or DEFAULT_ROOT)


def dataset_root(name: str, data_root_: str | os.PathLike | None = None, check: bool = True) -> Path:
    """The folder of dataset ``name``, checked against its layout (raises :class:`DatasetError` naming what is off)."""
    if name not in LAYOUTS:
        raise KeyError(f"unknown dataset {name!r}; expected one of {sorted(LAYOUTS)}")
    folder, required, layout = LAYOUTS[name]
    env = os.environ.get(name.upper().replace("-", "_") + "_ROOT")
    root = Path(env) if env and data_root_ is None else data_root(data_root_) / folder
    if check:
        missing = [r for r in required if not (root / r).exists()]
        if missing:
            raise DatasetError(
                f"dataset {name!r} at {root} is missing {', '.join(missing)}; expected layout under {root}: {layout}. "
                f"Set DATA_ROOT (or {name.upper().replace('-', '_')}_ROOT) to the real data, or {GENERATOR_HINT}")
    return root


def read_lines(path: Path) -> list[str]:
    """Non-empty lines of an index file, with a clear error when it is missing."""
    if not path.exists():
        raise DatasetError(f"missing index file {path}; {GENERATOR_HINT}")
    return [ln.strip() for ln in path.read_text().splitlines() if ln.strip()]


def imagenet_classes(root: Path) -> list[str]:
    """wnids in class-index order from ``LOC_synset_mapping.txt`` (the order of timm's and torchvision's folders)."""
    wnids = [ln.split()[0] for ln in read_lines(root / "LOC_synset_mapping.txt")]
    if wnids != sorted(wnids):
        raise DatasetError(f"{root / 'LOC_synset_mapping.txt'}: wnids must be sorted (folder order gives class ids)")
    return wnids


SHIPPED_SUBSETS = REPO / "configs" / "class_subsets"  # Hendrycks' ImageNet-A / -O classes (README.md there)


def class_subset(root: Path, index_file: str, n_classes: int) -> list[int]:
    """Class indices of the ImageNet-A / -O subset (``root / index_file``), validated against the number of classes.
    With ImageNet-1k (1000 classes) the file may be absent (the shipped ``configs/class_subsets/<index_file>`` is
    used: the real datasets carry none) and must otherwise hold exactly the shipped 200 classes; other class lists
    (the synthetic data) need their own file."""
    path, shipped = root / index_file, SHIPPED_SUBSETS / index_file
    real = n_classes == 1000 and shipped.exists()
    if not path.exists() and real:
        path = shipped
    idx = []
    for ln in read_lines(path):
        if not ln.isdigit() or int(ln) >= n_classes:
            raise DatasetError(f"{path}: expected one class index in [0, {n_classes}) per line, got {ln!r}")
        idx.append(int(ln))
    if len(set(idx)) != len(idx):
        raise DatasetError(f"{path}: class indices repeat ({len(idx)} lines, {len(set(idx))} distinct)")
    if real:
        want = [int(v) for v in read_lines(shipped)]
        if sorted(idx) != want:
            raise DatasetError(f"{path}: ImageNet-A/-O are evaluated on Hendrycks' 200 ImageNet-1k classes "
                               f"({shipped}); this file has {len(idx)} indices, {len(set(idx) - set(want))} of them "
                               "outside that list")
        idx = want
    return idx
