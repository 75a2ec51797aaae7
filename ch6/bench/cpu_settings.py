"""CPU settings side by side (SPEC §9): TensorFlow's oneDNN on/off, thread counts and (if installed) JAX.

Each setting runs in its own process, because the environment must be set before the backend is imported.
A worker times training steps (batch 128) of the lecture's IMDB models as ``ch6.bench.workload`` builds them.
``python -m ch6.bench.cpu_settings [--steps 8] [--rounds 2]``; ``make bench`` runs it as the part ``cpu``.
"""
import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

MODELS = ("conv_imdb@500", "lstm@500", "simple_rnn@500", "flatten@20")   # 6-4-3, 6-2, 6-2, 6-1-2
BATCH = 128
#: name -> (environment, intra-op threads (0: the backend's default))
SETTINGS = {
    "tf oneDNN off": ({"KERAS_BACKEND": "tensorflow", "TF_ENABLE_ONEDNN_OPTS": "0"}, 0),
    "tf oneDNN on": ({"KERAS_BACKEND": "tensorflow", "TF_ENABLE_ONEDNN_OPTS": "1"}, 0),
    "tf oneDNN off, 1 thread": ({"KERAS_BACKEND": "tensorflow", "TF_ENABLE_ONEDNN_OPTS": "0"}, 1),
    "tf oneDNN on, 1 thread": ({"KERAS_BACKEND": "tensorflow", "TF_ENABLE_ONEDNN_OPTS": "1"}, 1),
    "jax": ({"KERAS_BACKEND": "jax"}, 0),
}


def set_threads(threads: int) -> None:
    """Limit TensorFlow to ``threads`` intra- and inter-op threads (0, or another backend: leave as is)."""
    import keras

    if threads and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def worker(models: list, steps: int, threads: int) -> dict:
    """Median milliseconds per training step of each model, in this process's settings."""
    import keras

    set_threads(threads)
    from . import workload

    keras.utils.set_random_seed(0)
    times = {}
    for key in models:
        model = workload.build(key)
        _, shape = workload.input_of(key)
        x = np.random.default_rng(0).integers(1, 10_000, size=(BATCH, *shape)).astype("int32")
        y = np.random.default_rng(1).integers(0, 2, size=(BATCH, 1)).astype("float32")
        model.train_on_batch(x, y)                                    # builds the graph
        laps = []
        for _ in range(steps):
            start = time.perf_counter()
            model.train_on_batch(x, y)
            laps.append(time.perf_counter() - start)
        times[key] = round(1000 * statistics.median(laps), 1)
    return times


def run_setting(name: str, models: list, steps: int) -> dict | None:
    """Run one worker process with the setting's environment; None if its backend is not installed."""
    env_vars, threads = SETTINGS[name]
    if env_vars["KERAS_BACKEND"] == "jax" and importlib.util.find_spec("jax") is None:
        return None
    env = {**os.environ, **env_vars, "TF_CPP_MIN_LOG_LEVEL": "2"}
    cmd = [sys.executable, "-m", "ch6.bench.cpu_settings", "--worker", "--steps", str(steps),
           "--threads", str(threads), "--models", ",".join(models)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(models=MODELS, steps: int = 8, rounds: int = 2) -> dict:
    """ms per step for every setting and model: the best of ``rounds`` runs taken in turn (the machine is shared)."""
    best = {}
    for _ in range(rounds):
        for name in SETTINGS:
            found = run_setting(name, list(models), steps)
            if found is None:
                continue
            row = best.setdefault(name, {})
            for key, ms in found.items():
                row[key] = min(ms, row.get(key, float("inf")))
    return {"batch": BATCH, "steps": steps, "rounds": rounds, "ms_per_step": best,
            "missing": [n for n in SETTINGS if n not in best]}


def print_table(result: dict) -> None:
    """The settings side by side, one row per setting, one column per model."""
    models = list(next(iter(result["ms_per_step"].values())))
    print(f"  {'setting':<26}" + "".join(f"{m:>16}" for m in models) + "   (ms per training step, batch 128)")
    for name, row in result["ms_per_step"].items():
        print(f"  {name:<26}" + "".join(f"{row[m]:16.1f}" for m in models))
    for name in result["missing"]:
        print(f"  {name:<26} (backend not installed)")


def main(argv=None) -> int:
    """Command line: compare the settings (or, with --worker, time one)."""
    parser = argparse.ArgumentParser(prog="python -m ch6.bench.cpu_settings", description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--models", default=",".join(MODELS), help="workload keys (default: the IMDB models)")
    parser.add_argument("--steps", type=int, default=8, help="timed training steps per model")
    parser.add_argument("--rounds", type=int, default=2, help="runs of every setting, taken in turn")
    args = parser.parse_args(argv)
    models = [m for m in args.models.split(",") if m]
    if args.worker:
        print(json.dumps(worker(models, args.steps, args.threads)))
        return 0
    print_table(compare(models, args.steps, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
