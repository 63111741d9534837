"""Imports run one way (issue 14 item 5; the layout rules in the project's contract).

The import graph of the project's packages is read with ``ast`` (module-level and
function-level imports alike: a lazy import is still a dependency) and checked for
- cycles between modules,
- imports against the direction rules: runners -> organisms -> nervous_systems / bodies;
  tasks -> bodies; nothing imports runners; runners.scoring never imports runners.execution
  or runners.cli; runners.io imports no other runners module,
- ``from x import _private`` across modules.

No project module is imported: the test reads source only, so it is fast and cannot be fooled
by import-time side effects.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("runners", "organisms", "nervous_systems", "bodies", "tasks")

# Which top-level packages each package may import (besides itself).
ALLOWED = {
    "runners": {"organisms", "nervous_systems", "bodies", "tasks"},
    "organisms": {"nervous_systems", "bodies"},
    "nervous_systems": set(),
    "bodies": set(),
    "tasks": {"bodies"},
}
# Registries the organisms fill (brains, benchmarks) live beside the tasks; an organism may import
# these modules of tasks (and only these). tasks.statistics is the project's one bootstrap-CI
# implementation: the task estimators need it (so it lives in tasks) and the organisms' diagnostic
# tools print CIs with it (it imports only numpy, so it adds no other dependency).
# tasks.visual_stimuli (numpy only) is the one generator of the fish's gratings and dots: the
# closed-loop task shows them and the zebrafish's open-loop fictive trials show the same ones.
ORGANISM_MAY_IMPORT = ("tasks.benchmarks", "tasks.reference", "tasks.statistics", "tasks.visual_stimuli")

# Violations present when the layout test was written, each fixed on another branch; the
# integrator deletes an entry once that branch is merged (the test then guards the fix).
KNOWN_VIOLATIONS: set = set()
# (importer, imported module, name) of private names imported across modules, same policy
KNOWN_PRIVATE: set = set()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    mods = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            mods[_module_name(path)] = path
    return mods


def _resolve(modname: str, is_package: bool, level: int, target: str | None) -> str:
    """Absolute name of a (possibly relative) import in module ``modname``."""
    if level == 0:
        return target or ""
    base = modname.split(".")
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def _owner(name: str, mods: dict[str, Path]) -> str | None:
    """The project module that ``name`` (a module or a name inside one) resolves to."""
    parts = name.split(".")
    while parts:
        cand = ".".join(parts)
        if cand in mods:
            return cand
        parts.pop()
    return None


def import_edges(mods: dict[str, Path]):
    """→ (edges {(importer, imported module)}: lineno, private imports [(importer, module, name, line)])."""
    edges: dict[tuple[str, str], int] = {}
    private: list[tuple[str, str, str, int]] = []
    for mod, path in mods.items():
        is_pkg = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    tgt = _owner(alias.name, mods)
                    if tgt and tgt != mod:
                        edges.setdefault((mod, tgt), node.lineno)
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(mod, is_pkg, node.level, node.module)
                for alias in node.names:
                    full = f"{base}.{alias.name}" if base else alias.name
                    tgt = _owner(full, mods) if full in mods else _owner(base, mods)
                    if not tgt or tgt == mod:
                        continue
                    edges.setdefault((mod, tgt), node.lineno)
                    if full not in mods and alias.name.startswith("_") and not alias.name.startswith("__"):
                        private.append((mod, tgt, alias.name, node.lineno))
    return edges, private


def _top(mod: str) -> str:
    return mod.split(".")[0]


def direction_problems(edges) -> list[str]:
    out = []
    for (a, b), line in sorted(edges.items()):
        ta, tb = _top(a), _top(b)
        bad = None
        if ta != tb and tb not in ALLOWED[ta]:
            if not (ta == "organisms" and any(b == m or b.startswith(m + ".") for m in ORGANISM_MAY_IMPORT)):
                bad = f"{ta} may not import {tb}"
        if a.startswith("runners.scoring") and (b.startswith("runners.execution") or b == "runners.cli"):
            bad = "runners.scoring imports neither runners.execution nor runners.cli"
        if a.startswith("runners.io") and b.startswith("runners") and not b.startswith("runners.io") \
                and b != "runners":
            bad = "runners.io imports no other runners module"
        if bad and (a, b) not in KNOWN_VIOLATIONS:
            out.append(f"{a} (line {line}) imports {b}: {bad}")
    return out


def find_cycles(edges) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    graph: dict[str, list[str]] = {}
    for a, b in edges:
        # a package's __init__ re-exporting its own submodules is not a cycle between modules
        if b.startswith(a + "."):
            continue
        graph.setdefault(a, []).append(b)
        graph.setdefault(b, [])
    index, low, on, stack, sccs = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    import sys
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10000))
    try:
        for v in sorted(graph):
            if v not in index:
                visit(v)
    finally:
        sys.setrecursionlimit(limit)
    return sccs


@pytest.fixture(scope="module")
def graph():
    mods = project_modules()
    assert "runners.cli" in mods and "runners.scoring.scorecard" in mods
    return mods, *import_edges(mods)


def test_no_import_cycles(graph):
    _, edges, _ = graph
    cycles = find_cycles(edges)
    assert not cycles, "import cycles between modules:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_imports_run_one_way(graph):
    _, edges, _ = graph
    problems = direction_problems(edges)
    assert not problems, "imports against the layout rules:\n" + "\n".join(problems)


def test_no_private_names_across_modules(graph):
    _, _, private = graph
    private = [p for p in private if p[:3] not in KNOWN_PRIVATE]
    assert not private, "private names imported across modules:\n" + "\n".join(
        f"{a} (line {line}) imports {name} from {b}" for a, b, name, line in private)


def test_known_violations_are_still_real(graph):
    """An entry in KNOWN_VIOLATIONS / KNOWN_PRIVATE that no longer occurs must be deleted (so it cannot hide a
    new import later)."""
    _, edges, private = graph
    stale = sorted(KNOWN_VIOLATIONS - set(edges)) + sorted(KNOWN_PRIVATE - {p[:3] for p in private})
    assert not stale, f"fixed, delete from KNOWN_VIOLATIONS / KNOWN_PRIVATE: {stale}"


def test_the_checker_sees_what_it_must_fail_on():
    """The rules reject the shapes they exist for (so a green run means something)."""
    edges = {("runners.scoring.scorecard", "runners.execution.sweep"): 1,
             ("runners.execution.sweep", "runners.scoring.scorecard"): 2,
             ("runners.io.recording", "runners.execution.episode"): 3,
             ("tasks.x.env", "organisms.y"): 4,
             ("organisms.y", "runners.cli"): 5,
             ("bodies.z", "nervous_systems.w"): 6}
    problems = direction_problems(edges)
    assert len(problems) == 5, problems
    assert find_cycles(edges) == [["runners.execution.sweep", "runners.scoring.scorecard"]]
    assert _resolve("runners.scoring.plots", False, 2, "io") == "runners.io"
    assert _resolve("runners.scoring", True, 1, "plots") == "runners.scoring.plots"
