"""Mixing methods, one file each, behind one two-step interface and one registry.

    mixer = create_mixer("transmix", num_classes=1000)
    batch = mixer(x, y, generator)                          # mix the inputs
    logits, attn, grid = forward_with_attention(model, batch.x)
    target = mixer.targets(batch, logits=logits, attn=attn, grid=grid, progress=epoch / epochs)
    loss = criterion(logits, target)                        # criterion = mixer.criterion()

Label weights are per sample; attention comes from the same forward pass on the mixed batch.
"""

from .attentive_cutmix import AttentiveCutMix
from .core import (
    MixBatch,
    Mixer,
    attention_lambda,
    maskmix_mask,
    mix_targets,
    pal_alpha,
    smooth_one_hot,
    transmix_lambda,
)
from .cutmix import CutMix
from .deit import DeiTMix
from .gridmix import GridMix
from .maskmix import MaskMix
from .mixpro import MixPro
from .mixup import Mixup
from .none import NoMix
from .puzzlemix import PuzzleMix
from .saliencymix import SaliencyMix
from .tokenmix import TokenMix
from .transmix import TransMix

MIXERS: dict[str, type[Mixer]] = {m.name: m for m in (NoMix, Mixup, CutMix, DeiTMix, TransMix, MaskMix, MixPro,
                                                       TokenMix, GridMix, SaliencyMix, AttentiveCutMix, PuzzleMix)}


def create_mixer(name: str, num_classes: int, **cfg) -> Mixer:
    """Build a registered method; unknown names and keys raise, listing the valid ones."""
    if name not in MIXERS:
        raise KeyError(f"unknown mixing method {name!r}; valid: {', '.join(MIXERS)}")
    cls = MIXERS[name]
    unknown = set(cfg) - set(cls.options())
    if unknown:
        raise KeyError(f"unknown option(s) {sorted(unknown)} for method {name!r}; valid: {', '.join(cls.options())}")
    return cls(num_classes=num_classes, **cfg)


__all__ = ["MIXERS", "MixBatch", "Mixer", "attention_lambda", "create_mixer", "maskmix_mask", "mix_targets",
           "pal_alpha", "smooth_one_hot", "transmix_lambda"]
