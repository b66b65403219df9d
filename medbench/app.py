"""The thin Hydra shell around :func:`medbench.engine.run.run`.

Hydra composes `conf/` with the user's overrides (and `-m` sweeps); this module only hands the
result to `run` and turns medbench's own errors into a clear message and a non-zero exit.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Optional

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from medbench.errors import MedbenchError, debugging, one_line
from medbench.config.schema import register_configs
from medbench.config.location import config_dir
from medbench.config.suggest import check_group_choices, unknown_key_message


def _job(cfg: DictConfig) -> Optional[float]:
    from medbench.engine.console import headline, next_step, print_config_tree
    from medbench.engine.run import run

    hydra_cfg = HydraConfig.get()
    # As typed: iterating the ListConfig would resolve `${oc.env:...}` inside them (secrets in the record).
    overrides = [str(o) for o in OmegaConf.to_container(hydra_cfg.overrides.task, resolve=False)]
    if hydra_cfg.mode == RunMode.MULTIRUN:
        from medbench.sweeps.sweep import run_job

        return run_job(cfg, overrides, Path(hydra_cfg.runtime.output_dir), int(hydra_cfg.job.num))
    if cfg.print_config:
        print_config_tree(cfg)
    try:
        record = run(cfg, overrides=overrides)
    except Exception as error:  # one line and exit 2 (the record keeps the traceback); --debug re-raises
        if debugging():
            raise
        print(f"medbench run: error: {one_line(error)}", file=sys.stderr)
        raise SystemExit(2) from None
    if record is not None:  # None on DDP ranks other than 0
        print(headline(record))
        if record.complete:
            print(next_step(record))
    return None


def _reporting_config_errors(run_and_report: Callable[[Callable[[], Any]], Any]) -> Callable[[Callable[[], Any]], Any]:
    """Hydra's `run_and_report`, except that an override it cannot compose costs one line and exit 2.

    Hydra would print OmegaConf's multi-line error and exit 1 (`seeed=1`, `trainer.max_epoch=3`);
    this says which key is unknown and the closest one that exists. Everything else is Hydra's.
    """
    from hydra.errors import ConfigCompositionException

    def composed(func: Callable[[], Any]) -> Any:
        def attempt() -> Any:
            try:
                return func()
            except ConfigCompositionException as error:
                if debugging():
                    raise
                print(f"medbench run: error: {unknown_key_message(error)}", file=sys.stderr)
                raise SystemExit(2) from None

        return run_and_report(attempt)

    return composed


def launch(argv: Sequence[str]) -> int:
    """Run Hydra's command line on `argv` (everything after `medbench run`); 1 when a sweep job failed."""
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s][%(name)s][%(levelname)s] %(message)s")
    # Sweep workers (joblib/loky, submitit) inherit this: one BLAS thread per process.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")
    # conf/hydra/launcher/*.yaml keep the plugins' names on purpose, so that Hydra validates them
    # against the plugins' schemas; its deprecation notice about that matching is noise to users.
    warnings.filterwarnings("ignore", message=r"[\s\S]*is validated against ConfigStore schema with the same name")
    from medbench.sweeps.slurm_launcher import register_schema

    register_configs()
    register_schema()
    try:
        check_group_choices([arg for arg in argv if not arg.startswith("-")], config_dir())
    except MedbenchError as error:
        print(f"medbench run: error: {error}", file=sys.stderr)
        return 2
    # hydra.main would read sys.argv; parsing `argv` here leaves sys.argv as typed
    # (`medbench run ...`), which is what Lightning re-executes to start the other DDP ranks.
    from hydra import version
    from hydra._internal import utils as hydra_utils
    from hydra._internal.utils import _run_hydra, get_args_parser

    version.setbase("1.3")
    hydra_utils.run_and_report = _reporting_config_errors(hydra_utils.run_and_report)
    parser = get_args_parser()
    try:
        _run_hydra(
            args=parser.parse_args(list(argv)),
            args_parser=parser,
            task_function=_job,
            config_path=str(config_dir()),
            config_name="config",
        )
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    return 0
