"""The import rules of docs/architecture.md, checked on the source with ``ast``.

Every import counts: at the top, inside a function, or under ``TYPE_CHECKING``.
- No import cycle in ``dicomactors/``.
- The pure core imports no actor and no facade; the actors import no facade.
- No module in ``dicomactors/actors`` reaches a private member of a facade object.
- No module is over 800 lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dicomactors"

#: The blocking facade: what the user holds.
FACADE = {
    "dicomactors.ae",
    "dicomactors.association",
    "dicomactors.server",
    "dicomactors.scu",
    "dicomactors.transport",
}
#: The pure core: values in, values out.
CORE = {
    "dicomactors.pdu",
    "dicomactors.fsm",
    "dicomactors.dimse",
    "dicomactors.negotiation",
    "dicomactors.presentation",
    "dicomactors.sop_class",
    "dicomactors.status",
    "dicomactors.pdu_primitives",
    "dicomactors.dimse_primitives",
    "dicomactors.aetitle",
    "dicomactors.operations_window",
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The module of ours that ``name`` (a module or a name in one) belongs to."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str) -> Iterator[str]:
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names = [f"{base}.{alias.name}" for alias in node.names]
            names = [n if n in MODULES else base for n in names]
        else:
            continue
        for name in names:
            target = _resolve(name)
            if target is not None and target != module:
                yield target


GRAPH = {module: set(_imports(module)) for module in MODULES}


def _in(module: str, group: set[str]) -> bool:
    return any(module == g or module.startswith(g + ".") for g in group)


def _cycle() -> list[str] | None:
    """One import cycle, as a list of modules, or None."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(GRAPH[module]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(GRAPH):
        if module not in state:
            found = visit(module)
            if found:
                return found
    return None


def test_the_graph_is_read_from_the_source() -> None:
    # The checks below are only as good as the graph: it knows the modules and
    # sees the imports the facade is made of.
    assert "dicomactors.actors.association" in MODULES
    assert "dicomactors.actors.association" in GRAPH["dicomactors.association"]
    assert "dicomactors.server" in GRAPH["dicomactors.ae"]


def test_no_import_cycle_in_dicomactors() -> None:
    assert _cycle() is None, " -> ".join(_cycle() or [])


def test_a_cycle_would_be_found() -> None:
    GRAPH["dicomactors.negotiation"].add("dicomactors.ae")
    try:
        assert _cycle() is not None
    finally:
        GRAPH["dicomactors.negotiation"].discard("dicomactors.ae")


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("dicomactors.actors")))
def test_the_actors_import_no_facade(module: str) -> None:
    reached = sorted(t for t in GRAPH[module] if _in(t, FACADE))
    assert not reached, f"{module} imports the facade: {reached}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _in(m, CORE)))
def test_the_core_imports_no_actor_and_no_facade(module: str) -> None:
    reached = sorted(
        t for t in GRAPH[module] if _in(t, FACADE) or t.startswith("dicomactors.actors")
    )
    assert not reached, f"{module} imports outside the core: {reached}"


def _private_names(group: set[str]) -> set[str]:
    """The private methods and attributes the classes of ``group``'s modules define."""
    names: set[str] = set()
    for module in group:
        paths = [p for m, p in MODULES.items() if m == module or m.startswith(module + ".")]
        for path in paths:
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.FunctionDef) and _private(node.name):
                    names.add(node.name)
                elif (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.value, ast.Name)
                    and node.value.id == "self"
                    and _private(node.attr)
                ):
                    names.add(node.attr)
    return names


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_actor_touches_a_private_member_of_a_facade_object() -> None:
    # A name the actors' own classes define too (``_lock``) is theirs to use.
    facade_names = _private_names(FACADE) - _private_names({"dicomactors.actors"})
    assert {"_board", "_call", "_closed", "_accept", "_update"} & facade_names
    touched = []
    for module, path in MODULES.items():
        if not module.startswith("dicomactors.actors"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in facade_names
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
            ):
                touched.append(f"{path.name}:{node.lineno} .{node.attr}")
    assert not touched, touched


#: docs/architecture.md: a module holds one idea, which fits in this many lines.
MODULE_LINES = 800


def test_no_module_is_over_the_size_a_newcomer_reads_in_one_sitting() -> None:
    sizes = {module: len(path.read_text().splitlines()) for module, path in MODULES.items()}
    assert max(sizes.values()) > MODULE_LINES // 2  # the sizes were read
    assert not {m: n for m, n in sizes.items() if n > MODULE_LINES}
