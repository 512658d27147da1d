"""The synthetic benchmark: deterministic, in the real layouts, loadable by the libraries that consume it."""

import hashlib
import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from configs.datasets import DatasetError, class_subset, dataset_root, imagenet_classes
from tools.make_synthetic import CLASSES, PC_OBJECT_IDS, PC_STUFF, SCALES, WNIDS, a_subset, generate


def _digest(root):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tiny_data, tmp_path):
    again = generate(tmp_path / "again", scale="tiny", seed=0, workers=1, progress=False)  # other worker count too
    other = generate(tmp_path / "other", scale="tiny", seed=1, workers=2, progress=False)
    d0, d1, d2 = _digest(tiny_data), _digest(again), _digest(other)
    assert len(d0) > 300
    assert d0 == d1
    assert d0.keys() == d2.keys()
    changed = sum(d0[k] != d2[k] for k in d0 if k.endswith((".JPEG", ".jpg")))
    assert changed > 0.9 * sum(k.endswith((".JPEG", ".jpg")) for k in d0)


def test_imagenet_loads_through_torchvision_and_timm(tiny_data):
    import timm.data
    from torchvision.datasets import ImageFolder

    root = dataset_root("imagenet", tiny_data)
    wnids = imagenet_classes(root)
    assert wnids == WNIDS
    p = SCALES["tiny"]
    for split, per_class in (("train", p["train"]), ("val", p["val"])):
        ds = ImageFolder(str(root / split))
        assert ds.classes == wnids
        assert len(ds) == per_class * len(CLASSES)
        assert np.bincount(ds.targets).tolist() == [per_class] * len(CLASSES)
        img, target = ds[len(ds) - 1]
        assert max(img.size) == p["img"] and target == len(CLASSES) - 1
        sizes = {Image.open(path).size for path, _ in ds.samples}  # ILSVRC's 500x375, 375x500, 500x333, ... scaled
        assert (32, 24) in sizes and (24, 32) in sizes and (32, 21) in sizes and (32, 32) in sizes
    tds = timm.data.create_dataset("", root=str(root / "val"))
    assert len(tds) == p["val"] * len(CLASSES)
    assert sorted(tds.reader.class_to_idx, key=tds.reader.class_to_idx.get) == wnids


def test_imagenet_val_boxes_match_masks(tiny_data):
    root = dataset_root("imagenet", tiny_data)
    vals = sorted((root / "val").rglob("*.JPEG"))
    assert len(vals) == SCALES["tiny"]["val"] * len(CLASSES)
    for jpg in vals:
        ann = ET.parse(root / "Annotations/CLS-LOC/val" / (jpg.stem + ".xml")).getroot()
        assert ann.findtext("filename") == jpg.stem
        obj = ann.find("object")
        assert obj.findtext("name") == jpg.parent.name
        box = [int(obj.find("bndbox").findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax")]
        mask = np.asarray(Image.open(root / "masks/val" / jpg.parent.name / (jpg.stem + ".png"))) > 127
        ys, xs = np.nonzero(mask)
        assert box == [xs.min(), ys.min(), xs.max(), ys.max()]
        area = mask.mean()
        assert 0.03 < area < 0.8, f"{jpg.name}: foreground covers {area:.2f} of the image"


def test_imagenet_a_and_o_subsets(tiny_data):
    wnids = imagenet_classes(dataset_root("imagenet", tiny_data))
    for name, prefix in (("imagenet-a", "imagenet_a"), ("imagenet-o", "imagenet_o")):
        root = dataset_root(name, tiny_data)
        idx = class_subset(root, f"{prefix}_indices.txt", len(wnids))
        assert idx == a_subset() and 0 < len(idx) < len(wnids)
        assert (root / f"{prefix}_synsets.txt").read_text().split() == [wnids[i] for i in idx]
        folders = sorted(d.name for d in root.iterdir() if d.is_dir())
        assert set(folders) <= {wnids[i] for i in idx}
        assert sum(1 for _ in root.rglob("*.jpg")) >= 100  # enough for Hendrycks' 100-sample calibration bins


def test_coco_loads_through_pycocotools_and_mmdet(tiny_data):
    from pycocotools.coco import COCO

    root = dataset_root("coco", tiny_data)
    coco = COCO(str(root / "annotations/instances_val2017.json"))
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == CLASSES
    assert len(coco.getImgIds()) == SCALES["tiny"]["coco_val"]
    n = 0
    for ann in coco.loadAnns(coco.getAnnIds()):
        img = coco.loadImgs(ann["image_id"])[0]
        assert Image.open(root / "val2017" / img["file_name"]).size == (img["width"], img["height"])
        m = coco.annToMask(ann).astype(bool)
        ys, xs = np.nonzero(m)
        x, y, w, h = ann["bbox"]
        # the box is the polygon's extent; a sharp vertex can cover less than half a pixel of the raster
        assert abs(xs.min() - x) <= 2 and abs(ys.min() - y) <= 2
        assert abs(xs.max() + 1 - (x + w)) <= 2 and abs(ys.max() + 1 - (y + h)) <= 2
        assert m.sum() == ann["area"]  # COCO's area: the pixel count of the polygon's own raster
        n += 1
    assert n >= SCALES["tiny"]["coco_val"]
    assert {(i["width"], i["height"]) for i in coco.loadImgs(coco.getImgIds())} == {(64, 48), (48, 64), (64, 43),
                                                                                  (43, 64)}  # 640x480, 480x640, ...

    from mmdet.datasets import CocoDataset
    ds = CocoDataset(data_root=str(root), ann_file="annotations/instances_train2017.json",
                     data_prefix=dict(img="train2017/"), metainfo=dict(classes=tuple(CLASSES)),
                     filter_cfg=dict(filter_empty_gt=True), pipeline=[], test_mode=False)
    assert len(ds) == SCALES["tiny"]["coco_train"]
    info = ds[0]
    assert info["instances"] and {"bbox", "bbox_label", "mask"} <= set(info["instances"][0])


def test_pascal_context_loads_through_mmseg(tiny_data):
    from mmseg.datasets import PascalContextDataset

    root = dataset_root("pascal_context", tiny_data)
    ds = PascalContextDataset(data_root=str(root), ann_file="ImageSets/SegmentationContext/val.txt",
                              data_prefix=dict(img_path="JPEGImages", seg_map_path="SegmentationClassContext"),
                              pipeline=[])
    assert len(ds) == SCALES["tiny"]["pc_val"]
    assert len(ds.metainfo["classes"]) == 60 and ds.metainfo["classes"][0] == "background"
    seen, seen_sizes = set(), set()
    for i in range(len(ds)):
        info = ds[i]
        lab = np.asarray(Image.open(info["seg_map_path"]))
        img = Image.open(info["img_path"])
        assert img.size == lab.shape[::-1] and max(img.size) == SCALES["tiny"]["pc"]
        seen_sizes.add(img.size)
        assert lab.max() < 60
        seen |= set(np.unique(lab).tolist())
    assert 0 in seen
    assert seen & set(PC_STUFF.values()) and seen & set(PC_OBJECT_IDS)
    assert seen_sizes == {(64, 48), (48, 64), (64, 43), (43, 64)}  # VOC / Pascal's 500x375, 375x500, 500x333, 333x500


def test_voc_palette_pngs_with_void(tiny_data):
    from mmseg.datasets import PascalVOCDataset

    root = dataset_root("voc2012", tiny_data)
    stems = (root / "ImageSets/Segmentation/val.txt").read_text().split()
    assert len(stems) == SCALES["tiny"]["voc_val"]
    for s in stems:
        im = Image.open(root / "SegmentationClass" / f"{s}.png")
        assert im.mode == "P"
        lab = np.asarray(im)
        values = set(np.unique(lab).tolist())
        assert 0 in values and 255 in values and values <= set(range(11)) | {255}
        assert im.getpalette()[3:6] == [128, 0, 0]  # VOC colour of class 1
        assert Image.open(root / "JPEGImages" / f"{s}.jpg").size == im.size
    sizes = {Image.open(root / "JPEGImages" / f"{s}.jpg").size for s in stems}
    assert sizes == {(64, 48), (48, 64), (64, 43), (43, 64)}  # VOC's 500x375, 375x500, 500x333, 333x500
    ds = PascalVOCDataset(data_root=str(root), ann_file="ImageSets/Segmentation/val.txt",
                          data_prefix=dict(img_path="JPEGImages", seg_map_path="SegmentationClass"), pipeline=[])
    assert len(ds) == len(stems)


def test_ade20k_loads_through_mmseg(tiny_data):
    """ADEChallengeData2016's layout and names; 0 = other (ignored after reduce_zero_label), 1..150 ADE20K's ids;
    the short side is the scale's, at Pascal's aspect ratios."""
    from mmseg.datasets import ADE20KDataset
    from mmseg.datasets.transforms import LoadAnnotations

    from tools.make_synthetic import ADE_OBJECT_IDS, ADE_STUFF

    root = dataset_root("ade20k", tiny_data)
    ds = ADE20KDataset(data_root=str(root), data_prefix=dict(img_path="images/validation",
                                                             seg_map_path="annotations/validation"), pipeline=[])
    assert len(ds) == SCALES["tiny"]["ade_val"] and len(ds.metainfo["classes"]) == 150
    assert [os.path.basename(ds[i]["img_path"]) for i in range(2)] == ["ADE_val_00000001.jpg", "ADE_val_00000002.jpg"]
    seen, sizes = set(), set()
    for i in range(len(ds)):
        info = ds[i]
        lab = np.asarray(Image.open(info["seg_map_path"]))
        img = Image.open(info["img_path"])
        assert img.size == lab.shape[::-1] and min(img.size) == SCALES["tiny"]["ade"]
        sizes.add(img.size)
        seen |= set(np.unique(lab).tolist())
        loaded = LoadAnnotations()({**info, "reduce_zero_label": True, "seg_fields": []})["gt_seg_map"]
        assert set(np.unique(loaded).tolist()) <= set(range(150)) | {255}
        np.testing.assert_array_equal(loaded == 255, lab == 0)
    assert 0 in seen and seen <= {0} | set(ADE_STUFF.values()) | set(ADE_OBJECT_IDS)
    assert seen & set(ADE_OBJECT_IDS) and len(sizes) > 1 and any(w != h for w, h in sizes)
    assert len(ADE20KDataset(data_root=str(root), data_prefix=dict(img_path="images/training",
                                                                   seg_map_path="annotations/training"),
                             pipeline=[])) == SCALES["tiny"]["ade_train"]


def test_image_sides_are_multiples_of_32():
    for scale in SCALES.values():
        for k in ("img", "pc", "coco", "voc", "ade"):
            assert scale[k] % 32 == 0


def test_missing_dataset_error_names_path_layout_and_generator(tmp_path, monkeypatch):
    monkeypatch.delenv("COCO_ROOT", raising=False)
    with pytest.raises(DatasetError) as e:
        dataset_root("coco", tmp_path)
    msg = str(e.value)
    assert str(tmp_path / "coco") in msg and "instances_{train,val}2017.json" in msg
    assert "make_synthetic.py" in msg
    with pytest.raises(KeyError, match="imagenet-a"):
        dataset_root("imagenet_a", tmp_path)


def test_malformed_index_file_is_named(tiny_data, tmp_path):
    bad = tmp_path / "imagenet-a"
    bad.mkdir()
    (bad / "imagenet_a_indices.txt").write_text("0\nseven\n")
    with pytest.raises(DatasetError, match=re.escape(str(bad / "imagenet_a_indices.txt"))):
        class_subset(bad, "imagenet_a_indices.txt", 10)


def test_stamp_records_scale_and_seed(tiny_data):
    assert json.loads((tiny_data / "SYNTHETIC.json").read_text())["scale"] == "tiny"


def test_imagenet_o_subset_is_hendrycks_200(tmp_path):
    """Real ImageNet-1k: the shipped ImageNet-O / -A subsets (Hendrycks' eval_many_models.py wnid lists; timm's
    ImageNet-A file) serve a dataset folder without an index file; a file that is not those 200 is refused."""
    import timm

    from configs.datasets import SHIPPED_SUBSETS

    o = class_subset(tmp_path, "imagenet_o_indices.txt", 1000)
    assert len(o) == 200 == len(set(o)) and o == sorted(o) and o[:3] == [1, 51, 70] and o[-1] == 996
    a = class_subset(tmp_path, "imagenet_a_indices.txt", 1000)
    timm_a = Path(timm.__file__).parent / "data/_info/imagenet_a_indices.txt"
    assert a == [int(v) for v in timm_a.read_text().split()] and len(a) == 200
    (tmp_path / "imagenet_o_indices.txt").write_text("\n".join(map(str, o[:199])) + "\n")
    with pytest.raises(DatasetError, match="Hendrycks' 200 ImageNet-1k classes.*199 indices"):
        class_subset(tmp_path, "imagenet_o_indices.txt", 1000)
    (tmp_path / "imagenet_o_indices.txt").write_text("\n".join(map(str, o[:199] + [o[0]])) + "\n")
    with pytest.raises(DatasetError, match="repeat"):
        class_subset(tmp_path, "imagenet_o_indices.txt", 1000)
    (tmp_path / "imagenet_o_indices.txt").write_text((SHIPPED_SUBSETS / "imagenet_o_indices.txt").read_text())
    assert class_subset(tmp_path, "imagenet_o_indices.txt", 1000) == o
    with pytest.raises(DatasetError, match="missing index file"):  # other class lists need their own file
        class_subset(tmp_path / "nothing", "imagenet_o_indices.txt", 10)
