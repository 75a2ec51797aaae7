"""`make bench`: data preparation (lecture loops vs ch6), whole-suite wall times and a full-profile estimate."""
import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np

from .. import params, paths, timeseries
from ..data import loaders, sample_glove, sample_weather
from ..runner import execute as run
from . import cpu_settings, lecture_loops, smoke, workload

RESULTS = paths.REPO / "benchmarks"




def timed(fn, repeat=1):
    """Best wall time of ``repeat`` calls (this machine's timings vary from call to call), and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def bench_data(folder: Path) -> list:
    """Lecture loop vs ch6 for the Jena parse, the GloVe parse and batch generation."""
    rows = []
    jena = folder / "jena_climate_2009_2016.csv"
    t_loop, (_, loop_data) = timed(lambda: lecture_loops.jena_lecture_loop(jena), repeat=2)
    t_fast, (_, fast_data, _) = timed(lambda: loaders.load_jena(jena), repeat=5)
    assert np.allclose(np.asarray(loop_data, dtype=np.float32), fast_data)
    rows.append(("Jena CSV parse", f"{len(fast_data):,} rows", t_loop, t_fast))

    glove = folder / "glove.6B.50d.txt"
    t_loop, index = timed(lambda: lecture_loops.glove_lecture_loop(glove), repeat=2)
    t_fast, (words, vectors) = timed(lambda: loaders.parse_glove(glove), repeat=3)
    assert len(index) == len(words) and np.array_equal(index[words[123]], vectors[123])
    rows.append(("GloVe 50d parse (first load, no cache)", f"{len(words):,} words", t_loop, t_fast))
    loaders.load_glove(glove)  # builds the cache the notebooks reuse
    t_cached, (cached_words, _) = timed(lambda: loaders.load_glove(glove), repeat=5)
    assert cached_words == words
    rows.append(("GloVe 50d load (ch6.data.loaders.load_glove, cached .npy)", f"{len(words):,} words", t_loop, t_cached))

    data, _, _ = timeseries.standardize(fast_data, 200_000)
    n = 300
    loop_gen = lecture_loops.lecture_generator(data, 1440, 144, 0, 200_000, shuffle=True)
    fast_gen = timeseries.generator(data, 1440, 144, 0, 200_000, shuffle=True, seed=0)
    t_loop, _ = timed(lambda: [next(loop_gen) for _ in range(n)], repeat=2)
    t_fast, _ = timed(lambda: [next(fast_gen) for _ in range(n)], repeat=5)
    rows.append(("batch generator (lookback 1440, step 6, batch 128)", f"{n} batches", t_loop, t_fast))
    return rows


def run_suite(profile: str, jobs: int) -> dict:
    """Execute all notebooks with ``profile`` into build/bench-<profile> (notebooks/ untouched); wall time."""
    out = paths.BUILD / f"bench-{profile}"
    cmd = [sys.executable, "-m", "ch6.runner", "--profile", profile, "--jobs", str(jobs), "--no-write-back",
           "--out", str(out)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    timings = json.loads((out / "timings.json").read_text()) if (out / "timings.json").exists() else {}
    return {"profile": profile, "jobs": jobs, "command": " ".join(["python -m ch6.runner"] + cmd[3:]),
            "ok": proc.returncode == 0, "wall_seconds": round(wall, 1),
            "notebooks": timings.get("notebooks", []), "tail": proc.stdout.strip().splitlines()[-1:]}


def per_step(run, seconds=1.5):
    """Seconds per step of ``run(steps)`` without its per-call overhead: (T(2 + n) - T(2)) / n, n sized to ``seconds``."""
    run(2)                                                      # compile and warm up
    small = timed(lambda: run(2), 3)[0]
    n = int(np.clip(seconds / max(small / 2, 1e-4), 4, 500))
    return max((timed(lambda: run(2 + n), 2)[0] - small) / n, 1e-9)


def time_model(key, batch, eval_batches, seconds=1.5):
    """(seconds per training step at ``batch``, {eval batch: seconds per evaluated sample}) for workload model ``key``.

    Fed as the notebooks feed it: Jena batches from a Python generator, IMDB sequences as arrays."""
    keras.utils.set_random_seed(0)
    model = workload.build(key)
    kind, shape = workload.input_of(key)
    rng = np.random.default_rng(0)
    n = max([batch] + list(eval_batches))
    x = (rng.integers(1, 10_000, size=(n, *shape)).astype("int32") if kind == "int"
         else rng.normal(size=(n, *shape)).astype("float32"))
    y = rng.integers(0, 2, size=n).astype("float32")

    def batches(b):
        while True:
            yield x[:b], y[:b]

    if kind == "float":
        def fit(k):
            model.fit(batches(batch), steps_per_epoch=k, epochs=1, shuffle=False, verbose=0)

        def evaluate(b):
            return lambda k: model.evaluate(batches(b), steps=k, verbose=0)
    else:
        def fit(k):
            model.fit(np.resize(x[:batch], (k * batch, *shape)), np.resize(y[:batch], k * batch), batch_size=batch,
                      epochs=1, shuffle=False, verbose=0)

        def evaluate(b):
            return lambda k: model.evaluate(np.resize(x[:b], (k * b, *shape)), np.resize(y[:b], k * b), batch_size=b,
                                            verbose=0)
    train = per_step(fit, seconds)
    evals = {b: per_step(evaluate(b), seconds) / b for b in sorted(set(eval_batches))}
    return train, evals


def estimate_full(fixed: dict) -> dict:
    """The full profile's training and evaluation time on this machine: per-step times x the full profile's counts.

    ``fixed``: {notebook: seconds} of everything else (the ci profile's wall time per notebook stands in for it)."""
    fits = workload.fits()
    needs = {}
    for fit in fits:
        needs.setdefault((fit.model, fit.batch), set()).update([b for n, b in fit.evals if n] + [fit.lecture_batch])
    timing = {}
    for (model, batch), eval_batches in needs.items():
        start = time.perf_counter()
        timing[model, batch] = time_model(model, batch, eval_batches)
        train, evals = timing[model, batch]
        print(f"    {model:<18} batch {batch:>4}: {1000 * train:8.1f} ms/step; eval "
              + ", ".join(f"batch {b}: {1e6 * t:.0f} us/sample" for b, t in evals.items())
              + f"  ({time.perf_counter() - start:.0f} s)", flush=True)
    rows = []
    for fit in fits:
        train, evals = timing[fit.model, fit.batch]
        eval_here = sum(samples * evals[b] for samples, b in fit.evals if samples)
        eval_lecture = sum(samples for samples, _ in fit.evals) * evals[fit.lecture_batch]
        rows.append({"notebook": fit.notebook, "fit": fit.name, "model": fit.model, "train_steps": fit.train_steps,
                     "eval_samples": sum(samples for samples, _ in fit.evals), "train_s": fit.train_steps * train,
                     "eval_s": eval_here, "eval_lecture_batches_s": eval_lecture})
    def blank(name):
        return {"notebook": name, "fixed_s": fixed.get(name, 0.0), "train_s": 0.0, "eval_s": 0.0,
                "eval_lecture_batches_s": 0.0}

    notebooks = {name: blank(name) for name in fixed}       # 6-1-1 trains nothing but still runs
    for row in rows:
        nb = notebooks.setdefault(row["notebook"], blank(row["notebook"]))
        for key in ("train_s", "eval_s", "eval_lecture_batches_s"):
            nb[key] += row[key]
    for nb in notebooks.values():
        nb["total_s"] = nb["fixed_s"] + nb["train_s"] + nb["eval_s"]
        nb["total_lecture_batches_s"] = nb["fixed_s"] + nb["train_s"] + nb["eval_lecture_batches_s"]
    per_model = [{"model": m, "batch": b, "train_s_per_step": t, "eval_s_per_sample": {str(k): v for k, v in e.items()}}
                 for (m, b), (t, e) in timing.items()]
    return {"method": "seconds per training step and per evaluated sample of each model at the lecture's sizes "
                      "(random inputs fed as the notebooks feed them, timed as T(2 + n steps) - T(2 steps)), times "
                      "the full profile's step and sample counts (ch6.bench.workload); plus each notebook's ci-profile "
                      "wall time for everything else",
            "per_model": per_model,
            "fits": rows, "notebooks": sorted(notebooks.values(), key=lambda r: r["notebook"]),
            "sequential_s": sum(nb["total_s"] for nb in notebooks.values()),
            "sequential_lecture_batches_s": sum(nb["total_lecture_batches_s"] for nb in notebooks.values())}


def concurrency(n: int, key: str = "gru", batch: int = 128) -> dict:
    """Seconds per training step of one model alone, and in each of ``n`` processes training it at the same time."""
    run.share_accelerator(n)                 # JAX would otherwise give each process most of the GPU's memory
    code = f"import ch6.bench.suite as b; print(b.time_model({key!r}, {batch}, [], seconds=5)[0])"
    cmd = [sys.executable, "-c", code]

    def finish(proc):
        out, err = proc.communicate()
        if proc.returncode:
            raise RuntimeError(f"timing process failed: {err.strip().splitlines()[-1:]}")
        return float(out.split()[-1])

    alone = finish(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    together = [finish(p) for p in [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                                    for _ in range(n)]]
    slowdown = float(np.mean(together)) / alone
    return {"model": key, "processes": n, "alone_s_per_step": alone, "together_s_per_step": together,
            "slowdown": slowdown, "throughput_gain": n / slowdown}


def makespan(durations: list, jobs: int, slowdown: float = 1.0) -> float:
    """Wall time of running ``durations`` longest first on ``jobs`` workers, each job ``slowdown`` times longer."""
    workers = [0.0] * max(1, jobs)
    for d in sorted(durations, reverse=True):
        workers[workers.index(min(workers))] += d * (slowdown if jobs > 1 else 1.0)
    return max(workers)


def commit() -> str:
    """The checkout's commit, with "+changes" when the working tree differs from it ("" outside git)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=paths.REPO, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=paths.REPO,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return head + ("+changes" if dirty else "")


def machine() -> dict:
    """The machine and library versions the figures were measured with."""
    info = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "numpy": np.__version__, "keras": keras.__version__, "backend": keras.backend.backend()}
    try:
        import tensorflow as tf
        info["tensorflow"] = tf.__version__
    except ImportError:
        pass
    if info["backend"] == "jax":
        import jax
        info["jax"] = jax.__version__
        info["device"] = jax.devices()[0].device_kind
    elif info["backend"] == "tensorflow":
        gpus = tf.config.list_physical_devices("GPU")
        info["device"] = gpus[0].name if gpus else "CPU"
    return info


PARTS = ("data", "cpu", "ci", "sample", "estimate", "smoke", "grading")


def fixed_costs(report: dict) -> dict:
    """Per-notebook wall time of the ci profile: from this run, else from the last benchmarks/results.json."""
    suites = report["suites"]
    if not any(s["profile"] == "ci" for s in suites) and (RESULTS / "results.json").exists():
        suites = json.loads((RESULTS / "results.json").read_text(encoding="utf-8")).get("suites", [])
    for suite in suites:
        if suite["profile"] == "ci" and suite["ok"]:
            return {params.notebook_key(Path(r["notebook"])): r["seconds"] for r in suite["notebooks"]}
    return {}


def print_estimate(est: dict) -> None:
    """The full-profile estimate as a table, one row per notebook."""
    print(f"  {'notebook':<9} {'other s':>8} {'train s':>9} {'eval s':>8} {'total':>9}   "
          f"{'eval, lecture batches':>22} {'total':>9}")
    for nb in est["notebooks"]:
        print(f"  {nb['notebook']:<9} {nb['fixed_s']:8.0f} {nb['train_s']:9.0f} {nb['eval_s']:8.0f} "
              f"{nb['total_s'] / 60:7.1f} m   {nb['eval_lecture_batches_s']:22.0f} {nb['total_lecture_batches_s'] / 60:7.1f} m")
    print(f"  all eleven one after another: {est['sequential_s'] / 60:.1f} min "
          f"(evaluating 128 samples at a time as the lecture does: {est['sequential_lecture_batches_s'] / 60:.1f} min)")


BENCH_START, BENCH_END = "<!-- bench:start -->", "<!-- bench:end -->"


def summary(report: dict) -> str:
    """A Markdown summary of a results file: where and how it was measured, each figure against its target."""
    m = report["machine"]
    lines = [f"Measured {report['measured']} with `{report['command']}` on {m['platform']}, {m['cpus']} CPUs"
             f"{', ' + m['device'] if m.get('device') not in (None, 'CPU') else ''}; Keras {m['keras']} "
             f"({m['backend']} backend).", "", "| part | measured | target |", "|---|---|---|"]
    for row in report["data_preparation"]:
        lines.append(f"| (a) {row['task']}, {row['size']} | {row['lecture_loop_s']:.2f} s → {row['ch6_s']:.3f} s, "
                     f"**{row['ratio']:.1f}×** | ≥ 10× |")
    for suite in report["suites"]:
        label = "(b)" if suite["profile"] == "ci" else "(c)"
        status = f"{suite['wall_seconds']:.0f} s" if suite["ok"] else "failed"
        lines.append(f"| {label} {suite['profile']} profile, all eleven, jobs={suite['jobs']} | **{status}** | "
                     f"≤ {suite['target_seconds']} s |")
    est = report.get("full_estimate")
    if est:
        jobs = (f"; jobs={est['jobs']}, longest first, {est['concurrency']['slowdown']:.2f}× slower per step: "
                f"**{est['wall_with_jobs_s'] / 60:.0f} min**" if "jobs" in est else "")
        lines.append(f"| (d) full profile, estimated on this machine | one after another **"
                     f"{est['sequential_s'] / 60:.0f} min** (128 samples per evaluation step as in the lecture: "
                     f"{est['sequential_lecture_batches_s'] / 60:.0f} min){jobs} | ≤ 15 min on one H100 |")
    lines += smoke.summary_lines(report)
    return "\n".join(lines) + "\n"


def readme_block(report: dict) -> str:
    """The text between the README's bench markers."""
    note = "<!-- generated by `make bench` from benchmarks/results.json; do not edit by hand -->\n"
    return f"{BENCH_START}\n{note}{summary(report)}{BENCH_END}"


def main(argv=None) -> int:
    """Command line: ``python -m ch6.bench [--parts data,cpu,ci,sample,estimate] [--jobs 2] [--out FILE]``."""
    parser = argparse.ArgumentParser(prog="python -m ch6.bench", description=__doc__)
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at once in the suite runs")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma list of {', '.join(PARTS)} (default all)")
    parser.add_argument("--out", default="", help="results file (default benchmarks/results.json for all parts, "
                                                  "else benchmarks/results-<parts>.json)")
    parser.add_argument("--readme", help="rewrite this file's bench block from benchmarks/results.json "
                                         "(when this run wrote it; with --parts '' without measuring)")
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    if not parts:
        return write_readme(args.readme) if args.readme else 0
    if set(parts) - set(PARTS):
        print(f"error: unknown part(s) {sorted(set(parts) - set(PARTS))}; choose from {', '.join(PARTS)}",
              file=sys.stderr)
        return 2
    report = {"machine": machine(), "measured": time.strftime("%Y-%m-%d %H:%M:%S"), "commit": commit(),
              "command": "python -m ch6.bench " + " ".join(argv if argv is not None else sys.argv[1:]),
              "data_preparation": [], "suites": []}
    if "data" in parts:
        folder = paths.BUILD / "bench-data"
        if not (folder / "jena_climate_2009_2016.csv").exists():
            print("making lecture-sized Jena data (420,551 rows) for the benchmark ...", flush=True)
            sample_weather.make_jena(folder, "full")
        if not (folder / "glove.6B.50d.txt").exists():
            sample_glove.make_glove(folder)
        print("\n(a) data preparation: lecture loop vs ch6 (target: >= 10x)")
        print(f"  {'task':<52} {'size':>16} {'loop s':>8} {'ch6 s':>8} {'ratio':>7}")
        for task, size, t_loop, t_fast in bench_data(folder):
            ratio = t_loop / t_fast
            report["data_preparation"].append({"task": task, "size": size, "lecture_loop_s": round(t_loop, 3),
                                               "ch6_s": round(t_fast, 3), "ratio": round(ratio, 1)})
            print(f"  {task:<52} {size:>16} {t_loop:8.2f} {t_fast:8.3f} {ratio:6.1f}x", flush=True)
    if "cpu" in parts:
        print("\n(cpu) CPU settings side by side: TensorFlow oneDNN off/on, threads, JAX (if installed)")
        report["cpu_settings"] = cpu_settings.compare()
        cpu_settings.print_table(report["cpu_settings"])
    for profile, target, label in (("ci", 180, "b"), ("sample", 1200, "c")):
        if profile in parts:
            res = run_suite(profile, args.jobs)
            res["target_seconds"] = target
            report["suites"].append(res)
            verdict = "met" if res["ok"] and res["wall_seconds"] <= target else "MISSED"
            print(f"({label}) {profile} profile, all notebooks, jobs={args.jobs}: {res['wall_seconds']:.0f} s "
                  f"(target <= {target} s: {verdict}){'' if res['ok'] else ' FAILED: ' + ' '.join(res['tail'])}",
                  flush=True)
    if "estimate" in parts:
        print(f"(d) full profile, estimated on this machine ({report['machine']['backend']} backend): "
              "per-step times of the lecture's models x the full profile's counts")
        est = report["full_estimate"] = estimate_full(fixed_costs(report))
        print_estimate(est)
        if args.jobs > 1:
            conc = est["concurrency"] = concurrency(args.jobs)
            totals = [nb["total_s"] for nb in est["notebooks"]]
            est["jobs"] = args.jobs
            est["wall_with_jobs_s"] = makespan(totals, args.jobs, conc["slowdown"])
            print(f"  {args.jobs} GRU(32) trainings at once: each step {conc['slowdown']:.2f}x slower "
                  f"({1000 * conc['alone_s_per_step']:.1f} ms alone); all eleven with JOBS={args.jobs}, longest first: "
                  f"{est['wall_with_jobs_s'] / 60:.1f} min (estimate)")
    if "smoke" in parts:
        report["smoke_full"] = smoke.run(args.jobs, report, RESULTS / "results.json")
    if "grading" in parts:
        from . import grading
        grading.report(report.setdefault("grading", grading.run(args.jobs)))
    RESULTS.mkdir(exist_ok=True)
    name = "results.json" if parts == list(PARTS) else f"results-{'-'.join(parts)}.json"
    out = Path(args.out) if args.out else RESULTS / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"written {out}")
    return write_readme(args.readme) if args.readme and out.resolve() == (RESULTS / "results.json").resolve() else 0


def write_readme(readme: str) -> int:
    """Rewrite the bench block of ``readme`` from benchmarks/results.json."""
    from ..results import replace_block

    path = Path(readme)
    try:
        report = json.loads((RESULTS / "results.json").read_text(encoding="utf-8"))
        path.write_text(replace_block(path.read_text("utf-8"), readme_block(report), BENCH_START, BENCH_END), "utf-8")
    except (OSError, ValueError, KeyError) as err:
        print(f"error: {path}: {err}", file=sys.stderr)
        return 2
    print(f"updated {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
