"""Where a run happened: git state, interpreter, hardware and library versions.

Captured once per run into the manifest, and compared field by field when a run is reproduced.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Optional

from medbench.records.record import EnvironmentInfo, GitInfo

TRACKED_PACKAGES: tuple[str, ...] = (
    "medbench",
    "torch",
    "pytorch-lightning",
    "torchmetrics",
    "datasets",
    "hydra-core",
    "omegaconf",
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
)


def package_versions(names: tuple[str, ...] = TRACKED_PACKAGES) -> dict[str, Optional[str]]:
    versions: dict[str, Optional[str]] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_info(directory: Path | None = None) -> GitInfo:
    """Commit and dirty flag of the checkout medbench runs from, or nulls outside git."""
    cwd = directory or Path(__file__).resolve().parent

    def git(*args: str) -> Optional[str]:
        try:
            out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return GitInfo()
    status = git("status", "--porcelain", "--untracked-files=no")
    return GitInfo(commit=commit, dirty=bool(status) if status is not None else None)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpu_name() -> Optional[str]:
    """The first CUDA device, when torch is already imported and sees one."""
    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available():
        return None
    return f"{torch.cuda.get_device_name(0)} x{torch.cuda.device_count()}"


def environment_info() -> EnvironmentInfo:
    return EnvironmentInfo(
        python=platform.python_version(),
        platform=platform.platform(),
        machine=platform.machine(),
        cpu=cpu_name(),
        cpu_count=os.cpu_count() or 1,
        gpu=gpu_name(),
        packages=package_versions(),
    )
