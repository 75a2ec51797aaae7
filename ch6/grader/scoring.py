"""Grade one copy: read it, run it in the sandbox, judge the extracted values on the host; any failure is a status.

``grade_copy(job)`` never raises: it is the unit of work of the local pool and of a Dask worker.
"""
import os
import re
import time
import traceback
from pathlib import Path

from .. import paths
from ..check import judge, to_plain
from . import evaluate, sandbox
from .copies import Unreadable, read_copy
from .prepare import prepare, read_values
from .values import EvalError, Failed, hydrate

ERROR_LINE = 200                     # characters of a student cell's error shown in feedback


def clean(text, limit: int = 500) -> str:
    """Text safe to write anywhere: valid UTF-8 (lone surrogates replaced), no control characters, bounded."""
    text = str(text).encode("utf-8", "replace").decode("utf-8")
    text = re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]", " ", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def grade_copy(job: dict) -> dict:
    """Grade one student's copy of one notebook; a grader failure costs this copy only, and is reported."""
    start = time.monotonic()
    try:
        result = _grade(job)
        if _oversubscribed(result):
            result = _grade(job) | {"retried": True}        # timed out while the machine was busy: once more
    except Exception:  # noqa: BLE001 - whatever happens, the batch goes on
        result = all_rows(job, "grader_error", notes=[], log=clean(traceback.format_exc(limit=8), 8000))
    result.update(student=job["student"], notebook=job["notebook"], key=job["key"],
                  seconds=round(time.monotonic() - start, 2))
    return result


def _oversubscribed(result: dict) -> bool:
    """Did this copy time out while the machine had more runnable work than CPUs?"""
    timed_out = any(ex["status"] == "timeout" for ex in result["exercises"])
    return timed_out and os.getloadavg()[0] > (os.cpu_count() or 1)


def _grade(job: dict) -> dict:
    if job["data"] is None:
        problem = job.get("problem") or "not submitted"
        status = "missing" if problem == "not submitted" else "unreadable"
        return all_rows(job, status, notes=[f"{job['notebook']}: {problem}"])
    try:
        copy = read_copy(job["data"])
    except Unreadable as err:
        return all_rows(job, "unreadable", notes=[str(err)])
    values = sandbox_parameters(job["parameters"])
    prepared = prepare(copy, job["exercises"], values)
    outcome = sandbox.run(prepared.notebook, prepared.extract_at, sandbox.Limits(**job["limits"]), binds(values))
    if outcome.ended == "failed":
        message = next((e.get("message") for e in outcome.events if e["kind"] == "fail"), "")
        return all_rows(job, "grader_error", notes=[], log=clean(f"sandbox failed: {message}\n{outcome.log}", 8000),
                        isolation=outcome.isolation)
    return _score(job, prepared, outcome)


def all_rows(job: dict, status: str, notes: list, isolation=None, log: str = "") -> dict:
    """A result in which no check ran: every exercise scores 0 with ``status``; ``log`` is for the instructor."""
    rows = [{"name": ex.name, "score": 0, "max_score": ex.max_score, "status": status,
             "checks": [_row(c, False, "not run (未執行)") for c in ex.checks]} for ex in job["exercises"]]
    return {"exercises": rows, "notes": notes, "isolation": isolation, "ended": status, "log": log}


def _score(job: dict, prepared, outcome) -> dict:
    """Judge the extracted values and give each exercise its status."""
    events = {e["index"]: e for e in outcome.events if e["kind"] == "cell" and type(e.get("index")) is int}
    rows, previous = [], -1
    for k, ex in enumerate(job["exercises"]):
        at = prepared.extract_at[k]
        event = events.get(at)
        env = extracted(str(event.get("stdout") or ""), prepared.nonces[k], ex.names) if event else None
        checks = [check_row(c, env) for c in ex.checks]
        span = [events[i] for i in range(previous + 1, at + 1) if i in events]
        status = _status(event, span, events.get(prepared.anchors[k]), outcome.ended)
        rows.append({"name": ex.name, "score": sum(c["points"] for c in checks if c["passed"]),
                     "max_score": ex.max_score, "status": status, "checks": checks})
        previous = at
    slowest = max((e.get("seconds") or 0 for e in events.values() if type(e.get("seconds")) in (int, float)), default=0)
    return {"exercises": rows, "notes": run_notes(prepared, outcome, job["limits"]), "isolation": outcome.isolation,
            "ended": outcome.ended, "uid": outcome.uid, "run_seconds": outcome.seconds, "slowest_cell": slowest}


def extracted(stdout: str, nonce: str, names: list) -> dict:
    """{name: host value, or Failed(why)} from an extraction cell's output."""
    found, env = read_values(stdout, nonce, len(names)), {}
    for i, name in enumerate(names):
        kind, value = found.get(i, ("e", "not extracted"))
        if kind == "e":
            why = value if type(value) is str and re.fullmatch(r"[A-Za-z_][\w .]{0,80}", value) else "error"
            env[name] = Failed(f"could not be read ({why})")
            continue
        try:
            env[name] = hydrate(value)
        except (EvalError, ValueError, TypeError, OverflowError) as err:
            env[name] = Failed(clean(err, 120) if isinstance(err, EvalError) else "malformed value")
    return env


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


def _row(check, passed: bool, reason: str) -> dict:
    return {"name": check.name, "hidden": check.hidden, "points": check.points if passed else 0,
            "max_points": check.points, "passed": passed, "reason": reason}


def check_row(check, env) -> dict:
    """One check evaluated on the host and judged; the reason shows no check code, answer or student value."""
    if env is None:
        return _row(check, False, "not run (未執行)")
    try:
        value = to_plain(evaluate.evaluate(check.expr, env))
    except EvalError as err:
        return _row(check, False, "error (錯誤)" if check.hidden else f"error: {clean(err, 200)}")
    except (TypeError, ValueError) as err:
        return _row(check, False, "wrong type (型別不符)" if check.hidden else f"not plain data ({clean(err, 100)})")
    passed, why = judge(value, **check.criterion)
    reason = "" if passed else ("wrong answer (答案不正確)" if check.hidden else f"{why} (答案不正確)")
    return _row(check, passed, reason)


def run_notes(prepared, outcome, limits: dict) -> list:
    """What happened in the run, in words: one bounded error line per student cell, timeouts, crashes."""
    notes = []
    for event in outcome.events:
        number = prepared.origin.get(event.get("index"))
        error = event.get("error")
        if event["kind"] == "cell" and error and number:
            if error.get("ename") == sandbox.TIMEOUT_ENAME:
                notes.append(f"cell {number} ran over {limits['cell_timeout']} s and was interrupted (逾時)")
            else:
                message = f": {error.get('evalue')}" if error.get("evalue") else ""
                notes.append(clean(f"cell {number} raised {error.get('ename')}{message}", ERROR_LINE))
        elif event["kind"] == "dead":
            where = f"cell {number}" if number else "the tests"
            notes.append(f"the kernel died while running {where} (os._exit, a kill, a crash or no memory)")
        elif event["kind"] == "stuck":
            where = f"cell {number}" if number else "a test"
            notes.append(f"{where} ignored the interrupt after its time limit: the rest of the copy was not run")
        elif event["kind"] == "fail":
            notes.append(clean(f"the notebook runner stopped: {event.get('message')}", ERROR_LINE))
    if outcome.ended == "timeout" and not any(e["kind"] == "stuck" for e in outcome.events):
        notes.append(f"the copy ran over the time limit of {limits['wall']} s and was stopped (逾時)")
    elif outcome.ended == "memory":
        notes.append(f"the copy ran out of memory (limit {limits['memory'] >> 20} MiB) and was stopped")
    elif outcome.ended == "crashed" and not any(e["kind"] in ("dead", "fail") for e in outcome.events):
        notes.append("the notebook runner was killed (by the copy's own code) before the end")
    return notes


def sandbox_parameters(values: dict) -> dict:
    """The profile's parameters with data paths made absolute (the sandbox has no DATA_DIR and another cwd)."""
    values = dict(values)
    if isinstance(values.get("data"), str):
        values["data"] = str(paths.resolve_data(values["data"]))
    for name, value in values.items():
        if name.endswith(("_dir", "_path")) and isinstance(value, str) and value:
            values[name] = str(Path(value).expanduser().resolve())
    return values


def binds(values: dict) -> list:
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
