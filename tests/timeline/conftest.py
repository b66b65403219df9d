"""Shared timeline fixtures: one generated cohort per session, as a Synthea export, OMOP tables and MEDS."""

from __future__ import annotations

from pathlib import Path

import pytest

N_SUBJECTS = 300


@pytest.fixture(scope="session")
def synthea_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from medbench.data.timeline.generate import simulate, write_synthea

    return write_synthea(simulate(N_SUBJECTS, seed=0), tmp_path_factory.mktemp("synthea"))


@pytest.fixture(scope="session")
def omop_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from medbench.data.timeline.generate import simulate
    from medbench.data.timeline.omop import generated_omop

    return generated_omop(simulate(N_SUBJECTS, seed=0).frames(), tmp_path_factory.mktemp("omop"))
