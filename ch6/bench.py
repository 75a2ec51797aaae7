"""`make bench`: data preparation (lecture loops vs ch6) and whole-suite wall times, saved with the machine."""
import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from . import datasets, paths, sample, timeseries

RESULTS = paths.REPO / "benchmarks"


def lecture_generator(data, lookback, delay, min_index, max_index, shuffle=False, batch_size=128, step=6, rng=None):
    """The lecture's batch generator, row by row in Python (the reference being timed and tested against).

    ``rng`` (a NumPy Generator) replaces ``np.random`` so a test can draw the same rows as ch6's generator."""
    if max_index is None:
        max_index = len(data) - delay - 1
    i = min_index + lookback
    while True:
        if shuffle:
            draw = rng.integers if rng is not None else np.random.randint
            rows = draw(min_index + lookback, max_index, size=batch_size)
        else:
            if i + batch_size >= max_index:
                i = min_index + lookback
            rows = np.arange(i, min(i + batch_size, max_index))
            i += len(rows)
        samples = np.zeros((len(rows), lookback // step, data.shape[-1]))
        targets = np.zeros((len(rows),))
        for j, row in enumerate(rows):
            indices = range(rows[j] - lookback, rows[j], step)
            samples[j] = data[indices]
            targets[j] = data[rows[j] + delay][1]
        yield samples, targets


def timed(fn, repeat=1):
    """Best wall time of ``repeat`` calls, and the last result."""
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
    t_loop, (_, loop_data) = timed(lambda: datasets.jena_lecture_loop(jena))
    t_fast, (_, fast_data, _) = timed(lambda: datasets.load_jena(jena), repeat=3)
    assert np.allclose(np.asarray(loop_data, dtype=np.float32), fast_data)
    rows.append(("Jena CSV parse", f"{len(fast_data):,} rows", t_loop, t_fast))

    glove = folder / "glove.6B.50d.txt"
    t_loop, index = timed(lambda: datasets.glove_lecture_loop(glove))
    t_fast, (words, vectors) = timed(lambda: datasets.parse_glove(glove), repeat=1)
    assert len(index) == len(words) and np.array_equal(index[words[123]], vectors[123])
    rows.append(("GloVe 50d parse (first load, no cache)", f"{len(words):,} words", t_loop, t_fast))
    datasets.load_glove(glove)  # builds the cache the notebooks reuse
    t_cached, (cached_words, _) = timed(lambda: datasets.load_glove(glove), repeat=3)
    assert cached_words == words
    rows.append(("GloVe 50d load (ch6.load_glove, cached .npy)", f"{len(words):,} words", t_loop, t_cached))

    data, _, _ = timeseries.standardize(fast_data, 200_000)
    n = 100
    loop_gen = lecture_generator(data, 1440, 144, 0, 200_000, shuffle=True)
    fast_gen = timeseries.generator(data, 1440, 144, 0, 200_000, shuffle=True, seed=0)
    t_loop, _ = timed(lambda: [next(loop_gen) for _ in range(n)])
    t_fast, _ = timed(lambda: [next(fast_gen) for _ in range(n)], repeat=3)
    rows.append(("batch generator (lookback 1440, step 6, batch 128)", f"{n} batches", t_loop, t_fast))
    return rows


def run_suite(profile: str, jobs: int) -> dict:
    """Execute all notebooks with ``profile`` into build/bench-<profile> (notebooks/ untouched); wall time."""
    out = paths.BUILD / f"bench-{profile}"
    cmd = [sys.executable, "-m", "ch6.run", "--profile", profile, "--jobs", str(jobs), "--no-write-back",
           "--out", str(out)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    timings = json.loads((out / "timings.json").read_text()) if (out / "timings.json").exists() else {}
    return {"profile": profile, "jobs": jobs, "command": " ".join(["python -m ch6.run"] + cmd[3:]),
            "ok": proc.returncode == 0, "wall_seconds": round(wall, 1),
            "notebooks": timings.get("notebooks", []), "tail": proc.stdout.strip().splitlines()[-1:]}


def machine() -> dict:
    """The machine and library versions the figures were measured with."""
    import keras
    info = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "numpy": np.__version__, "keras": keras.__version__, "backend": keras.backend.backend()}
    try:
        import tensorflow as tf
        info["tensorflow"] = tf.__version__
    except ImportError:
        pass
    return info


def main(argv=None) -> int:
    """Command line: ``python -m ch6.bench [--skip-suites] [--jobs 2]``."""
    parser = argparse.ArgumentParser(prog="python -m ch6.bench", description=__doc__)
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at once in the suite runs")
    parser.add_argument("--skip-suites", action="store_true", help="only the data-preparation comparison")
    args = parser.parse_args(argv)
    folder = paths.BUILD / "bench-data"
    if not (folder / "jena_climate_2009_2016.csv").exists():
        print("making lecture-sized Jena data (420,551 rows) for the benchmark ...", flush=True)
        sample.make_jena(folder, "full")
    if not (folder / "glove.6B.50d.txt").exists():
        sample.make_glove(folder)
    report = {"machine": machine(), "measured": time.strftime("%Y-%m-%d %H:%M:%S"),
              "command": "python -m ch6.bench " + " ".join(argv if argv is not None else sys.argv[1:]),
              "data_preparation": [], "suites": []}
    print(f"\n(a) data preparation: lecture loop vs ch6 (target: >= 10x)")
    print(f"  {'task':<52} {'size':>16} {'loop s':>8} {'ch6 s':>8} {'ratio':>7}")
    for task, size, t_loop, t_fast in bench_data(folder):
        ratio = t_loop / t_fast
        report["data_preparation"].append({"task": task, "size": size, "lecture_loop_s": round(t_loop, 3),
                                           "ch6_s": round(t_fast, 3), "ratio": round(ratio, 1)})
        print(f"  {task:<52} {size:>16} {t_loop:8.2f} {t_fast:8.3f} {ratio:6.1f}x", flush=True)
    if not args.skip_suites:
        for profile, target in (("ci", 180), ("sample", 600)):
            res = run_suite(profile, args.jobs)
            res["target_seconds"] = target
            report["suites"].append(res)
            verdict = "met" if res["ok"] and res["wall_seconds"] <= target else "MISSED"
            print(f"({'b' if profile == 'ci' else 'c'}) {profile} profile, all notebooks, jobs={args.jobs}: "
                  f"{res['wall_seconds']:.0f} s (target <= {target} s: {verdict}){'' if res['ok'] else ' FAILED'}",
                  flush=True)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("results.json" if not args.skip_suites else "results-data.json")
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"written {out.relative_to(paths.REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
