"""The package's layout stays as ARCHITECTURE.md draws it.

Every module has its line in the "Layout" section; imports point down the wings (no cycle, no
upward import); no module grows past the size STYLE allows.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PKG = SRC / "openai_cost"

# Lower layers first: a module may import its own layer or any layer below it.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"errors", "types", "config", "_encodings", "_images", "_exit", "_limits"}),
    frozenset({"_price_file", "catalog", "pricing", "updates"}),
    frozenset({"usage"}),
    frozenset({"_api", "tokens", "summary", "_totals"}),
    frozenset({"table"}),
    frozenset({"duckdb", "spark"}),
    frozenset({"ledger"}),
    frozenset({"budget", "org"}),
    frozenset({"tracking"}),
    frozenset({"dashboard"}),
    frozenset({"_cli"}),
)
MAX_LINES = 800  # STYLE.md, section 1

# Upward imports allowed inside a function only (never at module level), each with its reason.
LAZY_UPWARD = {
    # the public API names it (DESIGN section 7): the catalog's own tables, built by the table
    # wing, which needs pyarrow; imported when called
    ("openai_cost.catalog", "openai_cost.table._catalog"): "Catalog.to_arrow()",
}


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(SRC).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        out[".".join(parts)] = path
    return out


def _wing(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _rank(wing: str) -> int:
    for i, layer in enumerate(LAYERS):
        if wing in layer:
            return i
    raise AssertionError(f"{wing!r} is in no layer of tests/test_layout.py: add it")


def _imports(module: str, path: Path) -> list[tuple[str, bool]]:
    """(imported module, at module level and not only for typing) of ``module``'s imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    top = {id(n) for n in tree.body}
    found = []
    for node in ast.walk(tree):
        eager = id(node) in top and id(node) not in typing_only
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if not target.startswith("openai_cost"):
                continue
            found.append((target, eager))
            for alias in node.names:  # ``from . import _mapping`` imports a submodule
                found.append((f"{target}.{alias.name}", eager))
        elif isinstance(node, ast.Import):
            found.extend((a.name, eager) for a in node.names if a.name.startswith("openai_cost"))
    modules = _modules()
    return [(t, eager) for t, eager in found if t in modules and t != module]


def test_every_module_has_its_line_in_the_layout_section() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("## Layout", 1)[1]
    listed = re.findall(r"^- `([^`]+\.py)`: \S", section, flags=re.MULTILINE)
    files = [str(p.relative_to(SRC)) for p in _modules().values()]
    assert sorted(set(files) - set(listed)) == [], "add a line for each new module"
    assert sorted(set(listed) - set(files)) == [], "remove the lines of modules that went"
    assert len(listed) == len(set(listed)), "one line per module"


def test_imports_point_down_the_wings() -> None:
    upward = []
    for module, path in _modules().items():
        wing = _wing(module)
        if wing is None or wing == "__main__":
            continue
        for target, eager in _imports(module, path):
            other = _wing(target)
            if other is None or other == wing:
                continue
            if not eager and (module, target) in LAZY_UPWARD:
                continue
            if _rank(other) > _rank(wing):
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_no_import_cycle_at_module_level() -> None:
    modules = _modules()
    graph = {
        m: {t for t, eager in _imports(m, p) if eager and not m.startswith(t + ".")}
        for m, p in modules.items()
    }
    # a package importing its own submodules is how a wing exports its names, not a cycle
    cycles = []
    state: dict[str, int] = {}

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                cycles.append(" -> ".join([*stack[stack.index(t) :], t]))
            elif t not in state:
                visit(t, [*stack, t])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert cycles == []


def test_no_module_is_too_long() -> None:
    sizes = {
        str(p.relative_to(SRC)): len(p.read_text(encoding="utf-8").splitlines())
        for p in _modules().values()
    }
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}
