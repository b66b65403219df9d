"""all-MiniLM-L6-v2 (the packaged model) on SciFact: nDCG@10 with its interval, and encoding throughput.

    nice python benchmarks/scifact_dense.py PATH_TO/scifact.zip [--encoder sentence-transformers|onnx] [--device cuda]

MTEB reports nDCG@10 = 0.645 for all-MiniLM-L6-v2 on SciFact (test, 300 claims, 5,183 abstracts,
title + text, 256 tokens). The corpus is encoded once here, timed (documents per second), and its
embeddings stored in the cache, so the `medbench run ... model=dense_minilm` that follows (and any
hybrid run on the same corpus) reads them instead of encoding again.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from beir_runs import beir_folder, beir_task, primary, run_medbench

MTEB = 0.645
MODELS = {"sentence-transformers": "dense_minilm", "onnx": "dense_minilm_onnx"}


def encode_corpus(folder: Path, model: str, cache_dir: Path, device: str) -> dict[str, Any]:
    """Encode the corpus with the model's encoder (as its config builds it), store it in the cache, time it."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.utils import instantiate

    from medbench.config.location import config_dir
    from medbench.data.beir import CORPUS_FILE, load_corpus
    from medbench.models.retrieval.embedding_cache import EmbeddingCache
    from medbench.config.schema import register_configs

    register_configs()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose(config_name="config", overrides=[f"model={model}", f"paths.cache_dir={cache_dir}", *device_overrides(model, device)])
    corpus = load_corpus(folder / CORPUS_FILE)
    documents = corpus.documents()
    started = time.perf_counter()
    encoder = instantiate(cfg.model.encoder)
    loaded = time.perf_counter()
    embeddings = encoder.encode(documents)
    seconds = time.perf_counter() - loaded
    # The run that follows reads them from the cache.
    EmbeddingCache(cfg.model.cache_dir).load_or_compute(corpus.fingerprint, encoder.identity(), len(corpus), lambda: embeddings)
    return {
        "documents": len(documents),
        "dimensions": int(embeddings.shape[1]),
        "load_seconds": round(loaded - started, 2),
        "encode_seconds": round(seconds, 2),
        "documents_per_second": round(len(documents) / seconds, 1),
    }


def device_overrides(model: str, device: str) -> list[str]:
    return [f"model.encoder.device={device}"] if model == "dense_minilm" else []


def evaluate(folder: Path, root: Path, encoder: str, device: str, threads: int, task: list[str]) -> dict[str, Any]:
    """Time the encoding of the corpus in `folder`, then `medbench run` the dense model on `task`: the numbers."""
    import torch

    torch.set_num_threads(threads)
    model = MODELS[encoder]
    throughput = encode_corpus(folder, model, root / ".cache" / "medbench", device)
    record = run_medbench(root, [*task, f"model={model}", *device_overrides(model, device)], threads)
    value, low, high = primary(record)
    return {"encoder": encoder, "device": device, "ndcg@10": value, "ci": [low, high], "record": str(record.path), **throughput}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="scifact.zip or the unzipped BEIR folder")
    parser.add_argument("--encoder", choices=sorted(MODELS), default="sentence-transformers")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (sentence-transformers only)")
    parser.add_argument("--root", type=Path, default=Path(".cache/medbench-benchmarks"), help="runs and caches go here")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args(argv)

    root = args.root.resolve()
    folder = beir_folder(args.path, root / "data")
    result = evaluate(folder, root, args.encoder, args.device, args.threads, beir_task("scifact", folder))
    print(f"{args.encoder} on {args.device}: {result['documents']} documents in {result['encode_seconds']} s = "
          f"{result['documents_per_second']} documents/s (model loaded in {result['load_seconds']} s)")
    low, high = result["ci"]
    print(f"all-MiniLM-L6-v2 ({args.encoder}) SciFact nDCG@10 = {result['ndcg@10']:.4f} [{low:.4f}, {high:.4f}] (MTEB: {MTEB}); record {result['record']}")
    if args.json:
        args.json.write_text(json.dumps({**result, "mteb": MTEB}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
