"""How the SLURM launcher reads the queue and decides, on scripted squeue answers (no cluster needed)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from medbench.sweeps.slurm_launcher import JobCannotStart, WatchSettings, array_ids, watch
from medbench.sweeps.slurm_queue import JobState, SlurmQueueError, parse_squeue

SETTINGS = WatchSettings(max_pending_min=None, status_timeout_s=60, poll_max_s=30, result_grace_s=15)


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _queue(script: Callable[[float], dict[str, JobState]], time: FakeTime, calls: list[float]):
    def read_states(jobs: Sequence[str]) -> dict[str, JobState]:
        calls.append(time.now)
        return script(time.now)

    return read_states


def _watch(results: dict[str, list[Path]], script, settings: WatchSettings = SETTINGS) -> tuple[dict[str, str], list[float]]:
    time, calls = FakeTime(), []
    lost = watch(results, settings, _queue(script, time, calls), clock=time.clock, sleep=time.sleep)
    return lost, calls


def test_parse_squeue_and_hopeless_reasons() -> None:
    states = parse_squeue("7_0|RUNNING|None\n7_1|PENDING|Resources\n8|PENDING|PartitionConfig\n9|PENDING|QOSMaxCpuPerJobLimit\n")
    assert [state.hopeless for state in states.values()] == [False, False, True, True]
    assert states["7_0"].state == "RUNNING" and not states["7_0"].finished
    assert JobState("7_2", "CANCELLED", "None").finished
    assert array_ids(["7_0", "7_1", "8"]) == ["7", "8"]
    with pytest.raises(SlurmQueueError, match="unreadable line"):
        parse_squeue("7_0 RUNNING\n")


def test_results_end_the_watch_and_a_vanished_job_is_lost_after_the_grace(tmp_path: Path) -> None:
    done, never = tmp_path / "0_result.pkl", tmp_path / "1_result.pkl"

    def script(now: float) -> dict[str, JobState]:
        if now >= 5:
            done.touch()
        # Task 1 waits, then is cancelled while pending: a pending array task vanishes from squeue.
        return {"7_1": JobState("7_1", "PENDING", "JobArrayTaskLimit")} if now < 4 else {}

    lost, calls = _watch({"7_0": [done], "7_1": [never]}, script)
    assert lost == {"7_1": "SLURM job 7_1 left the queue (last seen PENDING) without a result: cancelled, or purged by SLURM"}
    assert calls[:5] == [0, 1, 3, 7, 15]  # squeue backs off; result files are looked for every second


def test_a_hopeless_pending_reason_ends_the_watch_at_once(tmp_path: Path) -> None:
    with pytest.raises(JobCannotStart, match=r"SLURM job 7_0 cannot start: pending with reason PartitionConfig"):
        _watch({"7_0": [tmp_path / "r.pkl"]}, lambda now: {"7_0": JobState("7_0", "PENDING", "PartitionConfig")})


def test_waiting_for_resources_is_bounded_only_by_max_pending_min(tmp_path: Path) -> None:
    results = {"7_0": [tmp_path / "r.pkl"]}

    def script(now: float) -> dict[str, JobState]:
        return {"7_0": JobState("7_0", "PENDING", "Resources")}

    settings = WatchSettings(max_pending_min=2, status_timeout_s=60, poll_max_s=30)
    with pytest.raises(JobCannotStart, match=r"7_0 still pending after 2 min \(hydra.launcher.max_pending_min\), reason Resources"):
        _watch(results, script, settings)


def test_an_unreadable_queue_ends_the_watch_after_status_timeout_s(tmp_path: Path) -> None:
    def script(now: float) -> dict[str, JobState]:
        if now > 20:
            raise SlurmQueueError("`squeue ...` failed: Unable to contact slurm controller")
        return {"7_0": JobState("7_0", "RUNNING", "None")}

    with pytest.raises(JobCannotStart, match=r"could not be read for 60 s .*Unable to contact slurm controller"):
        _watch({"7_0": [tmp_path / "r.pkl"]}, script)


def test_a_job_of_several_tasks_waits_for_every_task(tmp_path: Path) -> None:
    rank0, rank1 = tmp_path / "7_0_result.pkl", tmp_path / "7_1_result.pkl"
    rank0.touch()

    def script(now: float) -> dict[str, JobState]:
        if now >= 7:  # rank 1 ends later than rank 0
            rank1.touch()
        return {"7": JobState("7", "RUNNING", "None")}

    lost, calls = _watch({"7": [rank0, rank1]}, script)
    assert lost == {} and calls == [0, 1, 3, 7]


def test_a_job_that_finished_without_a_result_is_lost_with_its_state(tmp_path: Path) -> None:
    lost, _ = _watch({"7": [tmp_path / "r.pkl"]}, lambda now: {"7": JobState("7", "FAILED", "NonZeroExitCode")})
    assert lost == {"7": "SLURM job 7 ended FAILED (reason NonZeroExitCode) without a result"}
