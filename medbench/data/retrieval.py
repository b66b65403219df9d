"""Retrieval tasks: judged queries searching one corpus.

A split's samples are queries: ids are query ids, inputs a :class:`RetrievalInputs` (query texts
and the corpus), targets each query's judgments `{document id: relevance}`. Only judged queries
belong to a split; which qrels file makes which split is configured, since BEIR folders name
them differently (`dev` or none for validation, often no `train`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Optional

import numpy as np

from medbench.data.base import SPLIT_NAMES, DataInfo, MedbenchDataModule, Split
from medbench.data.beir import BeirDataset, Qrels, load_beir
from medbench.data.corpus import Corpus, RetrievalInputs
from medbench.io import sha256_file
from medbench.records.fingerprint import content_hash


class RetrievalDataModule(MedbenchDataModule):
    """Base of retrieval data modules: subclasses say where the BEIR folder is (:meth:`beir_folder`)."""

    required_splits = ("test",)

    def __init__(
        self,
        train_qrels: Optional[str] = "train",
        val_qrels: Optional[str] = None,
        test_qrels: str = "test",
        batch_size: int = 64,
        num_workers: int = 0,
    ) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers)
        # medbench split name -> qrels file stem (None: the split has no queries)
        self.qrels_files = {"train": train_qrels, "val": val_qrels, "test": test_qrels}
        self._corpus: Optional[Corpus] = None
        self._source = ""

    def beir_folder(self) -> Path:
        """The BEIR folder to read (a subclass may create it first)."""
        raise NotImplementedError

    @property
    def corpus(self) -> Corpus:
        self.setup()
        assert self._corpus is not None
        return self._corpus

    def load_splits(self) -> dict[str, Split]:
        folder = self.beir_folder()
        dataset = load_beir(folder, [stem for stem in self.qrels_files.values() if stem])
        self._corpus = dataset.corpus
        self._source = f"BEIR folder {folder} ({len(dataset.corpus)} documents, {len(dataset.queries)} queries)"
        return {name: self._split(dataset, self.qrels_files[name]) for name in SPLIT_NAMES}

    def _split(self, dataset: BeirDataset, qrels_stem: Optional[str]) -> Split:
        qrels: Qrels = dataset.qrels[qrels_stem] if qrels_stem else {}
        ids = list(qrels)
        targets = np.empty(len(ids), dtype=object)
        targets[:] = [qrels[query_id] for query_id in ids]
        return Split(
            ids=np.array(ids, dtype=object),
            inputs=RetrievalInputs(texts=[dataset.queries[query_id] for query_id in ids], corpus=dataset.corpus),
            targets=targets,
        )

    def info(self) -> DataInfo:
        self.setup()
        return DataInfo(network_kwargs={}, source=self._source)

    def fingerprint(self) -> str:
        """Content hash of the corpus and of each split's query ids, texts and judgments."""
        splits = {
            name: (self.split(name).ids, self.split(name).inputs.texts, list(self.split(name).targets))
            for name in SPLIT_NAMES
        }
        return content_hash({"corpus": self.corpus.fingerprint, "splits": splits})


class BeirDataModule(RetrievalDataModule):
    """A user's BEIR folder (`corpus.jsonl`, `queries.jsonl`, `qrels/<split>.tsv`)."""

    def __init__(self, folder: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.folder = Path(folder)

    def beir_folder(self) -> Path:
        return self.folder


class GeneratedRetrievalDataModule(RetrievalDataModule):
    """The generated English/French BEIR folder of :mod:`medbench.data.generators.retrieval`.

    The folder is written once under `cache_dir`, named by the generator's arguments, so a fresh
    clone needs no data and reruns read the same files.
    """

    def __init__(
        self,
        cache_dir: str,
        n_queries: int = 120,
        n_background_documents: int = 200,
        french_fraction: float = 0.35,
        generator_seed: int = 0,
        **kwargs,
    ) -> None:
        kwargs.setdefault("val_qrels", "dev")
        super().__init__(**kwargs)
        self.cache_dir = Path(cache_dir)
        self.generator_arguments = {
            "n_queries": n_queries,
            "n_background_documents": n_background_documents,
            "french_fraction": french_fraction,
            "seed": generator_seed,
        }

    def beir_folder(self) -> Path:
        from medbench.data.generators.retrieval import write_retrieval_folder

        folder = self.cache_dir / "generated" / f"retrieval-{content_hash(self.generator_arguments)[:12]}"
        return written_once(folder, lambda staging: write_retrieval_folder(staging, **self.generator_arguments))


class Icd11RetrievalDataModule(RetrievalDataModule):
    """The ICD-11 category search of :mod:`medbench.data.icd11_retrieval` (French or English), built
    once under `cache_dir` from the installed `cim-11-CERTIC` package."""

    def __init__(self, cache_dir: str, language: str = "fr", n_queries: int = 400, builder_seed: int = 0, **kwargs) -> None:
        kwargs.setdefault("val_qrels", "dev")
        super().__init__(**kwargs)
        self.cache_dir = Path(cache_dir)
        self.builder_arguments = {"language": language, "n_queries": n_queries, "seed": builder_seed}

    def beir_folder(self) -> Path:
        from medbench.data.icd11_retrieval import icd11_database, write_icd11_folder

        # The database's hash is in the name: another release of the package builds another folder.
        key = content_hash({**self.builder_arguments, "database": sha256_file(icd11_database())})[:12]
        folder = self.cache_dir / "built" / f"icd11-{self.builder_arguments['language']}-{key}"
        return written_once(folder, lambda staging: write_icd11_folder(staging, **self.builder_arguments))


def written_once(folder: Path, write: Callable[[Path], object]) -> Path:
    """`folder`, written by `write(staging)` into a staging folder then moved into place if it is not there yet."""
    if not folder.is_dir():
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".staging-"))
        write(staging)
        try:
            os.replace(staging, folder)
        except OSError:  # another process finished the same folder first
            shutil.rmtree(staging, ignore_errors=True)
    return folder
