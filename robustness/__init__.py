"""Robustness and attention-quality suite on the original protocols (``../shared/PROTOCOLS.md`` section 2)."""
