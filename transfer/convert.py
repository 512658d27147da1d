"""Convert a hand-off ``backbone.pth`` into the backbone key layout of MMSegmentation or MMDetection.

    python -m transfer.convert --backbone <run>/pretrain/backbone.pth --to mmseg --out deit_mmseg.pth
    python -m transfer.convert --backbone <run>/pretrain/backbone.pth --to mmdet --out pvt_mmdet.pth

- ``mmseg``: timm DeiT/ViT -> mmseg ``VisionTransformer``, the key map of mmseg's
  ``tools/model_converters/vit2mmseg.py`` (the classifier head is dropped).
- ``mmdet``: PVT v1 (whai362 names) -> mmdet ``PyramidVisionTransformer`` through mmdet's own ``pvt_convert``.
Each conversion is checked exactly against a freshly built downstream backbone: every parameter is covered and
nothing is left over (:func:`check_exact`).
"""

from __future__ import annotations

import argparse
from collections import OrderedDict
from pathlib import Path

import torch

from pretrain.checkpoint import atomic_torch_save, read_handoff


def vit_to_mmseg(sd: dict) -> OrderedDict:
    """mmseg ``vit2mmseg.convert_vit`` key map (timm ``blocks.i.norm1`` -> ``layers.i.ln1``, ``attn.qkv`` ->
    ``attn.attn.in_proj_``, ``mlp.fc1`` -> ``ffn.layers.0.0``, final ``norm`` -> ``ln1`` ...), head dropped."""
    out = OrderedDict()
    for k, v in sd.items():
        if k.startswith("head"):
            continue
        if k.startswith("norm"):
            nk = k.replace("norm.", "ln1.")
        elif k.startswith("patch_embed"):
            nk = k.replace("proj", "projection") if "proj" in k else k
        elif k.startswith("blocks"):
            if "norm" in k:
                nk = k.replace("norm", "ln")
            elif "mlp.fc1" in k:
                nk = k.replace("mlp.fc1", "ffn.layers.0.0")
            elif "mlp.fc2" in k:
                nk = k.replace("mlp.fc2", "ffn.layers.1")
            elif "attn.qkv" in k:
                nk = k.replace("attn.qkv.", "attn.attn.in_proj_")
            elif "attn.proj" in k:
                nk = k.replace("attn.proj", "attn.attn.out_proj")
            else:
                nk = k
            nk = nk.replace("blocks.", "layers.")
        else:
            nk = k
        out[nk] = v
    return out


DROPPED_BY_PVT_CONVERT = ("head.", "norm.", "cls_token")  # classification-only parts mmdet's converter skips


def pvt_to_mmdet(sd: dict) -> OrderedDict:
    """mmdet's ``pvt_convert`` (PVT v1 classification names -> mmdet ``PyramidVisionTransformer``).

    Deliberate difference: ``pvt_convert`` strips the class token's position embedding from ``pos_embed4`` only
    when it has 50 entries (7x7 + 1, a 224-px checkpoint); it is stripped here at any size (a 4x4 + 1 demo
    checkpoint would otherwise keep it and fail to load)."""
    from mmdet.models.backbones.pvt import pvt_convert

    sd = OrderedDict(sd)
    n = sd["pos_embed4"].shape[1]
    if n != 50 and round((n - 1) ** 0.5) ** 2 == n - 1:
        sd["pos_embed4"] = sd["pos_embed4"][:, 1:]
    return pvt_convert(sd)


def check_exact(converted: dict, target: torch.nn.Module, what: str, resized: tuple[str, ...] = ()) -> None:
    """Every parameter/buffer of ``target`` is in ``converted`` with its shape, and nothing else is
    (``resized`` keys may differ in shape: position embeddings interpolated to another input size)."""
    own = target.state_dict()
    missing = sorted(set(own) - set(converted))
    extra = sorted(set(converted) - set(own))
    bad = [f"{k}: {tuple(converted[k].shape)} vs {tuple(own[k].shape)}" for k in own
           if k in converted and k not in resized and tuple(converted[k].shape) != tuple(own[k].shape)]
    if missing or extra or bad:
        raise KeyError(f"{what}: conversion not exact: missing {missing[:10]} ({len(missing)}), unexpected "
                       f"{extra[:10]} ({len(extra)}), shape mismatches {bad[:10]}")


def mmseg_vit_config(meta: dict, img_size) -> dict:
    """An mmseg ``VisionTransformer`` config matching a hand-off DeiT (from ``backbone.json``)."""
    from pretrain.models import create_backbone

    net = create_backbone(meta["timm_name"], **meta["model_kwargs"])
    if not hasattr(net, "blocks") or not hasattr(net, "cls_token"):
        raise ValueError(f"{meta['alias']}: MMSegmentation's VisionTransformer takes DeiT/ViT backbones only")
    blk = net.blocks[0]
    return dict(type="VisionTransformer", img_size=tuple(img_size), patch_size=meta["patch_size"],
                embed_dims=net.embed_dim, num_layers=len(net.blocks), num_heads=blk.attn.num_heads,
                mlp_ratio=blk.mlp.fc1.out_features // net.embed_dim, qkv_bias=blk.attn.qkv.bias is not None,
                with_cls_token=True, final_norm=True, interpolate_mode="bicubic",
                patch_bias=net.patch_embed.proj.bias is not None,  # mmseg's default is False; timm's DeiT has one
                norm_cfg=dict(type="LN", eps=net.norm.eps, requires_grad=True))


def convert(backbone: str | Path, to: str, out: str | Path) -> Path:
    sd, meta = read_handoff(backbone)
    if to == "mmseg":
        conv = vit_to_mmseg(sd)
        from mmseg.registry import MODELS
        from mmseg.utils import register_all_modules
        register_all_modules()
        target = MODELS.build(mmseg_vit_config(meta, (meta["img_size"], meta["img_size"])))
    elif to == "mmdet":
        if meta["timm_name"].split("_")[0] != "pvt":
            raise ValueError(f"{meta['alias']}: MMDetection's PyramidVisionTransformer takes PVT v1 backbones only")
        conv = pvt_to_mmdet(sd)
        target = build_mmdet_pvt(meta)
    else:
        raise ValueError(f"--to must be mmseg or mmdet, got {to!r}")
    check_exact(conv, target, f"{backbone} -> {to}")
    atomic_torch_save(dict(conv), out)
    return Path(out)


def mmdet_pvt_config(meta: dict) -> dict:
    """mmdet ``PyramidVisionTransformer`` (v1) config matching a hand-off PVT from ``backbone.json``."""
    from pretrain.models import create_backbone

    net = create_backbone(meta["timm_name"], **meta["model_kwargs"])
    dims = [getattr(net, f"patch_embed{i + 1}").proj.out_channels for i in range(4)]
    heads = [getattr(net, f"block{i + 1}")[0].attn.num_heads for i in range(4)]
    mlp = [getattr(net, f"block{i + 1}")[0].mlp.fc1.out_features // dims[i] for i in range(4)]
    return dict(type="PyramidVisionTransformer", pretrain_img_size=meta["img_size"], in_channels=3,
                embed_dims=dims[0], num_stages=4, num_layers=list(net.depths), num_heads=heads,
                patch_sizes=[net.patch_embed1.patch_size, 2, 2, 2], strides=[net.patch_embed1.patch_size, 2, 2, 2],
                paddings=[0, 0, 0, 0], sr_ratios=[8, 4, 2, 1], out_indices=(0, 1, 2, 3), mlp_ratios=mlp,
                qkv_bias=True, drop_rate=0.0, attn_drop_rate=0.0, drop_path_rate=0.1, use_abs_pos_embed=True,
                norm_after_stage=False, use_conv_ffn=False, norm_cfg=dict(type="LN", eps=1e-6))


def build_mmdet_pvt(meta: dict):
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    register_all_modules()
    return MODELS.build(mmdet_pvt_config(meta))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backbone", required=True)
    ap.add_argument("--to", required=True, choices=["mmseg", "mmdet"])
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    print(convert(args.backbone, args.to, args.out))


if __name__ == "__main__":
    main()
