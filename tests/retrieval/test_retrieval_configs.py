"""The retrieval config groups compose, and where the cache lives does not change a run's id."""

from __future__ import annotations

from medbench.config.identity import run_id_of


def test_embedding_cache_folder_is_not_part_of_the_run_id(compose_config) -> None:
    base = compose_config("task=retrieval_generated", "model=dense_lsa")
    moved = compose_config("task=retrieval_generated", "model=dense_lsa", "model.cache_dir=/elsewhere", "paths.cache_dir=/other")
    assert run_id_of(base) == run_id_of(moved)
    assert run_id_of(base) != run_id_of(compose_config("task=retrieval_generated", "model=dense_lsa", "model.top_k=10"))


def test_beir_task_demands_its_folder_and_name(compose_config) -> None:
    from omegaconf import OmegaConf

    cfg = compose_config("task=beir", "model=bm25")
    assert {"task.name", "task.data.folder"} <= set(OmegaConf.missing_keys(cfg))
