"""Execute the notebooks with a parameter profile (papermill); write back only what succeeded."""
import argparse
import concurrent.futures
import os
import re
import sys
import time
from pathlib import Path

from .. import params, paths
from ..files import read_timings, write_text_atomic, write_timings

VOLATILE_NB = ("start_time", "end_time", "duration", "exception", "input_path", "output_path")


def notebooks(selection: str = "") -> list:
    """The notebooks under notebooks/, sorted; ``selection`` is a comma list of short names ('6-3-5')."""
    found = sorted(paths.NOTEBOOKS.glob("*.ipynb"))
    if not selection:
        return found
    wanted = [s.strip() for s in selection.split(",") if s.strip()]
    chosen = [nb for nb in found if any(params.notebook_key(nb) == w or nb.stem == w for w in wanted)]
    missing = set(wanted) - {params.notebook_key(nb) for nb in chosen} - {nb.stem for nb in chosen}
    if missing:
        raise params.ParameterError(f"no notebook named {sorted(missing)} in notebooks/")
    return chosen


def longest_first(chosen: list, out_dir: Path) -> list:
    """Order notebooks by their time in the last run into ``out_dir`` (timings.json), unknown ones first."""
    try:
        last = {r["notebook"]: r["seconds"] for r in read_timings(out_dir).get("notebooks", [])}
    except (KeyError, TypeError):
        last = {}
    return sorted(chosen, key=lambda nb: -last.get(nb.stem, float("inf")))


def share_accelerator(jobs: int) -> None:
    """Several kernels at once on one GPU: let each take memory as it needs instead of most of the card."""
    if jobs > 1:
        os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")   # JAX
        os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")        # TensorFlow


def spec(notebook: Path) -> dict:
    """The notebook's parameters as {name: type name}, read from its ``parameters`` cell."""
    import papermill

    return {name: info["inferred_type_name"] for name, info in papermill.inspect_notebook(str(notebook)).items()}


def tidy(nb) -> None:
    """Strip volatile metadata (timings, absolute paths) so a re-run does not churn diffs."""
    meta = nb.metadata.get("papermill", {})
    for key in VOLATILE_NB:
        meta.pop(key, None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = [out for out in cell.outputs if not is_empty(out)]


def is_empty(output) -> bool:
    """An output that shows nothing, e.g. the blank <pre> that ``model.summary(print_fn=print)`` leaves."""
    data = output.get("data", {})
    if output.get("output_type") not in ("display_data", "execute_result") or set(data) - {"text/html", "text/plain"}:
        return False
    text = re.sub(r"<[^>]*>", "", data.get("text/html", "")) + data.get("text/plain", "")
    return not text.strip()


def write_atomic(nb, target: Path) -> None:
    """Write a notebook to ``target`` atomically, as ``nbformat.write`` lays it out."""
    import nbformat

    text = nbformat.writes(nb)
    write_text_atomic(target, text if text.endswith("\n") else text + "\n")


def execute(notebook: Path, values: dict, out_dir: Path, write_back: bool, timeout: int) -> dict:
    """Execute one notebook into ``out_dir``; on success copy it over notebooks/<name> (atomic)."""
    import papermill

    out = out_dir / notebook.name
    work = out_dir / "work" / notebook.stem
    work.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    try:
        nb = papermill.execute_notebook(str(notebook), str(out), parameters=values, kernel_name="python3",
                                        cwd=str(work), progress_bar=False, execution_timeout=timeout)
    except Exception as err:  # papermill wraps cell errors; report one line and keep the committed copy
        reason = f"{type(err).__name__}: {str(err).strip().splitlines()[-1] if str(err).strip() else ''}"
        return {"notebook": notebook.stem, "ok": False, "seconds": time.perf_counter() - start, "error": reason}
    seconds = time.perf_counter() - start
    tidy(nb)
    write_atomic(nb, out)
    if write_back:
        write_atomic(nb, notebook)
    return {"notebook": notebook.stem, "ok": True, "seconds": round(seconds, 1)}


def prepare(notebook: Path, values: dict, out_dir: Path) -> Path:
    """Write a parameterised, unexecuted copy (for ``pytest --nbval-lax``)."""
    import papermill

    out = out_dir / notebook.name
    papermill.execute_notebook(str(notebook), str(out), parameters=values, prepare_only=True,
                               kernel_name="python3", progress_bar=False)
    return out


def main(argv=None) -> int:
    """Command line: ``python -m ch6.runner --profile sample [--nb 6-3-5] [--jobs 2] [--prepare-only]``."""
    parser = argparse.ArgumentParser(prog="python -m ch6.runner", description=__doc__)
    parser.add_argument("--profile", default="sample", help="params/<profile>.yaml (full, sample, ci)")
    parser.add_argument("--nb", default="", help="comma list of notebooks (short names like 6-3-5); default all")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks executed at once")
    parser.add_argument("--out", default="", help="output folder (default build/<profile>)")
    parser.add_argument("--prepare-only", action="store_true", help="inject parameters without executing")
    parser.add_argument("--no-write-back", action="store_true", help="leave notebooks/ untouched")
    parser.add_argument("--data", default="", help="override every notebook's `data` (e.g. sample-full)")
    parser.add_argument("--timeout", type=int, default=3600, help="per-cell timeout in seconds")
    args = parser.parse_args(argv)
    try:
        chosen = notebooks(args.nb)
        params.check_profile(args.profile, {params.notebook_key(nb): spec(nb) for nb in notebooks()})
        overrides = {"data": args.data} if args.data else {}
        values = {nb: params.profile_parameters(args.profile, nb, spec(nb), overrides) for nb in chosen}
    except params.ParameterError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    out_dir = Path(args.out or paths.BUILD / args.profile).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.prepare_only:
        for nb in chosen:
            print(prepare(nb, values[nb], out_dir))
        return 0
    write_back = not args.no_write_back and args.profile not in ("ci", "smoke-full")   # smoke runs never replace
    os.environ["CH6_PROFILE"] = args.profile  # kernels inherit it: results are filed by profile
    share_accelerator(args.jobs)
    chosen = longest_first(chosen, out_dir)   # with JOBS > 1 the long ones start first
    results = []
    started = time.perf_counter()
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        jobs = [pool.submit(execute, nb, values[nb], out_dir, write_back, args.timeout) for nb in chosen]
        for job in concurrent.futures.as_completed(jobs):
            res = job.result()
            results.append(res)
            line = f"{res['notebook']}: ok in {res['seconds']:.1f} s" if res["ok"] else \
                f"{res['notebook']}: FAILED ({res['error']}); notebooks/ copy left untouched"
            print(line, flush=True)
    total = time.perf_counter() - started
    summary = {"profile": args.profile, "jobs": args.jobs, "wall_seconds": round(total, 1),
               "notebooks": sorted(results, key=lambda r: r["notebook"])}
    write_timings(out_dir, summary)
    failed = [r for r in results if not r["ok"]]
    print(f"{len(results) - len(failed)}/{len(results)} notebooks ok, wall {total:.1f} s (profile {args.profile})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
