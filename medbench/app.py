"""The thin Hydra shell around :func:`medbench.run.run`.

Hydra composes `conf/` with the user's overrides (and `-m` sweeps); this module only hands the
result to `run` and turns medbench's own errors into a clear message and a non-zero exit.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from medbench.errors import MedbenchError
from medbench.schema import register_configs


def config_dir() -> Path:
    """`conf/` of a source checkout, or the copy packed inside an installed wheel."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "conf", package.parent / "conf"):
        if (candidate / "config.yaml").is_file():
            return candidate
    raise MedbenchError(f"medbench's config folder was not found next to {package}; reinstall medbench")


def _job(cfg: DictConfig) -> None:
    from medbench.console import headline, print_config_tree
    from medbench.run import run

    if cfg.print_config:
        print_config_tree(cfg)
    try:
        record = run(cfg, overrides=list(HydraConfig.get().overrides.task))
    except MedbenchError as error:
        print(f"medbench run: error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    print(headline(record))


def launch(argv: Sequence[str]) -> int:
    """Run Hydra's command line on `argv` (everything after `medbench run`)."""
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s][%(name)s][%(levelname)s] %(message)s")
    register_configs()
    main = hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="config")(_job)
    sys.argv = ["medbench run", *argv]
    main()
    return 0
