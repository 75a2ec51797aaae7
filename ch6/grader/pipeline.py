"""Exercise checks and the grader of student copies (``make grade``).

In a notebook, ``check()`` gives the student feedback. For marks, every student copy runs in a sandbox
(``ch6.grader.sandbox``) where only the value expression of each check is evaluated; the values come out as plain JSON,
tagged with a per-run nonce, and are judged here against criteria that never enter the sandbox.
"""
import argparse
import ast
import csv
import hashlib
import inspect
import json
import os
import re
import secrets
import stat
import statistics
import sys
import textwrap
import time
import traceback
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, as_completed, wait
from dataclasses import asdict, dataclass
from difflib import get_close_matches
from pathlib import Path

from .. import params, paths
from ..check import _KINDS, CRITERIA, _kernel_side, _short, judge
from . import sandbox

MAX_COPY_BYTES = 20 << 20            # a bigger .ipynb is not read
MAX_VALUE_CHARS = 1 << 20            # one extracted value, as wire text


# ------------------------------------------------------------------------------ exercises of a source notebook

class AuthoringError(ValueError):
    """A source notebook's exercise cells do not follow CONTRIBUTING.md (the grader refuses to guess)."""


@dataclass(frozen=True)
class Check:
    """One ``check(...)`` call of a test cell: its value expression is evaluated in the sandbox."""
    name: str
    expr: str
    points: float
    criterion: dict
    hidden: bool


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
    return Check(call.args[0].value, ast.unparse(call.args[1]), points, keywords, hidden)


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


# ------------------------------------------------------------------------------ one student copy

class Unreadable(ValueError):
    """A submitted file that is not a notebook we can run; the message says why, for the student."""


def read_copy(data: bytes):
    """Parse a submitted .ipynb (any nbformat version nbformat reads, upgraded to v4)."""
    import nbformat

    if not data.strip():
        raise Unreadable("the file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable("the file is not UTF-8 text") from None
    try:
        nb = nbformat.reads(text, as_version=4)
        cells = list(nb.cells)
    except Exception as err:  # noqa: BLE001 - nbformat raises many kinds on malformed input
        raise Unreadable(f"not a Jupyter notebook ({type(err).__name__})") from None
    if not all(isinstance(c, dict) for c in cells):
        raise Unreadable("not a Jupyter notebook (malformed cells)")
    return nb


PREAMBLE = '''\
def __ch6_make_extract(B=dict(vars(__import__("builtins"))), out=__import__("sys").stdout, G=globals(),
                      shell=globals()["get_ipython"]()):
{kernel_side}
    plain, wire, describe = _kernel_side(B)
    DICT, INT, KI = {{}}.__class__, (0).__class__, B["KeyboardInterrupt"]

    def extract(nonce, sources):
        try:
            out.set_parent(shell.get_parent())      # even if the copy replaced sys.stdout
        except B["Exception"]:
            pass
        for i, source in B["enumerate"](sources):
            try:
                ns = DICT(G)
                ns["__builtins__"] = B
                line = "v " + wire(plain(B["eval"](B["compile"](source, "<check>", "eval"), ns)))
            except B["BaseException"] as err:
                if (0).__class__.__class__(err) is KI:
                    raise
                line = "e " + wire(describe(err))
            out.write(nonce + " " + INT.__repr__(i) + " " + line + "\\n")
        out.flush()
    return extract
__ch6_extract = __ch6_make_extract()
del __ch6_make_extract
'''.format(kernel_side=textwrap.indent(inspect.getsource(_kernel_side), "    "))


@dataclass
class Prepared:
    """The notebook that runs in the sandbox and where its parts are."""
    notebook: dict
    extract_at: list       # cell index of each exercise's extraction cell
    anchors: list          # cell index of each exercise's solution cell (None if the student deleted it)
    nonces: list
    origin: dict           # cell index -> the cell's number in the student's copy


def prepare(copy, exercise_list: list, parameters: dict) -> Prepared:
    """The student's code cells, test cells replaced by extraction cells, a preamble first, ci parameters injected."""
    import nbformat
    from papermill.parameterize import parameterize_notebook

    test_ids = {ex.grade_id for ex in exercise_list}
    cells, by_id = [], {}
    for number, cell in enumerate(copy.cells, 1):
        source, meta = cell.get("source"), cell.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        grade_id = (meta.get("nbgrader") if isinstance(meta.get("nbgrader"), dict) else {}).get("grade_id")
        tags = meta.get("tags") if isinstance(meta.get("tags"), list) else []
        if cell.get("cell_type") != "code" or type(source) is not str or "injected-parameters" in tags:
            continue                                      # a papermill run's parameters are replaced by ours
        if grade_id in test_ids or _only_checks(source):
            continue                                      # tests come from the source notebook, not the copy
        tags = ["parameters"] if "parameters" in tags else []
        new = nbformat.v4.new_code_cell(source, metadata={"ch6": {"cell": number}, "tags": tags})
        if isinstance(grade_id, str):
            by_id[grade_id] = len(cells)
        cells.append(new)
    nonces = [secrets.token_hex(16) for _ in exercise_list]
    positions, previous = [], 0
    for ex in exercise_list:
        previous = max(previous, by_id[ex.anchor] + 1 if ex.anchor in by_id else len(cells))
        positions.append(previous)
    ordered = [nbformat.v4.new_code_cell(PREAMBLE, metadata={"ch6": {"role": "preamble"}, "tags": []})]
    for index in range(len(cells) + 1):
        for k, at in enumerate(positions):
            if at == index:
                exprs = [c.expr for c in exercise_list[k].checks]
                mark = {"ch6": {"role": "extract", "exercise": k}, "tags": []}
                ordered.append(nbformat.v4.new_code_cell(f"__ch6_extract({nonces[k]!r}, {exprs!r})", metadata=mark))
        if index < len(cells):
            ordered.append(cells[index])
    nb = nbformat.v4.new_notebook(cells=ordered, metadata={"papermill": {}, "kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    nb = parameterize_notebook(nb, parameters, kernel_name="python3", language="python")
    return _locate(nb, exercise_list, by_id, nonces)


def _locate(nb, exercise_list: list, by_id: dict, nonces: list) -> Prepared:
    """Find the extraction, solution and student cells in the final notebook."""
    extract_at, origin = [None] * len(exercise_list), {}
    for index, cell in enumerate(nb.cells):
        mark = cell.metadata.get("ch6", {})
        if mark.get("role") == "extract":
            extract_at[mark["exercise"]] = index
        elif mark.get("cell"):
            origin[index] = mark["cell"]
    student_cells = sorted(origin)
    anchors = [student_cells[by_id[ex.anchor]] if ex.anchor in by_id else None for ex in exercise_list]
    return Prepared(nb, extract_at, anchors, nonces, origin)


def _only_checks(source: str) -> bool:
    """Is this cell made of check(...) calls only (a test cell that lost its metadata)?"""
    try:
        body = ast.parse(source).body
    except Exception:  # noqa: BLE001 - SyntaxError, RecursionError, ... on student text
        return False
    calls = [s for s in body if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call)
             and isinstance(s.value.func, ast.Name) and s.value.func.id == "check"]
    imports = [s for s in body if isinstance(s, ast.ImportFrom) and s.module == "ch6.check"]
    return bool(calls) and len(calls) + len(imports) == len(body)


def read_values(stdout: str, nonce: str, count: int) -> dict:
    """{check index: ("v", value) or ("e", error text)} from an extraction cell's stdout; other lines are ignored."""
    found = {}
    for line in stdout.splitlines():
        parts = line.split(" ", 3)
        if len(parts) != 4 or parts[0] != nonce or parts[2] not in ("v", "e") or not parts[1].isdecimal():
            continue
        index = int(parts[1]) if len(parts[1]) < 6 else count
        if index >= count or index in found:
            continue
        try:
            if len(parts[3]) > MAX_VALUE_CHARS:
                raise ValueError("too large")
            value = _unwire(json.loads(parts[3]))
        except (ValueError, RecursionError):
            found[index] = ("e", "the value is too large or could not be read")
            continue
        found[index] = (parts[2], value if parts[2] == "v" or type(value) is str else "error")
    return found


def _unwire(value):
    """Decode the hex strings of wire data (json.loads gives exact builtin types already)."""
    if type(value) is str:
        return bytes.fromhex(value).decode("utf-8", "surrogatepass")
    if type(value) is list:
        return [_unwire(v) for v in value]
    if type(value) is dict:
        return {_unwire(k): _unwire(v) for k, v in value.items()}
    return value


def grade_copy(job: dict) -> dict:
    """Grade one student's copy of one notebook: the unit of work of the local pool and of a Dask worker."""
    start = time.monotonic()
    try:
        result = _grade(job)
    except Exception:  # noqa: BLE001 - a grader bug costs this copy only, and is reported
        result = _all_rows(job, "grader_error", notes=[], log=traceback.format_exc(limit=8))
    result.update(student=job["student"], notebook=job["notebook"], key=job["key"],
                  seconds=round(time.monotonic() - start, 2))
    return result


def _grade(job: dict) -> dict:
    if job["data"] is None:
        problem = job.get("problem") or "not submitted"
        status = "missing" if problem == "not submitted" else "unreadable"
        return _all_rows(job, status, notes=[f"{job['notebook']}: {problem}"])
    try:
        copy = read_copy(job["data"])
    except Unreadable as err:
        return _all_rows(job, "unreadable", notes=[str(err)])
    values = _sandbox_parameters(job["parameters"])
    prepared = prepare(copy, job["exercises"], values)
    outcome = sandbox.run(prepared.notebook, prepared.extract_at, sandbox.Limits(**job["limits"]), _binds(values))
    if outcome.ended == "failed":
        message = next((e.get("message") for e in outcome.events if e["kind"] == "fail"), "")
        return _all_rows(job, "grader_error", notes=[], log=f"sandbox failed: {message}\n{outcome.log}",
                         isolation=outcome.isolation)
    return _score(job, prepared, outcome)


def _all_rows(job: dict, status: str, notes: list, isolation=None, log: str = "") -> dict:
    """A result in which no check ran: every exercise scores 0 with ``status``; ``log`` is for the instructor."""
    rows = [{"name": ex.name, "score": 0, "max_score": ex.max_score, "status": status,
             "checks": [_check_row(c, None) for c in ex.checks]} for ex in job["exercises"]]
    return {"exercises": rows, "notes": notes, "isolation": isolation, "ended": status, "log": log}


def _score(job: dict, prepared: Prepared, outcome) -> dict:
    """Judge the extracted values and give each exercise its status."""
    events = {e["index"]: e for e in outcome.events if e["kind"] == "cell" and type(e.get("index")) is int}
    rows, previous = [], -1
    for k, ex in enumerate(job["exercises"]):
        at = prepared.extract_at[k]
        event = events.get(at)
        found = read_values(str(event.get("stdout") or ""), prepared.nonces[k], len(ex.checks)) if event else {}
        checks = [_check_row(c, found.get(i)) for i, c in enumerate(ex.checks)]
        span = [events[i] for i in range(previous + 1, at + 1) if i in events]
        status = _status(event, span, events.get(prepared.anchors[k]), outcome.ended)
        rows.append({"name": ex.name, "score": sum(c["points"] for c in checks if c["passed"]),
                     "max_score": ex.max_score, "status": status, "checks": checks})
        previous = at
    return {"exercises": rows, "notes": _run_notes(prepared, outcome, job["limits"]),
            "isolation": outcome.isolation, "ended": outcome.ended, "uid": outcome.uid}


def _status(event, span: list, solution, ended: str) -> str:
    """ok | unanswered | error | memory | timeout (cells up to the tests), or why the tests never ran."""
    if event is None:
        return {"timeout": "timeout", "memory": "memory", "done": "not_run"}.get(ended, "crashed")
    names = [e["error"]["ename"] for e in span if e.get("error")]
    if sandbox.TIMEOUT_ENAME in names:
        return "timeout"
    if "MemoryError" in names:
        return "memory"
    if names == ["NotImplementedError"] and solution and (solution.get("error") or {}).get("ename") == names[0]:
        return "unanswered"
    return "error" if names else "ok"


def _check_row(check_: Check, found) -> dict:
    """One check's verdict; hidden checks get a short reason that shows neither code nor answer."""
    if found is None:
        passed, reason = False, "not run (未執行)"
    elif found[0] == "e":
        passed = False
        reason = f"error: {found[1] if not check_.hidden else found[1].split(':')[0]}"
    else:
        passed, why = judge(found[1], **check_.criterion)
        reason = "" if passed else ("wrong answer (答案不正確)" if check_.hidden else f"{why}; got {_short(found[1])}")
    return {"name": check_.name, "hidden": check_.hidden, "points": check_.points if passed else 0,
            "max_points": check_.points, "passed": passed, "reason": reason}


def _run_notes(prepared: Prepared, outcome, limits: dict) -> list:
    """What happened in the run, in words: errors per student cell, timeouts, crashes."""
    notes = []
    for event in outcome.events:
        number = prepared.origin.get(event.get("index"))
        error = event.get("error")
        if event["kind"] == "cell" and error and number:
            if error["ename"] == sandbox.TIMEOUT_ENAME:
                notes.append(f"cell {number} ran over {limits['cell_timeout']} s and was interrupted (逾時)")
            else:
                message = f": {error['evalue']}" if error["evalue"] else ""
                notes.append(f"cell {number} raised {error['ename']}{message}")
        elif event["kind"] == "dead":
            where = f"cell {number}" if number else "the tests"
            notes.append(f"the kernel died while running {where} (os._exit, a kill, a crash or no memory)")
        elif event["kind"] == "stuck":
            where = f"cell {number}" if number else "a test"
            notes.append(f"{where} ignored the interrupt after its time limit: the rest of the copy was not run")
        elif event["kind"] == "fail":
            notes.append(f"the notebook runner stopped: {event.get('message')}")
    if outcome.ended == "timeout" and not any(e["kind"] == "stuck" for e in outcome.events):
        notes.append(f"the copy ran over the time limit of {limits['wall']} s and was stopped (逾時)")
    elif outcome.ended == "memory":
        notes.append(f"the copy ran out of memory (limit {limits['memory'] >> 20} MiB) and was stopped")
    elif outcome.ended == "crashed" and not any(e["kind"] in ("dead", "fail") for e in outcome.events):
        notes.append("the notebook runner was killed (by the copy's own code) before the end")
    return notes


def _sandbox_parameters(values: dict) -> dict:
    """The ci parameters with data paths made absolute (the sandbox has no DATA_DIR and another cwd)."""
    values = dict(values)
    if isinstance(values.get("data"), str):
        values["data"] = str(paths.resolve_data(values["data"]))
    for name, value in values.items():
        if name.endswith(("_dir", "_path")) and isinstance(value, str) and value:
            values[name] = str(Path(value).expanduser().resolve())
    return values


def _binds(values: dict) -> list:
    """Folders the sandbox sees read-only: the data root and any data path outside it."""
    root = paths.data_root()
    found = [root] if root.is_dir() else []
    for name, value in values.items():
        if (name == "data" or name.endswith(("_dir", "_path"))) and isinstance(value, str) and value:
            path = Path(value)
            folder = path if path.is_dir() else path.parent
            if folder.is_dir() and not any(folder.is_relative_to(f) for f in found):
                found.append(folder)
    return found


# ------------------------------------------------------------------------------ the batch

def sources(folder: Path) -> dict:
    """{file name: (source path, exercises)} for every notebook in ``folder`` that has exercises."""
    import nbformat

    found = {}
    for path in sorted(Path(folder).glob("*.ipynb")):
        exercise_list = exercises(nbformat.read(path, as_version=4), path.name)
        if exercise_list:
            found[path.name] = (path, exercise_list)
    return found


def profile_values(profile: str, notebook: Path) -> dict:
    """The parameters a profile gives a notebook; ``profile`` is a name (params/<name>.yaml) or a YAML path."""
    import yaml

    from ..runner.execute import spec

    notebook_spec = spec(notebook)
    if not profile.endswith((".yaml", ".yml")):
        return params.profile_parameters(profile, notebook, notebook_spec)
    doc = yaml.safe_load(Path(profile).read_text(encoding="utf-8")) or {}
    values = {k: v for k, v in (doc.get("defaults") or {}).items() if k in notebook_spec}
    values.update((doc.get("notebooks") or {}).get(params.notebook_key(notebook)) or {})
    params.validate(values, notebook_spec, f"{profile} [{params.notebook_key(notebook)}]")
    return values


def read_submission(path: Path):
    """(bytes, None) for a regular file of sane size, else (None, why); never follows a symlink or blocks."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None, "not submitted"
    except OSError as err:
        return None, "is a symbolic link" if path.is_symlink() else f"cannot be opened ({err.strerror})"
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            return None, "is not a regular file"
        data = f.read(MAX_COPY_BYTES + 1)
    if len(data) > MAX_COPY_BYTES:
        return None, f"is larger than {MAX_COPY_BYTES >> 20} MiB"
    return data, None


def students(submissions: Path) -> list:
    """The student folders (folder name = student id), sorted; hidden entries and symlinks are skipped."""
    return sorted(p.name for p in Path(submissions).iterdir()
                  if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))


def stray_files(folder: Path, names) -> list:
    """Notes about entries of a student folder that are not a distributed notebook name."""
    notes = []
    for entry in sorted(folder.iterdir()):
        if entry.name not in names and not entry.name.startswith("."):
            guess = get_close_matches(entry.name, list(names), n=1, cutoff=0.6)
            hint = f"; did you mean {guess[0]}? (檔名需與發下的相同)" if guess else ""
            notes.append(f"ignored {entry.name!r}: not the file name of a chapter notebook{hint}")
    return notes


def grader_version() -> str:
    """A digest of the grader's own code (and the check it judges with): a new grader re-grades everything."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for module in sorted(here.glob("*.py")) + [here.parent / "check.py"]:
        digest.update(module.read_bytes())
    return digest.hexdigest()[:16]


def make_jobs(submissions: Path, student_ids: list, source_map: dict, parameters: dict, limits: sandbox.Limits):
    """One job per student x notebook (lazily: the copies are read as the pool asks for them)."""
    version = grader_version()
    digests = {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, (path, _) in source_map.items()}
    for student in student_ids:
        for name, (_, exercise_list) in source_map.items():
            data, problem = read_submission(Path(submissions) / student / name)
            key = hashlib.sha256(json.dumps([version, hashlib.sha256(data or b"").hexdigest(), problem, digests[name],
                                             parameters[name], asdict(limits)], sort_keys=True, default=str)
                                 .encode()).hexdigest()
            yield {"student": student, "notebook": name, "data": data, "problem": problem, "key": key,
                   "exercises": exercise_list, "parameters": parameters[name], "limits": asdict(limits)}


def run_jobs(jobs, workers: int, scheduler: str | None = None):
    """Yield grade_copy(job) results as they finish: a local thread pool, or a Dask cluster at ``scheduler``."""
    if scheduler:
        import distributed

        with distributed.Client(scheduler) as client:
            window = distributed.as_completed()
            for job in jobs:
                window.add(client.submit(grade_copy, job, pure=False))
                if window.count() >= 2 * max(1, sum(client.nthreads().values())):
                    yield next(window).result()
            for future in window:
                yield future.result()
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = set()
        for job in jobs:
            pending.add(pool.submit(grade_copy, job))
            if len(pending) >= 2 * workers:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (f.result() for f in done)
        for future in as_completed(pending):
            yield future.result()


def grade_all(submissions, out, *, jobs: int = 1, scheduler=None, force: bool = False, profile: str = "ci",
              source=None, limits: sandbox.Limits | None = None, progress: bool = True) -> dict:
    """Grade every student folder under ``submissions``; write grades.csv and feedback/ under ``out``."""
    from tqdm import tqdm

    submissions, out, limits = Path(submissions), Path(out), limits or sandbox.Limits()
    source_map = sources(Path(source) if source else paths.NOTEBOOKS)
    parameters = {name: profile_values(profile, path) for name, (path, _) in source_map.items()}
    cache = out / ".cache"
    cache.mkdir(parents=True, exist_ok=True)
    student_ids = [s for s in students(submissions) if (submissions / s).resolve() != out.resolve()]
    results, ran = [], []
    start = time.monotonic()
    with tqdm(total=len(student_ids) * len(source_map), desc="grading", unit="copy", disable=not progress,
              file=sys.stderr) as bar:
        def uncached():
            for job in make_jobs(submissions, student_ids, source_map, parameters, limits):
                hit = None if force else _cached(cache, job["key"])
                if hit:
                    results.append(hit | {"student": job["student"], "notebook": job["notebook"]})
                    bar.update()
                else:
                    yield job

        for result in run_jobs(uncached(), jobs, scheduler):
            if result["ended"] != "grader_error":
                _write_json(cache / f"{result['key']}.json", result)
            results.append(result)
            ran.append(result)
            bar.update()
    stats = {"students": student_ids, "ran": len(ran), "cached": len(results) - len(ran),
             "seconds": round(time.monotonic() - start, 1)}
    write_gradebook(out, results, source_map, stats["students"], submissions)
    errors = [f"== {r['student']} / {r['notebook']}\n{r['log']}" for r in results if r.get("log")]
    if errors:
        _write_atomic(out / "grader_errors.log", "\n".join(errors))
    return {"results": results, **stats}


def _cached(cache: Path, key: str):
    try:
        return json.loads((cache / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_json(path: Path, data) -> None:
    _write_atomic(path, json.dumps(data, ensure_ascii=False))


def _write_atomic(path: Path, text: str) -> None:
    """Write through a temp file in the same folder and os.replace: readers never see half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


GRADES_HEADER = ["student", "notebook", "exercise", "score", "max_score", "status"]


def grade_rows(results: list, source_map: dict) -> list:
    """grades.csv rows: one per student x notebook x exercise, sorted by student then source order."""
    order = {name: i for i, name in enumerate(source_map)}
    rows = []
    for result in sorted(results, key=lambda r: (r["student"], order[r["notebook"]])):
        for ex in result["exercises"]:
            rows.append([result["student"], Path(result["notebook"]).stem, ex["name"], _num(ex["score"]),
                         _num(ex["max_score"]), ex["status"]])
    return rows


def _num(x) -> str:
    return f"{x:g}"


def write_gradebook(out: Path, results: list, source_map: dict, student_ids: list, submissions: Path) -> None:
    """grades.csv (atomic) and feedback/<student>.md for every student."""
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(GRADES_HEADER)
    writer.writerows(grade_rows(results, source_map))
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    for student in student_ids:
        mine = [r for r in results if r["student"] == student]
        notes = stray_files(Path(submissions) / student, source_map)
        _write_atomic(out / "feedback" / f"{student}.md", feedback(student, mine, source_map, notes))
    _write_atomic(out / "grades.csv", buffer.getvalue())


STATUS_TEXT = {
    "ok": "graded (已評分)",
    "missing": "not submitted under the distributed file name (未繳交或檔名不符)",
    "unreadable": "the file is not a notebook that can be run (檔案無法讀取)",
    "unanswered": "the solution cell still raises NotImplementedError (尚未作答)",
    "error": "a cell before these tests raised an error (程式錯誤)",
    "timeout": "ran over the time limit (執行逾時)",
    "memory": "ran out of memory (記憶體不足)",
    "crashed": "the kernel died or was killed before these tests ran (核心中止)",
    "not_run": "the tests did not run (測試未執行)",
    "grader_error": "the grader failed on this copy; your instructor will look at it (評分程式錯誤)",
}


def feedback(student: str, results: list, source_map: dict, notes: list) -> str:
    """One student's feedback in Markdown: every exercise and check, hidden checks without their code."""
    order = {name: i for i, name in enumerate(source_map)}
    results = sorted(results, key=lambda r: order[r["notebook"]])
    total = sum(ex["score"] for r in results for ex in r["exercises"])
    best = sum(ex["max_score"] for r in results for ex in r["exercises"])
    lines = [f"# 評分回饋 (Grading feedback): {student}", "", f"**總分 (Total): {_num(total)} / {_num(best)}**", ""]
    lines += [f"- {_md(n)}" for n in notes]
    for result in results:
        got = sum(ex["score"] for ex in result["exercises"])
        most = sum(ex["max_score"] for ex in result["exercises"])
        lines += ["", f"## {result['notebook']}: {_num(got)} / {_num(most)}", ""]
        if result.get("isolation"):
            lines.append(f"執行環境 (run): sandbox {result['isolation']}, {result.get('seconds', 0):.1f} s")
        lines += [f"- {_md(n)}" for n in result["notes"]]
        for ex in result["exercises"]:
            lines += ["", f"### {ex['name']}: {_num(ex['score'])} / {_num(ex['max_score'])} ({ex['status']})",
                      "", STATUS_TEXT.get(ex["status"], ex["status"]), ""]
            for c in ex["checks"]:
                mark = "✓" if c["passed"] else "✗"
                label = f"{c['name']} (hidden test 隱藏測試)" if c["hidden"] else c["name"]
                reason = f": {_md(c['reason'])}" if c["reason"] else ""
                lines.append(f"- {mark} {_md(label)} ({_num(c['points'])}/{_num(c['max_points'])}){reason}")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """Student-influenced text made safe for one Markdown line."""
    text = re.sub(r"[\x00-\x1f\x7f]", " ", str(text))[:500]
    return re.sub(r"([\\`*\[\]<>|])", r"\\\1", text)


def summary(report: dict) -> str:
    """Students graded, mean/median per exercise, failures by status, timing and isolation."""
    results = report["results"]
    scores, statuses = {}, Counter()
    for r in results:
        for ex in r["exercises"]:
            scores.setdefault((Path(r["notebook"]).stem, ex["name"], ex["max_score"]), []).append(ex["score"])
            statuses[ex["status"]] += ex["status"] != "ok"
    ran = [r["seconds"] for r in results if r.get("isolation")]
    lines = [f"graded {len(report['students'])} student(s): {report['ran']} copies run, "
             f"{report['cached']} unchanged (cached), in {report['seconds']} s"]
    if ran:
        lines.append(f"time per executed copy: mean {statistics.mean(ran):.1f} s, max {max(ran):.1f} s")
    lines.append(f"{'exercise':<40} {'mean':>6} {'median':>6} {'max':>5}")
    for (nb, name, most), got in sorted(scores.items()):
        lines.append(f"{nb + ' ' + name:<40} {statistics.mean(got):6.2f} {statistics.median(got):6.2f} {most:5g}")
    failures = ", ".join(f"{s} {n}" for s, n in sorted(statuses.items()) if n) or "none"
    lines.append(f"not ok, by status (exercise rows): {failures}")
    broken = sum(1 for r in results if r.get("log"))
    if broken:
        lines.append(f"GRADER ERRORS on {broken} copies (not the students' fault): see grader_errors.log; "
                     "they are graded again on the next run")
    modes = sorted({r["isolation"] for r in results if r.get("isolation")})
    lines.append(f"isolation: {', '.join(modes) or 'no copy executed'}")
    if "fallback" in modes:
        lines.append(sandbox.FALLBACK_WARNING)
    return "\n".join(lines)


def main(argv=None) -> int:
    """Grade every student folder of SUBMISSIONS into OUT/grades.csv and OUT/feedback/<student>.md."""
    parser = argparse.ArgumentParser(prog="python -m ch6.grader", description=main.__doc__)
    parser.add_argument("submissions", type=Path, help="one folder per student (folder name = student id)")
    parser.add_argument("--out", type=Path, default=paths.BUILD / "grades", help="grades.csv and feedback/ go here")
    parser.add_argument("--jobs", type=int, default=1, help="copies graded at once on this machine")
    parser.add_argument("--scheduler", help="Dask scheduler address (tcp://host:port): grade on that cluster")
    parser.add_argument("--force", action="store_true", help="re-grade copies that did not change")
    parser.add_argument("--profile", default="ci", help="parameter profile name or YAML file (default: ci)")
    parser.add_argument("--source", type=Path, default=paths.NOTEBOOKS, help="the source notebooks")
    parser.add_argument("--cell-timeout", type=int, default=sandbox.Limits.cell_timeout, help="seconds per cell")
    parser.add_argument("--wall", type=int, default=sandbox.Limits.wall, help="seconds per copy")
    parser.add_argument("--memory", type=float, default=sandbox.Limits.memory / (1 << 30), help="GiB of data per process")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a folder")
    if not args.scheduler and sandbox.isolation() == "fallback":
        print(sandbox.FALLBACK_WARNING, file=sys.stderr)
    limits = sandbox.Limits(cell_timeout=args.cell_timeout, wall=args.wall, memory=int(args.memory * (1 << 30)))
    try:
        report = grade_all(args.submissions, args.out, jobs=max(1, args.jobs), scheduler=args.scheduler,
                           force=args.force, profile=args.profile, source=args.source, limits=limits)
    except (AuthoringError, params.ParameterError, paths.DataNotFound) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: grades.csv was not changed (finished copies are cached)", file=sys.stderr)
        os._exit(130)                   # now: the running sandboxes die with this process
    print(summary(report))
    if not args.scheduler:
        print("isolation on this machine: " + "; ".join(sandbox.measures()))
    print(f"wrote {args.out / 'grades.csv'} and {args.out / 'feedback'}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
