"""The GPU path: PneumoniaMNIST ResNet-18 for MedMNIST v2's 100 epochs and MiniLM on SciFact, into one JSON file.

On a GPU machine, from a fresh clone (CUDA torch through TORCH_SPEC, then this script):

    bash benchmarks/gpu_path.sh --pneumoniamnist /data/pneumoniamnist.npz --scifact /data/scifact.zip --out gpu_path.json

`--smoke` runs the same path on the CPU with tiny settings (generated images, one epoch; the
generated retrieval task), so that a machine without a GPU, and the tests, can tell it still works:

    python benchmarks/gpu_path.py --smoke --out smoke.json

The JSON holds, per part, the metrics with their intervals, wall times and throughput (training
images × epochs per second of the whole run's wall time, data loading and scoring included;
corpus documents encoded per second), the record folders, and the machine: torch and CUDA
versions, device name.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any

from beir_runs import beir_folder, beir_task
from pneumoniamnist_resnet18 import PUBLISHED, overrides, train_and_test
from scifact_dense import MTEB, evaluate

PUBLISHED_EPOCHS = 100
SMOKE_IMAGES = (200, 50, 100)


def machine() -> dict[str, Any]:
    import torch

    cuda = torch.cuda.is_available()
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "device": torch.cuda.get_device_name(0) if cuda else platform.processor() or "cpu",
        "cpu_count": os.cpu_count(),
    }


def image_part(path: Path, epochs: int, gpu: bool, threads: int, root: Path) -> dict[str, Any]:
    """ResNet-18 (28×28 stem) under MedMNIST v2's recipe through `medbench run`; metrics and images/s."""
    import numpy as np

    record, seconds = train_and_test(overrides(path, epochs, False, gpu, threads, root))
    n_train = int(np.load(path)["train_labels"].shape[0])
    metrics = {name: {"value": value.value, "ci": [value.ci.low, value.ci.high] if value.ci else None} for name, value in record.metrics().values.items()}
    return {
        "epochs": epochs,
        "metrics": metrics,
        "published": PUBLISHED if epochs == PUBLISHED_EPOCHS else None,
        "seconds": round(seconds, 1),
        "training_images_per_second": round(n_train * epochs / seconds, 1),
        "record": str(record.path),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pneumoniamnist", type=Path, help="pneumoniamnist.npz (MedMNIST layout)")
    parser.add_argument("--scifact", type=Path, help="scifact.zip or the unzipped BEIR folder")
    parser.add_argument("--out", type=Path, required=True, help="the JSON file to write")
    parser.add_argument("--root", type=Path, default=None, help="runs and caches go here (default: a temporary folder)")
    parser.add_argument("--epochs", type=int, default=PUBLISHED_EPOCHS)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--smoke", action="store_true", help="CPU, generated data, one epoch: check that the path runs")
    args = parser.parse_args(argv)

    import torch

    if not args.smoke and not torch.cuda.is_available():
        print(
            f"no CUDA device visible to torch {torch.__version__}: install a CUDA build "
            '(TORCH_SPEC="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu126" make setup), or use --smoke',
            file=sys.stderr,
        )
        return 2
    if not args.smoke and (args.pneumoniamnist is None or args.scifact is None):
        print("give --pneumoniamnist and --scifact (or --smoke, which generates its data)", file=sys.stderr)
        return 2
    root = (args.root or Path(tempfile.mkdtemp(prefix="medbench-gpu-path-"))).resolve()
    root.mkdir(parents=True, exist_ok=True)

    if args.smoke:
        from medbench.data.generators.images import write_medmnist_npz
        from medbench.data.generators.retrieval import write_retrieval_folder

        images = root / "smoke_images.npz"
        write_medmnist_npz(images, sizes=SMOKE_IMAGES)
        retrieval = write_retrieval_folder(root / "smoke_retrieval", n_queries=20, n_background_documents=10)
        image = image_part(images, 1, False, args.threads, root)
        dense = {"data": "generated", **evaluate(retrieval, root, "sentence-transformers", "cpu", args.threads, beir_task("generated_smoke", retrieval))}
    else:
        image = image_part(args.pneumoniamnist.resolve(), args.epochs, True, args.threads, root)
        scifact = beir_folder(args.scifact.resolve(), root / "data")
        dense = {"data": "scifact", **evaluate(scifact, root, "sentence-transformers", "cuda", args.threads, beir_task("scifact", scifact)), "mteb": MTEB}

    result = {"smoke": args.smoke, "machine": machine(), "pneumoniamnist_resnet18": image, "dense_minilm": dense}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    staging = args.out.with_name(f".{args.out.name}.tmp")
    staging.write_text(json.dumps(result, indent=2) + "\n")
    os.replace(staging, args.out)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
