"""Tests only: the demo protocol on the tiny synthetic data (numbers meaningless)."""

_base_ = ["./demo.py"]
batch_size = 16
workers = 0
voc_size = 64
