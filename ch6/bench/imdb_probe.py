"""Probe the IMDB half of 6-3-8 outside the notebook: reversed, forward and bidirectional LSTMs on one sample.

``python -m ch6.bench.imdb_probe --seed 7 --epochs 6 --learning-rate 5e-4`` trains the lecture's three LSTMs
(the notebook's order and split) and prints each one's validation accuracy per epoch, then which epoch
counts would hold ``6-3-8/reversed_lstm_close`` and ``6-3-8/bidirectional_lstm_close``.
"""
import argparse
import time

from ch6.data import SEED

from . import probe_cli

#: name -> (``workload.build`` key, read the review reversed), in the notebook's order
MODELS = {"reversed": ("lstm128", True), "forward": ("lstm128", False), "bidirectional": ("bi_lstm", False)}


def probe(args) -> dict:
    """Train the three LSTMs on one sample; return their validation accuracy per epoch."""
    import keras

    from ch6 import paths
    from ch6.data import loaders
    from ch6.lessons import judge

    from . import workload

    folder = paths.sample_folder("small", args.seed)
    (x_train, y_train), _ = loaders.load_imdb(folder, num_words=10_000)
    if args.samples:
        x_train, y_train = x_train[:args.samples], y_train[:args.samples]
    out = {"seed": args.seed, "training_seed": args.training_seed, "models": {}}
    keras.utils.set_random_seed(args.training_seed)
    for name, (key, reverse) in MODELS.items():
        model = workload.build(f"{key}@{args.maxlen}", args.learning_rate)   # the notebook's model (tested count)
        x = keras.utils.pad_sequences([s[::-1] if reverse else s for s in x_train], maxlen=args.maxlen)
        start = time.perf_counter()
        history = model.fit(x, y_train, epochs=args.epochs, batch_size=args.batch,
                            validation_split=args.validation_split, verbose=0)
        val = [round(float(v), 4) for v in history.history["val_acc"]]
        out["models"][name] = {"val_acc": val, "s_per_epoch": round((time.perf_counter() - start) / args.epochs, 2)}
        print(f"{name}: val_acc {val}", flush=True)
    val = {name: m["val_acc"] for name, m in out["models"].items()}
    out["holds"] = [[judge("6-3-8/reversed_lstm_close", forward_val=val["forward"][k],
                           reversed_val=val["reversed"][k])["holds"],
                     judge("6-3-8/bidirectional_lstm_close", forward_val=val["forward"][k],
                           bidirectional_val=val["bidirectional"][k])["holds"]] for k in range(args.epochs)]
    return out


def main(argv=None) -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m ch6.bench.imdb_probe", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED, help="the sample data's seed (make sample SEED=N)")
    parser.add_argument("--samples", type=int, default=0, help="training reviews (0: all)")
    parser.add_argument("--maxlen", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=5e-4)
    parser.add_argument("--validation-split", type=float, default=0.2)
    probe_cli.run(parser, argv, probe, report)


def report(result: dict) -> str:
    """One line: after each epoch count, + or - for the reversed and the bidirectional lesson."""
    marks = " ".join(f"{k + 1}:{'+' if r else '-'}{'+' if b else '-'}" for k, (r, b) in enumerate(result["holds"]))
    return f"lessons (reversed, bidirectional) after each epoch count: {marks}"


if __name__ == "__main__":
    main()
