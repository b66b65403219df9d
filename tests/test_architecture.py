"""The package's layers hold: import-linter's contracts of pyproject.toml pass, and the import graph has no cycle.

Deferred imports (inside functions) and TYPE_CHECKING imports are edges of grimp's graph: a
deferred import hides a dependency from the reader, it does not remove it. The contracts are also
shown to bite: one forbidden import added to the graph breaks the contract it crosses.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

grimp = pytest.importorskip("grimp")
importlinter = pytest.importorskip("importlinter")

REPO_ROOT = Path(__file__).resolve().parents[1]
ROOT = "medbench"


@pytest.fixture(scope="module")
def settings() -> dict:
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


@pytest.fixture(scope="module")
def graph(settings: dict):
    return grimp.build_graph(settings["root_package"], include_external_packages=settings["include_external_packages"], cache_dir=None)


def _contract(settings: dict, contract_id: str):
    """The import-linter contract `contract_id` of pyproject.toml, as import-linter itself builds it."""
    from importlinter.configuration import configure
    from importlinter.contracts.forbidden import ForbiddenContract
    from importlinter.contracts.independence import IndependenceContract
    from importlinter.contracts.layers import LayersContract

    configure()  # the timer and file system a contract's check uses; no logging set up
    types = {"layers": LayersContract, "forbidden": ForbiddenContract, "independence": IndependenceContract}
    options = next(c for c in settings["contracts"] if c["id"] == contract_id)
    session = {"root_packages": [settings["root_package"]], "include_external_packages": settings["include_external_packages"]}
    return types[options["type"]](name=options["name"], session_options=session, contract_options=options)


def test_every_contract_of_pyproject_is_kept() -> None:
    # In a subprocess: import-linter configures logging (disabling the loggers that exist), and it
    # must analyse this tree's package, whichever medbench is installed.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    lint = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"
    result = subprocess.run([sys.executable, "-c", lint], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.mark.parametrize(
    ("contract_id", "importer", "imported"),
    [
        ("layers", "medbench.tasks.kind", "medbench.metrics.registry"),
        ("layers", "medbench.records.record", "medbench.data.base"),
        ("layers", "medbench.config.schema", "medbench.sweeps.slurm_launcher"),
        ("no-torch-below-engine", "medbench.stats.bootstrap", "torch"),
        ("no-torch-below-engine", "medbench.leaderboard.committee.app", "pytorch_lightning"),
        ("stores", "medbench.leaderboard.folder.store", "medbench.leaderboard.committee.db.tables"),
        ("views", "medbench.leaderboard.views.terminal", "medbench.leaderboard.committee.store"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(settings: dict, graph, contract_id: str, importer: str, imported: str) -> None:
    contract = _contract(settings, contract_id)
    assert contract.check(copy.deepcopy(graph), verbose=False).kept
    broken = copy.deepcopy(graph)
    broken.add_import(importer=importer, imported=imported, line_number=1, line_contents=f"import {imported}")
    assert not contract.check(broken, verbose=False).kept


def _cycles(edges: Mapping[str, Iterable[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(edges[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(edges[successor])))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(frozenset(component))
    return found


def test_the_import_graph_has_no_cycle_between_modules_or_sibling_packages(graph) -> None:
    modules = {m for m in graph.modules if m == ROOT or m.startswith(f"{ROOT}.")}
    imports = {m: {i for i in graph.find_modules_directly_imported_by(m) if i in modules} for m in modules}
    cycles = _cycles(imports)
    # Importing a package's module runs the package too: siblings may not depend on each other both ways.
    for package in sorted(m for m in modules if graph.find_children(m)):
        children = graph.find_children(package)

        def child_of(module: str) -> str | None:
            return next((c for c in children if module == c or module.startswith(f"{c}.")), None)

        between: dict[str, set[str]] = {child: set() for child in children}
        for module in modules:
            source = child_of(module)
            if source is not None:
                between[source] |= {target for target in map(child_of, imports[module]) if target not in (None, source)}
        cycles += _cycles(between)
    assert not cycles, [sorted(cycle) for cycle in cycles]


def test_the_cycle_finder_finds_every_cycle_and_only_cycles() -> None:
    assert _cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"], "e": []}) == [frozenset({"a", "b", "c"})]


def test_deferred_imports_are_edges_of_the_graph(graph) -> None:
    # `medbench run` imports the SLURM launcher inside the function that registers its schema.
    assert graph.direct_import_exists(importer="medbench.app", imported="medbench.sweeps.slurm_launcher")
