"""The import layers of harborsec: no cycle at all, and every import points down the layer table.

Every import counts: at module level, under `if TYPE_CHECKING:` and inside functions (they are
read with `ast`, so nothing is executed). Relative imports are resolved. `from a.b import c`
is an import of `a.b.c` when that is a module, else of `a.b`. Importing `a.b.c` counts as an
edge to `a.b.c` only: a package's `__init__` is a module of its own (which imports what it
re-exports).

The rule, also in docs/architecture.md: each module takes the layer of the longest prefix in
`LAYERS` that names it (a prefix matches a module equal to it or under it, `harborsec.harbor`
matches `harborsec.harbor._projects`); a module that no entry names is an error. An import may
go to the same layer or a lower one, never up. `harborsec.testing` (the emulator) may import
only `harborsec.testing`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

import harborsec

PACKAGE = Path(harborsec.__file__).parent

LAYERS: dict[str, int] = {
    "harborsec._version": 0,
    "harborsec.errors": 0,
    "harborsec._core": 1,
    "harborsec.oci": 2,
    "harborsec.sbom": 3,
    "harborsec.vex": 3,
    "harborsec.signing": 4,
    "harborsec.harbor": 5,
    "harborsec.policy": 6,
    "harborsec.audit": 6,
    "harborsec._facades": 7,
    "harborsec._facades._async._registry": 8,
    "harborsec._facades._sync._registry": 8,
    "harborsec._client": 9,
    "harborsec": 10,  # the package's __init__ only: the curated public names
    "harborsec.testing": 11,
    "harborsec.cli": 12,
    "harborsec.__main__": 12,
}
"""Module prefix -> layer. Imports go to the same layer or a lower one."""

ONLY_IMPORTS: dict[str, tuple[str, ...]] = {"harborsec.testing": ("harborsec.testing",)}
"""Packages that may import only these prefixes (of harborsec's modules)."""


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def imports_of(source: str, name: str, package: bool, modules: set[str]) -> set[str]:
    """The harborsec modules that a module's source imports, wherever the import statement is."""
    found: set[str] = set()
    here = name if package else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            for alias in node.names:
                child = f"{target}.{alias.name}"
                found.add(child if child in modules else target)
    return {t for t in found if t == "harborsec" or t.startswith("harborsec.")}


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the harborsec modules it imports."""
    paths = sorted(root.rglob("*.py"))
    modules = {module_name(path, root) for path in paths}
    return {
        module_name(path, root): imports_of(
            path.read_text(encoding="utf-8"), module_name(path, root), is_package(path), modules
        )
        - {module_name(path, root)}
        for path in paths
    }


def layer_of(module: str, layers: Mapping[str, int]) -> int | None:
    best = None
    for prefix in layers:
        names = module == prefix or (module.startswith(prefix + ".") and prefix != "harborsec")
        if names and (best is None or len(prefix) > len(best)):
            best = prefix
    return None if best is None else layers[best]


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """One import cycle (its modules, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def layer_problems(
    graph: Mapping[str, Iterable[str]],
    layers: Mapping[str, int],
    only: Mapping[str, tuple[str, ...]] = ONLY_IMPORTS,
) -> list[str]:
    """Every import that goes up a layer, leaves an isolated package, or is not in the table."""
    problems = []
    for module, targets in sorted(graph.items()):
        source_layer = layer_of(module, layers)
        if source_layer is None:
            problems.append(f"{module} is in no layer: add it to LAYERS")
            continue
        allowed = next(
            (v for k, v in only.items() if module == k or module.startswith(k + ".")), None
        )
        for target in sorted(targets):
            target_layer = layer_of(target, layers)
            if target_layer is None:
                problems.append(f"{target} (imported by {module}) is in no layer")
            elif target_layer > source_layer:
                problems.append(
                    f"{module} (layer {source_layer}) imports {target} (layer {target_layer})"
                )
            elif allowed is not None and not any(
                target == p or target.startswith(p + ".") for p in allowed
            ):
                problems.append(f"{module} may import only {', '.join(allowed)}: {target}")
    return problems


GRAPH = import_graph()


def test_the_graph_is_read():
    assert len(GRAPH) > 50
    # a TYPE_CHECKING import and a function-level import are both seen
    assert "harborsec._core._aiohttp" in GRAPH["harborsec._facades._runners"]
    assert "harborsec.testing" in GRAPH["harborsec.cli._main"]


def test_no_import_cycle():
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or ())


def test_imports_follow_the_layers():
    assert layer_problems(GRAPH, LAYERS) == []


def test_domain_modules_hold_no_facade_and_no_client():
    for module, targets in GRAPH.items():
        if layer_of(module, LAYERS) <= LAYERS["harborsec.policy"]:
            assert not {
                t for t in targets if t.startswith(("harborsec._facades", "harborsec._client"))
            }


# -- the checks can fail ------------------------------------------------------------------------


def test_a_cycle_is_found_and_shown():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_an_upward_import_and_an_unknown_module_are_reported():
    layers = {"harborsec.errors": 0, "harborsec.oci": 2, "harborsec.harbor": 5}
    graph = {
        "harborsec.oci._ops": {"harborsec.errors", "harborsec.harbor._api"},
        "harborsec.harbor._api": {"harborsec.oci._ops"},
        "harborsec.extra": set(),
    }
    assert layer_problems(graph, layers, only={}) == [
        "harborsec.extra is in no layer: add it to LAYERS",
        "harborsec.oci._ops (layer 2) imports harborsec.harbor._api (layer 5)",
    ]


def test_an_isolated_package_may_not_import_the_sdk():
    layers = {"harborsec._core": 1, "harborsec.testing": 11}
    graph = {"harborsec.testing._x": {"harborsec._core._http", "harborsec.testing._y"}}
    assert layer_problems(graph, layers) == [
        "harborsec.testing._x may import only harborsec.testing: harborsec._core._http"
    ]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from . import _b", {"harborsec.p._b"}),
        ("from ._b import thing", {"harborsec.p._b"}),
        ("from .. import errors", {"harborsec.errors"}),
        ("if TYPE_CHECKING:\n    from harborsec.p import _b", {"harborsec.p._b"}),
        ("def f():\n    import harborsec.errors", {"harborsec.errors"}),
        ("from harborsec.p import Thing", {"harborsec.p"}),
        ("import httpx", set()),
    ],
)
def test_imports_are_read_everywhere_and_resolved(source, expected):
    modules = {"harborsec", "harborsec.errors", "harborsec.p", "harborsec.p._a", "harborsec.p._b"}
    assert imports_of(source, "harborsec.p._a", False, modules) == expected
