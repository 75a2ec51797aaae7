"""Jobs of a batch: one per student x notebook, their cache key, limits from a reference run, a pool or Dask."""
import hashlib
import json
import sys
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, as_completed, wait
from dataclasses import asdict
from importlib import metadata
from pathlib import Path

from .. import paths
from . import sandbox, scoring
from .copies import read_submission

LIMIT_FACTOR = 3.0                   # a copy may take this many times its reference run ...
CELL_FLOOR, WALL_FLOOR = 30, 90      # ... but never less than these (seconds per cell, per copy)
PACKAGES = ("numpy", "keras", "tensorflow", "nbclient", "nbformat", "ipykernel", "papermill", "jupyter_client")


def grader_version() -> str:
    """A digest of the grader's own code and the kernel-side check: a new grader re-grades everything."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for module in sorted(here.glob("*.py")) + [here.parent / "check.py"]:
        digest.update(module.name.encode() + b"\0" + module.read_bytes())
    return digest.hexdigest()[:16]


def package_versions() -> dict:
    """Python and the versions of the packages a graded copy runs on."""
    found = {"python": sys.version.split()[0]}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def data_manifests(parameters: dict) -> dict:
    """SHA-256 of every MANIFEST.json under the data root (what the copies read)."""
    root = paths.data_root()
    found = {}
    if root.is_dir():
        for manifest in sorted(root.glob("*/MANIFEST.json")):
            found[str(manifest.relative_to(root))] = hashlib.sha256(manifest.read_bytes()).hexdigest()
    return found


def environment_key(source_map: dict, parameters: dict) -> dict:
    """Everything but the copy that changes a grade: grader code, sources, profile, data, packages."""
    return {"grader": grader_version(), "packages": package_versions(), "data": data_manifests(parameters),
            "sources": {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, (path, _) in source_map.items()},
            "profile": parameters}


def copy_key(environment: dict, notebook: str, data, problem, limits: dict) -> str:
    """The cache key of one copy's result."""
    return hashlib.sha256(json.dumps([environment, notebook, hashlib.sha256(data or b"").hexdigest(), problem, limits],
                                     sort_keys=True, default=str).encode()).hexdigest()


def make_jobs(submissions: Path, student_list: list, source_map: dict, parameters: dict, limits: dict):
    """One job per student x notebook (lazily: the copies are read as the pool asks for them)."""
    environment = environment_key(source_map, parameters)
    for student in student_list:
        for name, (_, exercise_list) in source_map.items():
            try:
                data, problem = read_submission(Path(submissions) / student.folder / name)
            except Exception as err:  # noqa: BLE001 - an odd entry is this copy's status, never the batch's end
                data, problem = None, f"cannot be read ({type(err).__name__})"
            yield {"student": student.id, "notebook": name, "data": data, "problem": problem,
                   "key": copy_key(environment, name, data, problem, asdict(limits[name])),
                   "exercises": exercise_list, "parameters": parameters[name], "limits": asdict(limits[name])}


def run_jobs(jobs, workers: int, scheduler: str | None = None):
    """Yield grade_copy(job) results as they finish: a local thread pool, or a Dask cluster at ``scheduler``."""
    if scheduler:
        import distributed

        with distributed.Client(scheduler) as client:
            window = distributed.as_completed()
            for job in jobs:
                window.add(client.submit(scoring.grade_copy, job, pure=False))
                if window.count() >= 2 * max(1, sum(client.nthreads().values())):
                    yield next(window).result()
            for future in window:
                yield future.result()
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = set()
        for job in jobs:
            pending.add(pool.submit(scoring.grade_copy, job))
            if len(pending) >= 2 * workers:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (f.result() for f in done)
        for future in as_completed(pending):
            yield future.result()


def reference_job(name: str, path: Path, exercise_list: list, parameters: dict, environment: dict) -> dict:
    """A job that grades the solution copy itself under generous limits: its run times set the copies' limits."""
    data = path.read_bytes()
    limits = asdict(sandbox.Limits())
    return {"student": "(reference)", "notebook": name, "data": data, "problem": None,
            "key": copy_key(environment, name, data, "reference", limits), "exercises": exercise_list,
            "parameters": parameters, "limits": limits}


def limits_from(reference: dict, base: sandbox.Limits) -> sandbox.Limits:
    """Cell and wall limits: LIMIT_FACTOR x the reference run's slowest cell and whole run, with floors."""
    cell = max(CELL_FLOOR, round(LIMIT_FACTOR * reference["slowest_cell"]))
    wall = max(WALL_FLOOR, round(LIMIT_FACTOR * reference["seconds"]))
    return sandbox.Limits(cell_timeout=cell, wall=wall, memory=base.memory, disk=base.disk, tasks=base.tasks,
                          output=base.output)
