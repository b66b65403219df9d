"""Baselines per modality and adapters for innovations that come from outside."""
