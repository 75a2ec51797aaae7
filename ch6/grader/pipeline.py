"""``grade_all``: grade every student folder of SUBMISSIONS into grades.csv and feedback/ (the batch's steps).

The rooms: ``exercises`` (test cells), ``copies`` (reading SUBMISSIONS), ``prepare`` (the sandboxed notebook),
``sandbox`` (isolation), ``evaluate`` + ``scoring`` (judging on the host), ``jobs`` (pool, Dask, cache keys, limits),
``gradebook`` (CSV, feedback, summary), ``cli`` (``python -m ch6.grader``).
"""
import json
import sys
import time
from pathlib import Path

from .. import params, paths
from . import jobs as batch
from . import sandbox
from .copies import students, stray_files
from .exercises import AuthoringError, exercises, sources  # noqa: F401 - part of this module's interface
from .gradebook import write_gradebook, write_text
from .jobs import environment_key, limits_from, make_jobs, reference_job, run_jobs
from .prepare import prepare  # noqa: F401 - part of this module's interface


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


def grade_all(submissions, out, *, jobs: int = 1, scheduler=None, force: bool = False, profile: str = "ci",
              source=None, limits=None, progress: bool = True) -> dict:
    """Grade every student folder under ``submissions``; write grades.csv and feedback/ under ``out``.

    ``limits``: one Limits, {notebook: Limits}, or None: from a reference run of each solution (``jobs.limits_from``).
    """
    from tqdm import tqdm

    submissions, out = Path(submissions), Path(out)
    source_map = sources(Path(source) if source else paths.NOTEBOOKS)
    parameters = {name: profile_values(profile, path) for name, (path, _) in source_map.items()}
    cache = out / ".cache"
    cache.mkdir(parents=True, exist_ok=True)
    student_list, skipped = students(submissions, exclude=out)
    start = time.monotonic()
    per_notebook, references = _limits(source_map, parameters, limits, cache, jobs, force)
    results, ran = [], []
    with tqdm(total=len(student_list) * len(source_map), desc="grading", unit="copy", disable=not progress,
              file=sys.stderr) as bar:
        def uncached():
            for job in make_jobs(submissions, student_list, source_map, parameters, per_notebook):
                hit = None if force else _cached(cache, job["key"])
                if hit:
                    results.append(hit | {"student": job["student"], "notebook": job["notebook"]})
                    bar.update()
                else:
                    yield job

        for result in run_jobs(uncached(), jobs, scheduler):
            _store(cache, result)
            results.append(result)
            ran.append(result)
            bar.update()
    notes = {s.id: stray_files(submissions / s.folder, source_map) for s in student_list}
    report = {"results": results, "students": [s.id for s in student_list], "skipped": skipped, "ran": len(ran),
              "cached": len(results) - len(ran), "seconds": round(time.monotonic() - start, 1),
              "limits": {n: f"cell {lim.cell_timeout} s, copy {lim.wall} s" + _basis(references.get(n))
                         for n, lim in per_notebook.items()}}
    report["unwritten"] = write_gradebook(out, results, source_map, student_list, notes)
    errors = [f"== {r['student']} / {r['notebook']}\n{r['log']}" for r in results if r.get("log")]
    if errors:
        write_text(out / "grader_errors.log", "\n".join(errors))
    return report


def _limits(source_map: dict, parameters: dict, limits, cache: Path, workers: int, force: bool):
    """({notebook: Limits}, {notebook: reference result}): given limits, or derived from reference runs."""
    if isinstance(limits, dict):
        return {name: limits.get(name, sandbox.Limits()) for name in source_map}, {}
    if limits is not None:
        return {name: limits for name in source_map}, {}
    environment = environment_key(source_map, parameters)
    todo, references = [], {}
    for name, (path, exercise_list) in source_map.items():
        job = reference_job(name, path, exercise_list, parameters[name], environment)
        hit = None if force else _cached(cache, job["key"])
        if hit and hit.get("run_seconds"):
            references[name] = hit
        else:
            todo.append(job)
    for result in run_jobs(iter(todo), workers):
        _store(cache, result)
        references[result["notebook"]] = result
    base = sandbox.Limits()
    return {name: limits_from(references[name], base) if references.get(name, {}).get("run_seconds") else base
            for name in source_map}, references


def _basis(reference) -> str:
    if not reference or not reference.get("run_seconds"):
        return " (defaults: the reference run failed)" if reference else " (given)"
    return (f" (reference run {reference['run_seconds']:.1f} s, slowest cell {reference['slowest_cell']:.1f} s; "
            f"x{batch.LIMIT_FACTOR:g}, floors {batch.CELL_FLOOR} s per cell, {batch.WALL_FLOOR} s per copy)")


def _cached(cache: Path, key: str):
    try:
        return json.loads((cache / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _store(cache: Path, result: dict) -> None:
    """Cache a result unless the grader failed on it (a busy timeout is cached after its retry); never raises."""
    if result.get("ended") == "grader_error" or result.get("log"):
        return
    try:
        write_text(cache / f"{result['key']}.json", json.dumps(result, ensure_ascii=True))
    except Exception:  # noqa: BLE001 - a result that cannot be cached is graded again next time
        pass
