"""Student versions of the notebooks: solutions stubbed, hidden tests removed (``make student``; ``release`` uses them).

``student_version`` clears every output (a blank copy to hand in); ``student_edition`` keeps the lecture's outputs.
"""
import argparse
import re
import sys
from pathlib import Path

import nbformat

from .. import paths
from ..files import write_atomic, zip_bytes

STUB = 'raise NotImplementedError("請完成練習 (write your code here)")'
ANSWER = "請在此作答 (YOUR ANSWER HERE)"
_SOLUTION = re.compile(r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*(\n|$)", re.M | re.S)
_HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS[^\n]*\n.*?^[ \t]*### END HIDDEN TESTS[^\n]*(\n|$)", re.M | re.S)
_VOLATILE = ("papermill", "execution", "ExecuteTime", "collapsed", "scrolled")


def strip_solution(source: str, replacement: str) -> str:
    """Replace every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region by ``replacement`` (same indent)."""
    out = _SOLUTION.sub(lambda m: f"{m.group(1)}{replacement}{m.group(2)}", source)
    if "### BEGIN SOLUTION" in out or "### END SOLUTION" in out:
        raise ValueError("unbalanced ### BEGIN/END SOLUTION markers")
    return out


def strip_hidden(source: str) -> str:
    """Remove every ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` region."""
    out = _HIDDEN.sub("", source)
    if "HIDDEN TESTS" in out:
        raise ValueError("unbalanced ### BEGIN/END HIDDEN TESTS markers")
    return out.rstrip("\n")


def student_version(nb, where: str = "notebook"):
    """A copy of a source notebook as students get it: stubs, visible tests only, test cells locked, no outputs."""
    nb = nbformat.from_dict(nb)
    nb.metadata.pop("papermill", None)
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    for number, cell in enumerate(nb.cells, 1):
        try:
            _strip_cell(cell)
        except ValueError as err:
            raise ValueError(f"{where}, cell {number}: {err}") from None
    nbformat.validate(nb)
    return nb


def student_edition(nb, where: str = "notebook"):
    """A source notebook as the student edition shows it: the lecture's outputs kept, none from the exercises on."""
    outputs = {}
    first = next((i for i, c in enumerate(nb.cells) if _is_exercise(c)), len(nb.cells))
    for i, cell in enumerate(nb.cells[:first]):
        if cell.cell_type == "code" and "injected-parameters" not in cell.metadata.get("tags", []):
            outputs[id(cell)] = (cell.get("outputs", []), cell.get("execution_count"))
    kept = [outputs.get(id(c)) for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    edition = student_version(nb, where)
    for cell, saved in zip(edition.cells, kept):
        if saved and cell.cell_type == "code":
            cell.outputs, cell.execution_count = saved
    nbformat.validate(edition)
    return edition


def _is_exercise(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("solution") or meta.get("grade"))


def secret_lines(nb, public: str = "") -> set:
    """Lines of the solutions and hidden tests found nowhere in the public text (this notebook's, plus ``public``)."""
    secret, texts = set(), [public]
    for cell in nb.cells:
        source = cell.source
        regions = [m.group(0) for m in _SOLUTION.finditer(source)] + [m.group(0) for m in _HIDDEN.finditer(source)]
        texts.append(_HIDDEN.sub("", _SOLUTION.sub("", source)))
        for region in regions:
            secret.update(line.strip() for line in region.splitlines()[1:-1])
    text = "\n".join(texts)
    return {line for line in secret if len(line) >= 4 and not line.startswith("#") and line not in text}


def public_text(nb) -> str:
    """A notebook's text outside its solutions and hidden tests (the lecture, the exercise statements)."""
    return "\n".join(_HIDDEN.sub("", _SOLUTION.sub("", cell.source)) for cell in nb.cells)


def _strip_cell(cell) -> None:
    """Strip one cell in place: volatile metadata, solution, hidden tests, outputs."""
    for key in _VOLATILE:
        cell.metadata.pop(key, None)
    meta = cell.metadata.get("nbgrader", {})
    if meta.get("solution"):
        cell.source = strip_solution(cell.source, STUB if cell.cell_type == "code" else ANSWER)
    elif meta.get("grade"):
        cell.source = strip_hidden(cell.source)
        meta["locked"] = True
        cell.metadata.update(editable=False, deletable=False)
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None


def write_all(source: Path, out: Path) -> list:
    """Write the student version of every notebook in ``source`` to ``out`` and ``out``.zip; return the files."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(Path(source).glob("*.ipynb")):
        target = out / path.name
        nbformat.write(student_version(nbformat.read(path, as_version=4), path.name), str(target))
        written.append(target)
    write_atomic(out.with_suffix(".zip"), zip_bytes({target.name: target.read_bytes() for target in written}))
    return written


def main(argv=None) -> int:
    """Write the student versions of the notebooks (build/student/*.ipynb) and build/student.zip."""
    parser = argparse.ArgumentParser(prog="python -m ch6.grader.student", description=main.__doc__)
    parser.add_argument("--source", type=Path, default=paths.NOTEBOOKS, help="the source notebooks")
    parser.add_argument("--out", type=Path, default=paths.BUILD / "student", help="where the student versions go")
    args = parser.parse_args(argv)
    try:
        written = write_all(args.source, args.out)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {len(written)} student notebook(s) to {args.out}/ and {args.out.with_suffix('.zip')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
