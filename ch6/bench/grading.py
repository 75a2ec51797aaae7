"""Bench part ``grading``: grading one copy vs executing the same notebook (ci profile), and a class of 60 x 11.

The class figure is extrapolated from a measured sample (one student's solution copies plus one hanging copy),
graded on this machine's pool and on a Dask LocalCluster with the same number of workers.
"""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from .. import paths

CLASS = 60                           # students
HANG = "while True:\n    pass"       # a copy that never finishes its exercise


def gradable(out: Path) -> tuple:
    """(source folder with the notebooks whose checks the grader reads, [(notebook, why not)])."""
    from ..grader.exercises import AuthoringError, exercises

    src = out / "src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    left_out = []
    for path in sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        try:
            if exercises(nbformat.read(path, as_version=4), path.name):
                shutil.copy2(path, src / path.name)
        except AuthoringError as err:
            left_out.append((path.name, str(err)[:160]))
    return src, left_out


def plain_seconds(src: Path, out: Path, name: str) -> float | None:
    """Seconds of executing one notebook with the ci profile through the runner (``python -m ch6.runner``)."""
    cmd = [sys.executable, "-m", "ch6.runner", "--profile", "ci", "--jobs", "1", "--no-write-back",
           "--out", str(out / "plain"), "--nb", name.split("_")[0]]
    subprocess.run(cmd, capture_output=True, text=True)
    timings = out / "plain" / "timings.json"
    found = json.loads(timings.read_text()).get("notebooks", []) if timings.exists() else []
    return next((nb.get("seconds") for nb in found if nb.get("notebook") == Path(name).stem and nb.get("ok")), None)


def _subs(out: Path, src: Path, hang: bool) -> Path:
    """SUBMISSIONS: a student with every solution copy (and, with ``hang``, one whose first copy hangs)."""
    import re

    from ..grader.student import STUB
    subs = out / ("subs-class" if hang else "subs-one")
    shutil.rmtree(subs, ignore_errors=True)
    (subs / "solution").mkdir(parents=True)
    for path in sorted(src.glob("*.ipynb")):
        shutil.copy(path, subs / "solution" / path.name)
    if hang:
        first = sorted(src.glob("*.ipynb"))[0]
        nb = nbformat.read(first, as_version=4)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = re.sub(r"### BEGIN SOLUTION[\s\S]*?### END SOLUTION", HANG, cell.source) or STUB
                break
        (subs / "hang").mkdir()
        nbformat.write(nb, str(subs / "hang" / first.name))
    return subs


def run(jobs: int = 2) -> dict:
    """Measure and return the grading part of the benchmark report."""
    from ..grader import jobs as batch
    from ..grader import sandbox
    from ..grader.pipeline import grade_all

    out = paths.BUILD / "bench-grading"
    src, left_out = gradable(out)
    rows, graded = [], {}
    for path in sorted(src.glob("*.ipynb")):              # side by side, one notebook after the other
        plain = plain_seconds(src, out, path.name)
        subs = out / "subs-one"
        shutil.rmtree(subs, ignore_errors=True)
        (subs / "solution").mkdir(parents=True)
        shutil.copy(path, subs / "solution" / path.name)
        one = grade_all(subs, out / "one", jobs=1, source=src, limits=sandbox.Limits(), force=True, progress=False)
        graded[path.name] = next(r for r in one["results"] if r["notebook"] == path.name)
        rows.append({"notebook": path.name, "plain_s": plain, "graded_s": graded[path.name]["seconds"],
                     "statuses": sorted({e["status"] for e in graded[path.name]["exercises"]})})
    generous = sandbox.Limits()
    limits = {name: batch.limits_from({"seconds": r["run_seconds"] or 0, "slowest_cell": r["slowest_cell"] or 0},
                                      generous) for name, r in graded.items() if r.get("run_seconds")}
    subs = _subs(out, src, True)
    start = time.perf_counter()
    grade_all(subs, out / "class-local", jobs=jobs, source=src, limits=limits, force=True, progress=False)
    local = time.perf_counter() - start
    dask = None
    try:
        import distributed

        with distributed.LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster:
            start = time.perf_counter()
            grade_all(subs, out / "class-dask", jobs=jobs, source=src, limits=limits, force=True, progress=False,
                      scheduler=cluster.scheduler_address)
            dask = time.perf_counter() - start
    except ImportError:
        pass
    sample = sum(1 for p in subs.rglob("*.ipynb"))
    return {"jobs": jobs, "load_average": os.getloadavg(), "left_out": left_out, "per_copy": rows,
            "limits": {n: [lim.cell_timeout, lim.wall] for n, lim in limits.items()},
            "sample_copies": sample, "sample_local_s": round(local, 1),
            "sample_dask_s": round(dask, 1) if dask else None, "class_students": CLASS,
            "class_local_min": round(CLASS * local / 60, 1),
            "class_dask_min": round(CLASS * dask / 60, 1) if dask else None}


def report(res: dict) -> None:
    """Print the grading part side by side."""
    print(f"(e) grading (ci profile; load average at the end {res['load_average'][0]:.1f} on "
          f"{os.cpu_count()} CPUs): one copy graded vs the same notebook executed by the runner (target <= 1.3x)")
    print(f"  {'notebook':<48} {'plain s':>8} {'graded s':>9} {'ratio':>6}")
    for row in res["per_copy"]:
        ratio = row["graded_s"] / row["plain_s"] if row["plain_s"] else float("nan")
        print(f"  {row['notebook']:<48} {row['plain_s'] or float('nan'):8.1f} {row['graded_s']:9.1f} {ratio:5.2f}x"
              f"  {','.join(row['statuses'])}")
    both = [r for r in res["per_copy"] if r["plain_s"]]
    plain, graded = sum(r["plain_s"] for r in both), sum(r["graded_s"] for r in both)
    if plain:
        print(f"  {'all that both ran (' + str(len(both)) + ')':<48} {plain:8.1f} {graded:9.1f} {graded / plain:5.2f}x")
    for name, why in res["left_out"]:
        print(f"  not graded (authoring error): {name}: {why}")
    print(f"  class sample: {res['sample_copies']} copies (one student's solutions + one hanging copy), "
          f"jobs={res['jobs']}: {res['sample_local_s']} s here, {res['sample_dask_s']} s on a Dask LocalCluster")
    print(f"  class of {res['class_students']} x {len(res['per_copy'])} notebooks (extrapolated, one hanging copy "
          f"per student): {res['class_local_min']} min here, {res['class_dask_min']} min on Dask")
