"""Sweeps: every job runs `run(cfg)` and the sweep ends with a table; the SLURM launcher and its queue reader."""
