"""The package's rooms: kernel code imports no tooling room, and no module grows past ~400 lines unexplained."""
import ast
from pathlib import Path

import pytest

from ch6 import paths

PACKAGE = paths.REPO / "ch6"
TOOLING = ("grader", "runner", "site", "bench")
KERNEL = sorted(PACKAGE.glob("*.py")) + sorted((PACKAGE / "data").glob("*.py"))


def imported_modules(text: str, path: Path) -> set:
    """Absolute names of the ch6 modules that source ``text`` at ``path`` imports (relative imports resolved)."""
    package = ".".join(path.relative_to(paths.REPO).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            name = ".".join(filter(None, [base, node.module or ""]))
            found |= {name} | {f"{name}.{alias.name}" for alias in node.names}
    return {name for name in found if name == "ch6" or name.startswith("ch6.")}


def tooling(names: set) -> set:
    """The names among ``names`` that live in a tooling room."""
    return {name for name in names if len(name.split(".")) > 1 and name.split(".")[1] in TOOLING}


@pytest.mark.parametrize("path", KERNEL, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_kernel_code_imports_no_tooling_room(path):
    bad = tooling(imported_modules(path.read_text(encoding="utf-8"), path))
    assert not bad, f"{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("text", ["from ..grader import pipeline\n", "import ch6.bench.suite\n",
                                  "from ch6.site.build import build\n", "from ..runner import execute\n"])
def test_a_tooling_import_in_kernel_code_is_found(text):
    assert tooling(imported_modules(text, PACKAGE / "data" / "probe.py"))


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_stay_small_or_say_why(path):
    text = path.read_text(encoding="utf-8")
    doc = ast.get_docstring(ast.parse(text)) or ""
    assert text.count("\n") <= 420 or "longer than" in doc, f"{path.name}: too long and no reason in its docstring"
