"""Downstream transfer: semantic segmentation (MMSegmentation) and detection (MMDetection)."""
