"""Reproduction: rerun a run, a bundle or a board entry from what it stored, and say whether the numbers came back."""
