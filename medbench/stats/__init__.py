"""Statistics on stored predictions: bootstrap intervals, paired comparisons, multiple testing.

Numpy and scipy only (never torch), so the committee's commands answer at once.
"""
