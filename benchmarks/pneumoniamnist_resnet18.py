"""ResNet-18 (28×28 stem) on PneumoniaMNIST through medbench, to compare with MedMNIST v2.

    python benchmarks/pneumoniamnist_resnet18.py PATH/pneumoniamnist.npz [--epochs N] [--balanced] [--gpu]

Runs the whole medbench path (`medbench run task=pneumoniamnist model=resnet18`: loader with the
official-release check, Lightning training, run record, metrics with bootstrap CIs) under the
MedMNIST v2 protocol: Adam lr 0.001, batch 128, lr ×0.1 at 50 % and 75 % of the epochs, the
checkpoint with the best validation AUROC. MedMNIST v2 trains 100 epochs; fewer epochs on a CPU
give a lower bound. `--balanced` weights the positive class by n_negative / n_positive of the
training split (the test split has more normal images, relative to pneumonia, than training).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PUBLISHED = {"auroc": 0.944, "accuracy": 0.854}


def overrides(path: Path, epochs: int, balanced: bool, gpu: bool, threads: int, runs_root: Path) -> list[str]:
    result = [
        f"paths.root_dir={runs_root}",
        "task=pneumoniamnist",
        f"task.data.path={path.resolve()}",
        "model=resnet18",
        f"trainer.max_epochs={epochs}",
        "callbacks.early_stopping=null",
        "callbacks.model_checkpoint.monitor=val/auroc",
        "callbacks.model_checkpoint.mode=max",
        "callbacks.progress_bar=null",
        "trainer.enable_progress_bar=false",
        "print_config=false",
        "force=true",
        f"num_threads={threads}",
    ]
    if epochs >= 4:  # MedMNIST v2's schedule; a milestone at epoch 0 would cut the lr from the start
        result.append(
            "model.scheduler={_target_:torch.optim.lr_scheduler.MultiStepLR,_partial_:true,"
            f"milestones:[{epochs // 2},{3 * epochs // 4}],gamma:0.1}}"
        )
    if balanced:
        labels = np.load(path)["train_labels"].reshape(-1)
        result.append(f"+model.class_weights=[{(labels == 0).sum() / (labels == 1).sum():.6f}]")
    if gpu:
        result.append("trainer=gpu")
    return result


def train_and_test(config_overrides: list[str]):
    """`medbench run` with these overrides: its record and its wall time in seconds."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from medbench.config.location import config_dir
    from medbench.engine.run import run
    from medbench.config.schema import register_configs

    register_configs()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose(config_name="config", overrides=config_overrides)
    started = time.perf_counter()
    record = run(cfg)
    return record, time.perf_counter() - started


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="pneumoniamnist.npz (MedMNIST layout)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--balanced", action="store_true", help="weight the positive class by the training imbalance")
    parser.add_argument("--gpu", action="store_true")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for torch")
    parser.add_argument("--runs-root", type=Path, default=None, help="where the run record goes (default: a temporary folder)")
    args = parser.parse_args(argv)

    runs_root = args.runs_root or Path(tempfile.mkdtemp(prefix="medbench-pneumoniamnist-"))
    record, seconds = train_and_test(overrides(args.path, args.epochs, args.balanced, args.gpu, args.threads, runs_root))
    metrics = record.metrics()
    print(f"record: {record.path}")
    print(f"data: {record.manifest.dataset.source}")
    print(f"ResNet-18 (28), {args.epochs} epoch(s){', balanced loss' if args.balanced else ''}, {seconds:.0f} s")
    for name, value in metrics.values.items():
        ci = f" [{value.ci.low:.3f}, {value.ci.high:.3f}]" if value.ci else ""
        reference = f"   (MedMNIST v2, 100 epochs: {PUBLISHED[name]:.3f})" if name in PUBLISHED else ""
        print(f"  {name:18s} {value.value:.3f}{ci}{reference}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
