"""Probe the Jena lessons outside the notebooks: one weather seed, one split and budget, the lecture's models.

``python -m ch6.bench.jena_probe --seed 7 --train 18000:30000 --val-end 37000 --batch 128 --steps 25
--models gru=16,dropout=24`` prints each model's validation MAE per epoch and its best against the naive
baseline, with the notebooks' protocol (``ch6.timeseries``). Weather variants: ``--advection-lag 24`` (the warming
follows the wind a day later), ``--moisture 0.12`` (humid southerly air). ``--train 24000:28000`` trains on rows that
do not start at 0. The runs behind ``benchmarks/jena-probes.md`` were made with it.
"""
import argparse
import time

import numpy as np

from . import probe_cli

#: name -> (``workload.build`` key, generator step, lookback, read the sequence reversed); 240 time steps each
MODELS = {
    "dense": ("dense", 6, 1440, False),
    "gru": ("gru", 6, 1440, False),
    "dropout": ("gru_dropout", 6, 1440, False),
    "input_dropout": ("gru_input_dropout", 6, 1440, False),
    "recurrent_dropout": ("gru_recurrent_dropout", 6, 1440, False),
    "stacked": ("stacked_gru", 6, 1440, False),
    "reversed": ("gru", 6, 1440, True),
    "bigru": ("bi_gru", 6, 1440, False),
    "conv": ("conv", 6, 1440, False),
    "cnn_gru": ("cnn_gru", 3, 720, False),
}


def weather(seed: int, advection_lag: int = 0, moisture: float = 0.0) -> np.ndarray:
    """The small sample's 14 Jena columns (before rounding) for one seed, as the generator makes them or a variant."""
    from ch6.data import sample_weather

    days = sample_weather.SIZES["small"]["jena_days"]
    columns = sample_weather.jena_columns(days, sample_weather.jena_rng(seed), advection_lag, moisture)
    return np.column_stack(list(columns.values()))


def probe(args) -> dict:
    """Train each requested model on one split and budget; return the naive MAE and the validation curves."""
    import keras

    from ch6.timeseries import evaluation_set, generator, naive_mae, standardize

    from . import workload

    train_start, train_end = (int(x) for x in args.train.split(":"))
    raw = weather(args.seed, args.advection_lag, args.moisture)
    data, _, std = standardize(raw, train_end)
    val_start = args.val_start or train_end + 1
    x_val, y_val = evaluation_set(data, 1440, 144, val_start, args.val_end, args.val_samples)
    out = {"seed": args.seed, "naive": naive_mae(x_val, y_val), "celsius": float(std[1]), "models": {}}
    for item in args.models.split(","):
        name, epochs = item.split("=")
        key, step, lookback, reverse = MODELS[name]
        keras.utils.set_random_seed(args.training_seed)
        model = workload.build(key, args.learning_rate)    # the notebook's model, compiled with RMSprop and MAE
        batches = generator(data, lookback, 144, train_start, train_end, shuffle=True, batch_size=args.batch,
                            step=step, seed=args.training_seed)
        x, y = evaluation_set(data, lookback, 144, val_start, args.val_end, args.val_samples, step=step)
        if reverse:
            batches, x = ((s[:, ::-1], t) for s, t in batches), x[:, ::-1]
        start = time.perf_counter()
        history = model.fit(batches, steps_per_epoch=args.steps, epochs=int(epochs), validation_data=(x, y),
                            validation_batch_size=1024, shuffle=False, verbose=0)
        val = [round(float(v), 4) for v in history.history["val_loss"]]
        out["models"][name] = {"val": val, "loss": [round(float(v), 4) for v in history.history["loss"]],
                               "s_per_epoch": round((time.perf_counter() - start) / int(epochs), 2)}
        best = min(val)
        print(f"{name}: best {best:.4f} ({best / out['naive']:.2f} × naive) at epoch {val.index(best) + 1}/{epochs}, "
              f"last {val[-1]:.4f} ({val[-1] / best:.2f} × best); val {val}", flush=True)
    return out


def dropout_budgets(plain: list, dropout: list, shortest: int = 4) -> list:
    """The (plain epochs, dropout epochs) budgets, dropout ≥ plain, at which both 6-3-6 lessons hold on these curves.

    A run of N epochs is the first N epochs of a longer one (same seed, same batches), so one long run per model
    answers every shorter budget."""
    from ch6.lessons import judge

    out = []
    for p in range(shortest, len(plain) + 1):
        best = min(plain[:p])
        overfits = judge("6-3-6/plain_overfits", plain_best_val=best, plain_last_val=plain[p - 1],
                         plain_best_epoch=plain.index(best) + 1, plain_epochs=p)["holds"]
        for d in range(p, len(dropout) + 1) if overfits else ():
            if judge("6-3-6/dropout_curbs_overfitting", dropout_best_val=min(dropout[:d]),
                     dropout_last_val=dropout[d - 1], plain_best_val=best)["holds"]:
                out.append((p, d))
    return out


def report(result: dict) -> str:
    """The naive baseline and, when both GRUs ran, the budgets at which the 6-3-6 lessons hold."""
    line = f"naive {result['naive']:.4f} ({result['naive'] * result['celsius']:.2f} °C)"
    models = result["models"]
    if "gru" in models and "dropout" in models:
        pairs = dropout_budgets(models["gru"]["val"], models["dropout"]["val"])
        line += f"\n6-3-6 lessons hold at {len(pairs)} (plain, dropout) epoch budgets: {pairs[:20]}"
    return line


def main(argv=None) -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m ch6.bench.jena_probe", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2026, help="the weather generator's seed")
    parser.add_argument("--advection-lag", type=int, default=0, help="hours between the wind and its warming")
    parser.add_argument("--moisture", type=float, default=0.0, help="humidity follows the southerly wind (log factor per m/s)")
    parser.add_argument("--train", default="0:25000", help="training rows START:END")
    parser.add_argument("--val-start", type=int, default=0, help="first validation row (0: right after training)")
    parser.add_argument("--val-end", type=int, default=32000)
    parser.add_argument("--val-samples", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=50, help="steps per epoch")
    parser.add_argument("--models", default="gru=8", help="NAME=EPOCHS,... of " + ", ".join(MODELS))
    parser.add_argument("--learning-rate", type=float, default=0.0, help="RMSprop learning rate (0: the default 1e-3)")
    probe_cli.run(parser, argv, probe, report)


if __name__ == "__main__":
    main()
