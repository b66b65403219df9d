"""The run engine: `run(cfg)`, Lightning training, safe checkpoint loading and what a run prints. torch and Lightning live here and above."""
