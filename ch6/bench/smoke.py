"""`make bench` part "smoke": every notebook run with the smoke-full profile on lecture-sized data, each next to
its full-profile estimate (part "estimate" of the same run, else the last benchmarks/results.json)."""
import json
import subprocess
import sys
import time
from pathlib import Path

from .. import params, paths

PROFILE = "smoke-full"


def data_set() -> str:
    """The lecture-sized data to run on: ``real`` when `make data` has filled it, else ``sample-full``."""
    real = paths.dataset_folder("real")
    return "real" if (real / "glove.6B.100d.txt").exists() and (real / "aclImdb").is_dir() else "sample-full"


def ensure(data: str) -> None:
    """Make the lecture-sized sample data (`make sample SIZE=full`) when it is the one to use and missing."""
    if data == "sample-full" and not (paths.dataset_folder(data) / "MANIFEST.json").exists():
        print("making lecture-sized sample data (make sample SIZE=full) for the smoke-full run ...", flush=True)
        subprocess.run([sys.executable, "-m", "ch6.data.sample", "--size", "full"], check=True,
                       stdout=subprocess.DEVNULL)


def estimates(report: dict, results: Path) -> dict:
    """{notebook key: full-profile estimate in seconds} from this report, else from the last results file."""
    est = report.get("full_estimate")
    if not est and results.exists():
        est = json.loads(results.read_text(encoding="utf-8")).get("full_estimate")
    return {nb["notebook"]: nb["total_s"] for nb in (est or {}).get("notebooks", [])}


def run(jobs: int, report: dict, results: Path) -> dict:
    """Execute all notebooks with the smoke-full profile into build/bench-smoke-full; rows with their estimates."""
    data = data_set()
    ensure(data)
    out = paths.BUILD / f"bench-{PROFILE}"
    cmd = [sys.executable, "-m", "ch6.runner", "--profile", PROFILE, "--jobs", str(jobs), "--no-write-back",
           "--out", str(out), "--data", data]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    timings = json.loads((out / "timings.json").read_text()) if (out / "timings.json").exists() else {}
    full = estimates(report, results)
    rows = [{"notebook": params.notebook_key(Path(r["notebook"])), "ok": r["ok"], "smoke_s": r["seconds"],
             "error": r.get("error", ""), "full_estimate_s": full.get(params.notebook_key(Path(r["notebook"])))}
            for r in timings.get("notebooks", [])]
    res = {"profile": PROFILE, "data": data, "jobs": jobs, "ok": proc.returncode == 0, "wall_seconds": round(wall, 1),
           "command": " ".join(["python -m ch6.runner"] + cmd[3:]), "notebooks": rows,
           "tail": (proc.stdout + proc.stderr).strip().splitlines()[-1:]}
    print_rows(res)
    return res


def print_rows(res: dict) -> None:
    """One line per notebook: smoke-full seconds next to the full-profile estimate."""
    print(f"(e) smoke-full profile (1 epoch of 2 steps at the lecture's sizes) on data={res['data']}, "
          f"jobs={res['jobs']}: {res['wall_seconds']:.0f} s{'' if res['ok'] else ' (some notebooks FAILED)'}")
    print(f"  {'notebook':<9} {'smoke-full s':>12} {'full estimate':>14}")
    for row in res["notebooks"]:
        est = f"{row['full_estimate_s'] / 60:.1f} min" if row["full_estimate_s"] is not None else "-"
        smoke = f"{row['smoke_s']:.0f}" if row["ok"] else "FAILED"
        print(f"  {row['notebook']:<9} {smoke:>12} {est:>14}" + (f"  {row['error']}" if not row["ok"] else ""))


def summary_lines(report: dict) -> list:
    """The README summary row of this part (none when it did not run)."""
    res = report.get("smoke_full")
    if not res:
        return []
    cells = ", ".join(cell(r) for r in res["notebooks"])
    return [f"| (e) smoke-full profile (1 epoch of 2 steps, lecture sizes) on {res['data']}, all eleven, "
            f"jobs={res['jobs']}; each notebook's smoke time (full-profile estimate) | **{res['wall_seconds']:.0f} s**: "
            f"{cells} | all eleven run |"]


def cell(row: dict) -> str:
    """``6-3-5 31 s (est. 12.0 min)`` for one notebook of the smoke run."""
    est = f" (est. {row['full_estimate_s'] / 60:.1f} min)" if row["full_estimate_s"] is not None else ""
    return f"{row['notebook']} {row['smoke_s']:.0f} s{est}" if row["ok"] else f"{row['notebook']} FAILED{est}"
