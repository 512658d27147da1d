"""ImageNet-style data for pretraining: wnid folders, timm's transforms, deterministic per-epoch loaders."""

from __future__ import annotations

import logging
from pathlib import Path

import torch
from PIL import Image
from torchvision.datasets import ImageFolder

from configs.datasets import DatasetError, dataset_root, imagenet_classes

log = logging.getLogger(__name__)


class BadImageError(RuntimeError):
    pass


class SafeImageFolder(ImageFolder):
    """``ImageFolder`` that names an unreadable file, or (``skip_bad``) logs it to ``bad_log`` and serves the next
    readable image instead. ``per_class`` caps the images per class (first ones in sorted order)."""

    def __init__(self, root, transform=None, skip_bad: bool = False, bad_log: Path | None = None,
                 per_class: int | None = None):
        super().__init__(str(root), transform=transform)
        if per_class is not None:
            counts: dict[int, int] = {}
            kept = []
            for path, target in self.samples:
                if counts.get(target, 0) < per_class:
                    kept.append((path, target))
                    counts[target] = counts.get(target, 0) + 1
            self.samples = self.imgs = kept
            self.targets = [t for _, t in kept]
        self.skip_bad, self.bad_log = skip_bad, bad_log

    def __getitem__(self, index):
        for offset in range(len(self.samples)):
            path, target = self.samples[(index + offset) % len(self.samples)]
            try:
                with Image.open(path) as im:
                    img = im.convert("RGB")
            except Exception as e:  # PIL raises several types for broken files
                if not self.skip_bad:
                    raise BadImageError(f"unreadable image {path}: {e} (set skip_bad_images=True to skip and count "
                                        "such files)") from e
                if self.bad_log is not None:
                    with open(self.bad_log, "a") as f:
                        f.write(f"{path}\n")
                continue
            return (self.transform(img) if self.transform else img), target
        raise BadImageError(f"no readable image in {self.root}")


def count_bad(bad_log: Path | None) -> int:
    if bad_log is None or not Path(bad_log).exists():
        return 0
    return len(set(Path(bad_log).read_text().split()))


def build_transforms(cfg: dict):
    from timm.data import create_transform

    train = create_transform(cfg["img_size"], is_training=True, scale=tuple(cfg["rrc_scale"]),
                             auto_augment=cfg["randaug"] or None, interpolation=cfg["interpolation"],
                             re_prob=cfg["reprob"], re_mode="pixel", re_count=1, mean=tuple(cfg["mean"]),
                             std=tuple(cfg["std"]))
    val = create_transform(cfg["img_size"], is_training=False, interpolation=cfg["interpolation"],
                           crop_pct=cfg["crop_pct"], mean=tuple(cfg["mean"]), std=tuple(cfg["std"]))
    return train, val


def build_datasets(cfg: dict, run_dir: Path):
    root = dataset_root(cfg["dataset"], cfg["data_root"])
    classes = imagenet_classes(root)
    train_tf, val_tf = build_transforms(cfg)
    bad_log = run_dir / "bad_images.txt" if cfg["skip_bad_images"] else None
    train = SafeImageFolder(root / "train", train_tf, cfg["skip_bad_images"], bad_log, cfg["train_per_class"])
    val = SafeImageFolder(root / "val", val_tf, cfg["skip_bad_images"], bad_log)
    for name, ds in (("train", train), ("val", val)):
        if ds.classes != classes:
            raise DatasetError(f"{root / name}: class folders {ds.classes[:5]}... do not match "
                               f"{root / 'LOC_synset_mapping.txt'} ({classes[:5]}...)")
    return train, val, classes


def train_loader(ds, cfg: dict, layout, seed: int, epoch: int, start_step: int = 0):
    """This process's micro-batches of ``epoch`` from optimizer step ``start_step`` on; images, order and every
    augmentation draw keyed by their global position (pretrain/distributed.py), whatever the process layout."""
    from pretrain.distributed import KeyedDataset, MicroBatchSampler

    sampler = MicroBatchSampler(len(ds), layout, seed, epoch, start_step)
    return torch.utils.data.DataLoader(KeyedDataset(ds), batch_sampler=sampler, num_workers=cfg["workers"],
                                       pin_memory=torch.cuda.is_available(), persistent_workers=False)


def eval_loader(ds, cfg: dict, rank: int, world: int):
    idx = list(range(rank, len(ds), world))  # no padding: every image counted once over all ranks
    return torch.utils.data.DataLoader(torch.utils.data.Subset(ds, idx), batch_size=cfg["eval_batch_size"],
                                       shuffle=False, num_workers=cfg["workers"],
                                       pin_memory=torch.cuda.is_available(),
                                       generator=torch.Generator().manual_seed(0))  # keeps the global RNG untouched
