"""The README's walk-throughs run as written: the commands are read from between its markers, so
the text a newcomer pastes and the test cannot drift apart."""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
REPO_ROOT = README.parent


def walkthrough(name: str) -> str:
    """The bash block between `<!-- walkthrough: NAME -->` and `<!-- /walkthrough -->`."""
    match = re.search(rf"<!-- walkthrough: {re.escape(name)} -->\n```bash\n(.*?)```\n<!-- /walkthrough -->", README.read_text(), re.S)
    assert match, f"README.md has no walk-through {name!r} between markers"
    return match.group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def paste(script: str, folder: Path) -> subprocess.CompletedProcess:
    """Run `script` in `folder` as a newcomer's shell would: `medbench` on the PATH, no medbench variables set."""
    bin_dir = folder / ".bin"
    bin_dir.mkdir()
    shim = bin_dir / "medbench"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m medbench "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDBENCH_")}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", PYTHONPATH=str(REPO_ROOT))
    # A failing step must not leave the service running.
    guarded = "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + script
    return subprocess.run(["bash", "-c", guarded], cwd=folder, env=env, capture_output=True, text=True, timeout=900)


def test_the_walkthroughs_use_only_commands_that_exist() -> None:
    from medbench.cli import command_names

    for name in ("folder boards", "service"):
        for line in walkthrough(name).splitlines():
            for command in re.findall(r"\bmedbench ([a-z-]+)", line.split("#", 1)[0]):
                assert command in command_names(), f"{name}: `medbench {command}` is not a command"


@pytest.mark.slow
def test_the_service_walkthrough_runs_as_written(tmp_path: Path) -> None:
    port = free_port()
    script = walkthrough("service").replace("8765", str(port))
    result = paste(script, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert re.search(r"submitted runs/breast_cancer/\w+/? to board breast_cancer as entry [0-9a-f]{12}", out), out
    assert re.search(r"^reproduce: entry [0-9a-f]{12} on board breast_cancer", out, re.M), out
    access = (tmp_path / "access.log").read_text()
    assert re.search(r"POST /boards/breast_cancer/submissions 201 [\d.]+ms alice$", access, re.M), access
    assert "mb_" not in access


@pytest.mark.slow
def test_the_folder_boards_walkthrough_runs_as_written(tmp_path: Path) -> None:
    result = paste(walkthrough("folder boards"), tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "MATCH" in result.stdout and (tmp_path / "leaderboards" / "_site" / "index.html").is_file()
