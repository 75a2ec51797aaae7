"""The exercises of a source notebook: test cells read with ``ast`` (never run), their checks and points."""
import ast
from dataclasses import dataclass
from pathlib import Path

from ..check import _KINDS, CRITERIA
from . import evaluate


class AuthoringError(ValueError):
    """A source notebook's exercise cells do not follow CONTRIBUTING.md (the grader refuses to guess)."""


@dataclass(frozen=True)
class Check:
    """One ``check(...)`` call of a test cell: its value expression is evaluated on the host (``evaluate``)."""
    name: str
    expr: str
    points: float
    criterion: dict
    hidden: bool
    names: tuple = ()        # the student's names the expression reads: all that the sandbox extracts


@dataclass(frozen=True)
class Exercise:
    """A test cell of the source notebook and the solution cell it follows."""
    grade_id: str
    anchor: str | None
    checks: tuple

    @property
    def name(self) -> str:
        return self.grade_id.removesuffix("-tests")

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.checks)

    @property
    def names(self) -> list:
        """The names to extract after the solution cell, sorted (no check text)."""
        return sorted({n for c in self.checks for n in c.names})


def parse_checks(source: str, where: str = "") -> list:
    """The checks of a test cell, read with ``ast`` (never executed); hidden ones are between the markers."""
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise AuthoringError(f"{where}: test cell is not valid Python ({err.msg}, line {err.lineno})") from None
    hidden_lines = _hidden_lines(source, where)
    found = []
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "ch6.check":
            continue
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "check"):
            raise AuthoringError(f"{where}, line {stmt.lineno}: a test cell holds only check(...) calls")
        found.append(_parse_check(call, stmt.lineno in hidden_lines, f"{where}, line {stmt.lineno}"))
    if not found:
        raise AuthoringError(f"{where}: test cell has no check(...)")
    return found


def _hidden_lines(source: str, where: str) -> set:
    lines, inside, start = set(), False, 0
    for number, line in enumerate(source.splitlines(), 1):
        marker = line.strip()
        if marker.startswith("### BEGIN HIDDEN TESTS"):
            inside, start = True, number
        elif marker.startswith("### END HIDDEN TESTS"):
            if not inside:
                raise AuthoringError(f"{where}: END HIDDEN TESTS without BEGIN")
            lines.update(range(start, number))
            inside = False
    if inside:
        raise AuthoringError(f"{where}: BEGIN HIDDEN TESTS without END")
    return lines


def _parse_check(call: ast.Call, hidden: bool, where: str) -> Check:
    if len(call.args) != 2 or not (isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)):
        raise AuthoringError(f"{where}: use check('name', value_expression, points=..., <criterion>=...)")
    try:
        keywords = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    except ValueError:
        raise AuthoringError(f"{where}: points and criteria must be literals") from None
    if None in keywords:
        raise AuthoringError(f"{where}: no **kwargs in check()")
    points = keywords.pop("points", 1)
    named = [k for k in CRITERIA if k in keywords]
    extra = set(keywords) - set(CRITERIA) - ({"tol"} if "close" in keywords else set())
    if len(named) != 1 or extra or type(points) not in (int, float) or points < 0:
        raise AuthoringError(f"{where}: give points (a number) and exactly one of {', '.join(CRITERIA)}"
                             + (f"; unknown {sorted(extra)}" if extra else ""))
    if keywords[named[0]] is None:
        raise AuthoringError(f"{where}: {named[0]}=None cannot be checked; use isa or a value")
    if named[0] == "isa" and keywords["isa"] not in _KINDS:
        raise AuthoringError(f"{where}: isa must be one of {sorted(_KINDS)}")
    if named[0] == "between" and not (isinstance(keywords["between"], (tuple, list)) and len(keywords["between"]) == 2):
        raise AuthoringError(f"{where}: between=(lo, hi)")
    expr = ast.unparse(call.args[1])
    try:
        tree = evaluate.parse(expr)
    except evaluate.NotSupported as err:
        raise AuthoringError(f"{where}: {err}; a check reads plain values only (names, indexing, .shape, "
                             ".tolist(), .count_params(), int(), len(), arithmetic)") from None
    return Check(call.args[0].value, expr, points, keywords, hidden, tuple(sorted(evaluate.names(tree))))


def exercises(source, where: str = "") -> list:
    """The exercises of a source notebook (nbformat node), in order; AuthoringError when a cell is malformed."""
    found, anchor, seen = [], None, set()
    for cell in source.cells:
        meta = cell.get("metadata", {}).get("nbgrader") or {}
        grade_id = meta.get("grade_id")
        if cell.cell_type != "code":
            continue
        if meta.get("solution"):
            anchor = grade_id
        elif meta.get("grade"):
            if not isinstance(grade_id, str) or grade_id in seen:
                raise AuthoringError(f"{where}: test cell without a unique grade_id ({grade_id!r})")
            seen.add(grade_id)
            checks = parse_checks(cell.source, f"{where} [{grade_id}]")
            total = sum(c.points for c in checks)
            if meta.get("points") is not None and abs(meta["points"] - total) > 1e-9:
                raise AuthoringError(f"{where} [{grade_id}]: metadata points {meta['points']} != sum of checks {total}")
            found.append(Exercise(grade_id, anchor, tuple(checks)))
    return found


def sources(folder: Path) -> dict:
    """{file name: (source path, exercises)} for every notebook in ``folder`` that has exercises."""
    import nbformat

    found = {}
    for path in sorted(Path(folder).glob("*.ipynb")):
        exercise_list = exercises(nbformat.read(path, as_version=4), path.name)
        if exercise_list:
            found[path.name] = (path, exercise_list)
    return found
