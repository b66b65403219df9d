"""A real single-node SLURM cluster (munged, slurmctld, slurmd) for the SLURM sweep tests.

Started once per session, when a test asks for `slurm_cluster`: a private munged (own key and
socket, run as user `munge`) and a `slurm.conf` in temporary folders, on free ports, so that it
touches neither a SLURM nor a munge of the machine. No accounting (`sacct` fails, as on many small
clusters), one node with the CPUs and memory `slurmd -C` finds. Stopped after: jobs cancelled,
daemons terminated, folders removed; the daemons also die with pytest if it is killed. Needs
root and Debian's `slurm-wlm` and `munge`, which `.ci/slurm.sh` installs; the tests skip, saying
so, without them.
"""

from __future__ import annotations

import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

BINARIES = ("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel", "sinfo")
PARTITION = "medbench"
START_TIMEOUT_S = 30.0


def _die_with_pytest() -> None:
    """In the daemon, before exec: SIGTERM when pytest dies, even killed without teardown (prctl PR_SET_PDEATHSIG)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


# Own session (Ctrl-C reaches pytest's teardown, not the daemons), but never outliving pytest.
_DAEMON = dict(start_new_session=True, preexec_fn=_die_with_pytest)


@dataclass(frozen=True)
class SlurmCluster:
    conf: Path
    node: str
    cpus: int
    memory_mb: int

    def env(self, base: dict[str, str]) -> dict[str, str]:
        """`base` plus what SLURM's commands (and medbench's launcher) need to find this cluster."""
        return {**base, "SLURM_CONF": str(self.conf)}

    def command(self, *args: str) -> str:
        return subprocess.run(
            args, env=self.env(dict(os.environ)), check=True, capture_output=True, text=True, timeout=60
        ).stdout

    def jobs(self, *squeue_args: str) -> dict[str, str]:
        """Job (array task) id → state of every job SLURM still lists, finished ones included."""
        output = self.command("squeue", "--noheader", "--array", "--states=all", "--format=%i %T", *squeue_args)
        return dict(line.split() for line in output.splitlines() if line.strip())


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlurmCluster]:
    missing = [binary for binary in BINARIES if shutil.which(binary) is None]
    if missing:
        pytest.skip(f"no SLURM here ({', '.join(missing)} missing): `.ci/slurm.sh` installs Debian's slurm-wlm and munge")
    if os.geteuid() != 0:
        pytest.skip("the test SLURM cluster runs its daemons as root (SlurmUser=root) and munged as user munge")
    try:
        pwd.getpwnam("munge")
    except KeyError:
        pytest.skip("no user `munge` (Debian's munge package creates it)")
    root = tmp_path_factory.mktemp("slurm")
    with ExitStack() as stack:
        munge_socket = stack.enter_context(_munged())
        cluster = _configure(root, munge_socket)
        env = cluster.env(dict(os.environ))
        stack.enter_context(_daemon(["slurmctld", "-D", "-i"], env, root / "slurmctld.out"))
        stack.enter_context(_daemon(["slurmd", "-D", "-N", cluster.node], env, root / "slurmd.out"))
        stack.callback(_cancel_all_jobs, cluster)
        _wait_until_idle(cluster, root)
        yield cluster


@contextmanager
def _munged() -> Iterator[Path]:
    """A munged of our own, as user `munge`, with a fresh key; yields its socket."""
    folder = Path(tempfile.mkdtemp(prefix="medbench-munge-"))
    try:
        shutil.chown(folder, "munge", "munge")
        folder.chmod(0o755)  # munged refuses folders others can write; SLURM (root) reaches the socket
        as_munge = dict(user="munge", group="munge", extra_groups=[])
        subprocess.run(
            ["mungekey", "--create", f"--keyfile={folder / 'munge.key'}"], check=True, capture_output=True, **as_munge
        )
        munge_socket = folder / "munge.socket"
        command = ["munged", "--foreground", f"--socket={munge_socket}", f"--key-file={folder / 'munge.key'}"]
        command += [f"--pid-file={folder / 'munged.pid'}", f"--log-file={folder / 'munged.log'}"]
        command += [f"--seed-file={folder / 'munged.seed'}"]
        with open(folder / "munged.out", "wb") as out:
            daemon = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, **_DAEMON, **as_munge)
        try:
            _wait_for(lambda: munge_socket.exists(), "munged's socket", folder / "munged.out")
            yield munge_socket
        finally:
            _stop(daemon)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _configure(root: Path, munge_socket: Path) -> SlurmCluster:
    """Write `slurm.conf` for this machine; state, spool, logs and pid files stay under `root`."""
    found = dict(item.split("=", 1) for item in subprocess.check_output(["slurmd", "-C"], text=True).split() if "=" in item)
    node = socket.gethostname().split(".")[0]
    cpus, memory_mb = int(found["CPUs"]), int(found["RealMemory"])
    topology = " ".join(f"{key}={found[key]}" for key in ("Boards", "SocketsPerBoard", "CoresPerSocket", "ThreadsPerCore"))
    (root / "state").mkdir()
    (root / "spool").mkdir()
    ctld_port, slurmd_port = _free_port(), _free_port()
    lines = [
        "ClusterName=medbench-test",
        f"SlurmctldHost={node}(127.0.0.1)",
        f"SlurmctldPort={ctld_port}",
        f"SlurmdPort={slurmd_port}",
        "SlurmUser=root",
        "SlurmdUser=root",
        "AuthType=auth/munge",
        "CredType=cred/munge",
        f"AuthInfo=socket={munge_socket}",
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "MpiDefault=none",
        "AccountingStorageType=accounting_storage/none",
        "JobAcctGatherType=jobacct_gather/none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core_Memory",
        "SchedulerType=sched/backfill",
        "ReturnToService=2",
        # submitit ignores SIGTERM (it waits for preemption's SIGUSR2): scancel's SIGKILL comes this much later.
        "KillWait=5",
        f"StateSaveLocation={root / 'state'}",
        f"SlurmdSpoolDir={root / 'spool'}",
        f"SlurmctldPidFile={root / 'slurmctld.pid'}",
        f"SlurmdPidFile={root / 'slurmd.pid'}",
        f"SlurmctldLogFile={root / 'slurmctld.log'}",
        f"SlurmdLogFile={root / 'slurmd.log'}",
        f"NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} {topology} RealMemory={memory_mb} State=UNKNOWN",
        f"PartitionName={PARTITION} Nodes={node} Default=YES MaxTime=INFINITE State=UP",
    ]
    conf = root / "slurm.conf"
    conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return SlurmCluster(conf=conf, node=node, cpus=cpus, memory_mb=memory_mb)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _daemon(command: list[str], env: dict[str, str], log: Path) -> Iterator[None]:
    with open(log, "wb") as out:
        daemon = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, **_DAEMON)
    try:
        time.sleep(0.2)
        if daemon.poll() is not None:
            raise RuntimeError(f"{command[0]} exited at once ({daemon.returncode}):\n{_tail(log)}")
        yield
    finally:
        _stop(daemon)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_until_idle(cluster: SlurmCluster, root: Path) -> None:
    def idle() -> bool:
        try:
            return cluster.command("sinfo", "--noheader", "--Node", "--format=%t").strip() == "idle"
        except subprocess.CalledProcessError:
            return False

    _wait_for(idle, f"node {cluster.node} idle", root / "slurmctld.log", root / "slurmd.log")


def _cancel_all_jobs(cluster: SlurmCluster) -> None:
    """Nothing left behind: cancel every job, then wait (bounded) until none is running or completing."""
    cluster.command("scancel", f"--partition={PARTITION}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not cluster.command("squeue", "--noheader", "--format=%i").strip():
            return
        time.sleep(0.5)


def _wait_for(ready, what: str, *logs: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"test SLURM cluster: no {what} after {START_TIMEOUT_S:.0f} s\n" + "\n".join(_tail(log) for log in logs))


def _tail(log: Path, lines: int = 20) -> str:
    if not log.exists():
        return f"({log} missing)"
    return f"--- {log}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
