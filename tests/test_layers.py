"""Every import points down (docs/architecture.md, STYLE.md "Layers").

The import graph is read from the source with the standard library's ``ast``: every ``import``
and ``from ... import`` of a project module, at module level or inside a function (a lazy import
is still an arrow). A module may import from its own layer or a lower one, never from a higher
one; and no two modules import each other, directly or round a circle, except a service and its
own task module (the task imports the service at module level, the service enqueues the task
lazily).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("config", "tenants", "accounts", "wells", "sync")

# From the ground up. The first matching rule decides (most specific first).
LAYERS = ["config", "tenancy core", "change log", "domain", "sync", "operations", "entry points"]
RULES: list[tuple[str, str]] = [
    # Entry points and URL configuration: they assemble everything.
    ("config.urls_public", "entry points"), ("config.urls_tenant", "entry points"), ("config.wsgi", "entry points"),
    ("config.asgi", "entry points"), ("config.run", "entry points"), ("config.openapi_views", "entry points"),
    ("config", "config"),
    # Operations on tenants: staff pages, moves, provisioning, their tasks and commands.
    ("tenants.operations", "operations"),
    ("*.management", "operations"),
    ("*.admin", "operations"),
    ("tenants", "tenancy core"),
    # The pull feed's change log: written by the domain and by sync, read by the feed.
    ("wells.changelog", "change log"),
    ("accounts", "domain"),
    ("wells", "domain"),
    ("sync", "sync"),
]

# Arrows that still run up, each with the issue that removes it. Empty is the goal; a new
# upward import fails the test below until it is fixed (or, with a reason, listed here).
KNOWN_UPWARD: dict[tuple[str, str], str] = {}

# A circle allowed: a service and its own task module (the service enqueues the task lazily).
TASK_PAIRS = {frozenset({"sync.etl.services", "sync.etl.tasks"}),
              frozenset({"sync.services.processing", "sync.tasks"})}  # a batch enqueues its lanes


def project_modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if "migrations" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def import_graph(modules: dict[str, Path]) -> dict[str, dict[str, int]]:
    """module -> {imported project module: line of the first such import}."""

    def resolve(name: str) -> str | None:
        while name:
            if name in modules:
                return name
            name = name.rpartition(".")[0]
        return None

    graph: dict[str, dict[str, int]] = {}
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        arrows: dict[str, int] = {}
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    stem = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(stem + ([base] if base else []))
                names = [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                target = resolve(name)
                if target and target != module and not module.startswith(target + "."):
                    arrows.setdefault(target, node.lineno)
        graph[module] = arrows
    return graph


def layer_of(module: str) -> int:
    for prefix, layer in RULES:
        if prefix.startswith("*."):
            if f".{prefix[2:]}." in f".{module}." or module.endswith(prefix[1:]):
                return LAYERS.index(layer)
        elif module == prefix or module.startswith(prefix + "."):
            return LAYERS.index(layer)
    raise AssertionError(f"{module} is in no layer: add it to RULES in {__file__}")


def upward_imports(graph) -> list[tuple[str, str, int]]:
    return sorted((module, target, line) for module, arrows in graph.items() for target, line in arrows.items()
                  if layer_of(target) > layer_of(module))


def import_circles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph.get(child, {}))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        circles.append(sorted(component))
    return sorted(circles)


@pytest.fixture(scope="module")
def graph():
    return import_graph(project_modules())


def test_every_module_has_a_layer(graph):
    for module in graph:
        layer_of(module)


def test_no_module_imports_from_a_layer_above_its_own(graph):
    found = {(module, target): line for module, target, line in upward_imports(graph)}
    new = [f"{module} (line {line}) imports {target}: {LAYERS[layer_of(module)]} -> {LAYERS[layer_of(target)]}"
           for (module, target), line in sorted(found.items()) if (module, target) not in KNOWN_UPWARD]
    assert not new, "imports that point up:\n" + "\n".join(new)
    gone = sorted(set(KNOWN_UPWARD) - set(found))
    assert not gone, f"fixed, so drop them from KNOWN_UPWARD: {gone}"


def test_no_import_circles_except_a_service_and_its_task_module(graph):
    circles = [c for c in import_circles(graph) if frozenset(c) not in TASK_PAIRS]
    assert not circles, f"import circles: {circles}"


def test_the_check_sees_an_upward_and_a_circular_import():
    """The checker itself: a made-up graph with one arrow up and one circle."""
    made_up = {"wells.services": {"sync.services.changes": 3}, "sync.services.changes": {"wells.models": 1},
               "wells.models": {"wells.services": 9}, "config.dates": {}}
    assert upward_imports(made_up) == [("wells.services", "sync.services.changes", 3)]
    assert import_circles(made_up) == [["sync.services.changes", "wells.models", "wells.services"]]
    assert layer_of("tenants.operations.moves") > layer_of("sync.tasks") > layer_of("wells.services") \
        > layer_of("wells.changelog.services") > layer_of("tenants.databases") > layer_of("config.dates")
    assert layer_of("accounts.management.commands.create_user") == LAYERS.index("operations")
