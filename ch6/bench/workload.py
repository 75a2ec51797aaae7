"""What the ``full`` profile trains: every model the notebooks fit, at the lecture's sizes, with its step counts.

``make bench`` times a few steps of each model on the machine at hand and multiplies by these counts to estimate the
full profile's training time (the measurement the notebooks themselves would take hours for on a CPU). The models are
the notebooks' own (tests/test_workload.py compares their parameter counts with what the notebooks assert).
"""
import math
from dataclasses import dataclass

from .. import params, timeseries

JENA_ROWS = 420_551                      # rows of the real file (and of ``make sample SIZE=full``)
IMDB_REVIEWS = 25_000                    # training reviews, and as many test reviews


@dataclass(frozen=True)
class Fit:
    """One ``fit`` of a notebook in the full profile, with the evaluation passes that go with it."""

    notebook: str
    name: str
    model: str              # a key of build()
    batch: int              # training batch size
    train_steps: int        # training steps over all epochs
    evals: tuple            # ((samples, batch size), ...): validation over all epochs, test, predict, as run here
    lecture_batch: int      # the batch size the lecture evaluates all of them with


def build(key, learning_rate=None):
    """A compiled Keras model for ``key`` ("gru", or "lstm@500" for IMDB with maxlen 500), as the notebook has it.

    RMSprop at the notebook's learning rate unless ``learning_rate`` is given (the probes try others)."""
    import keras
    from keras import layers as L

    def sigmoid():
        return L.Dense(1, activation="sigmoid")

    def conv_front():                                       # 6-4-4: the convolutions before the recurrent layer
        return [L.Conv1D(32, 5, activation="relu"), L.MaxPooling1D(3), L.Conv1D(32, 5, activation="relu")]

    stacks = {
        "dense": lambda: [L.Flatten(), L.Dense(32, activation="relu"), L.Dense(1)],
        "dense64": lambda: [L.Flatten(), L.Dense(64, activation="relu"), L.Dense(1)],
        "gru": lambda: [L.GRU(32), L.Dense(1)],
        "gru16": lambda: [L.GRU(16), L.Dense(1)],
        "gru_dropout": lambda: [L.GRU(32, dropout=0.2, recurrent_dropout=0.2), L.Dense(1)],
        "gru_input_dropout": lambda: [L.GRU(32, dropout=0.2), L.Dense(1)],            # the Jena probe only
        "gru_recurrent_dropout": lambda: [L.GRU(32, recurrent_dropout=0.2), L.Dense(1)],  # the Jena probe only
        "stacked_gru": lambda: [L.GRU(32, dropout=0.1, recurrent_dropout=0.5, return_sequences=True),
                                L.GRU(64, activation="relu", dropout=0.1, recurrent_dropout=0.5), L.Dense(1)],
        "bi_gru": lambda: [L.Bidirectional(L.GRU(32)), L.Dense(1)],
        "conv": lambda: conv_front() + [L.MaxPooling1D(3), L.Conv1D(32, 5, activation="relu"),
                                        L.GlobalMaxPooling1D(), L.Dense(1)],
        "cnn_gru": lambda: conv_front() + [L.GRU(32, dropout=0.1, recurrent_dropout=0.5), L.Dense(1)],
        "cnn_lstm": lambda: conv_front() + [L.LSTM(32, dropout=0.1, recurrent_dropout=0.5), L.Dense(1)],
        "flatten": lambda: [L.Embedding(10_000, 8), L.Flatten(), sigmoid()],
        "bag": lambda: [L.CategoryEncoding(num_tokens=10_000, output_mode="multi_hot"), sigmoid()],
        "glove_flatten": lambda: [L.Embedding(10_000, 100), L.Flatten(), L.Dense(32, activation="relu"), sigmoid()],
        "simple_rnn": lambda: [L.Embedding(10_000, 32), L.SimpleRNN(32), sigmoid()],
        "lstm": lambda: [L.Embedding(10_000, 32), L.LSTM(32), sigmoid()],
        "lstm128": lambda: [L.Embedding(10_000, 128), L.LSTM(32), sigmoid()],
        "bi_lstm": lambda: [L.Embedding(10_000, 32), L.Bidirectional(L.LSTM(32)), sigmoid()],
        "conv_imdb": lambda: [L.Embedding(10_000, 128), L.Conv1D(32, 7, activation="relu"), L.MaxPooling1D(5),
                              L.Conv1D(32, 7, activation="relu"), L.GlobalMaxPooling1D(), sigmoid()],
    }
    kind, shape = input_of(key)
    name = key.partition("@")[0]
    model = keras.Sequential([keras.Input(shape=shape, dtype="int32" if kind == "int" else "float32"),
                              *stacks[name]()])
    lr = learning_rate or (1e-4 if name == "conv_imdb" else 1e-3)   # 6-4-3's Conv1D at 1e-4, else RMSprop's default
    if kind == "float":                                     # Jena: RMSprop + MAE
        model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=lr), loss="mae")
    else:                                                   # IMDB: RMSprop + cross-entropy
        model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=lr), loss="binary_crossentropy",
                      metrics=["acc"])
    return model


def input_of(key):
    """("float" | "int", one sample's shape) for a build() key: Jena windows or IMDB sequences of ``@maxlen``."""
    name, _, maxlen = key.partition("@")
    return ("int", (int(maxlen),)) if maxlen else ("float", (240, 14))   # Jena: lookback 1440 // step 6


def fits() -> list:
    """Every fit of the full profile, its step counts taken from params/full.yaml and the lecture's split."""
    full = params.load_profile("full")["notebooks"]
    out = []

    def jena(nb, name, model, epochs, steps=None, eval_passes=None, test=True, predict=0):
        p = full[nb]
        steps = p["steps_per_epoch"] if steps is None else steps
        val = timeseries.lecture_steps(p["train_end"] + 1, p["val_end"], 1440, 128)
        test_batches = timeseries.lecture_steps(p["val_end"] + 1, JENA_ROWS, 1440, 128) if test else 0
        passes = epochs if eval_passes is None else eval_passes
        grouped = 128 * 8                                     # eval_group = 8: validation and test passes
        evals = ((128 * val * passes, grouped), (128 * test_batches, grouped), (128 * predict, 128))
        out.append(Fit(nb, name, model, 128, epochs * steps, evals, 128))

    p = full["6-3-1"]
    jena("6-3-1", "Dense(32) baseline", "dense", p["epochs"])
    jena("6-3-1", "exercise: Dense(64)", "dense64", 1, test=False)
    p = full["6-3-5"]
    jena("6-3-5", "GRU(32)", "gru", p["epochs"])
    jena("6-3-5", "exercise: GRU(16), 10 steps", "gru16", 1, steps=10, eval_passes=0, test=False)
    p = full["6-3-6"]
    jena("6-3-6", "GRU(32) + dropout", "gru_dropout", p["epochs"])
    if p["plain_epochs"]:
        jena("6-3-6", "GRU(32) control", "gru", p["plain_epochs"])
    jena("6-3-6", "exercise: GRU + light dropout, 10 steps", "gru_dropout", 1, steps=10, eval_passes=0, test=False)
    p = full["6-3-7"]
    jena("6-3-7", "stacked GRU(32)+GRU(64)", "stacked_gru", p["epochs"], predict=timeseries.lecture_steps(
        p["train_end"] + 1, p["val_end"], 1440, 128))
    p = full["6-3-8"]
    jena("6-3-8", "GRU(32) forward", "gru", p["epochs"])
    jena("6-3-8", "GRU(32) reversed", "gru", p["epochs"])
    jena("6-3-8", "bidirectional GRU(32)", "bi_gru", p["bi_epochs"])
    jena("6-3-8", "exercise: GRU(32), lr 0.01", "gru", 1, test=False)
    p = full["6-4-4"]
    jena("6-4-4", "Conv1D only", "conv", p["epochs"])
    jena("6-4-4", "Conv1D + GRU (step 3)", "cnn_gru", p["epochs"])
    jena("6-4-4", "exercise: Conv1D + LSTM", "cnn_lstm", 1, test=False)

    def imdb(nb, name, model, maxlen, epochs, batch, train=IMDB_REVIEWS, val=None, tests=1, test_batch=32):
        n_val = round(train * 0.2) if val is None else val    # validation_split=0.2, or a separate set
        steps = math.ceil((train - (n_val if val is None else 0)) / batch)
        evals = ((n_val * epochs, batch), (IMDB_REVIEWS * tests, test_batch))   # evaluate's default batch is 32
        out.append(Fit(nb, name, f"{model}@{maxlen}", batch, epochs * steps, evals, batch))

    p = full["6-1-2"]
    for name, maxlen in (("last 20 words", p["maxlen"]), ("first 20 words", p["maxlen"]),
                         ("500 words", p["maxlen_long"]), ("exercise: 100 words", 100)):
        imdb("6-1-2", f"Embedding(8) + Flatten, {name}", "flatten", maxlen, p["epochs"], p["batch_size"])
    imdb("6-1-2", "multi-hot bag of words", "bag", p["maxlen_long"], p["epochs"], p["batch_size"])
    p = full["6-1-3"]
    for name in ("frozen GloVe", "from scratch"):
        imdb("6-1-3", f"{name}, {p['training_samples']} reviews", "glove_flatten", p["maxlen"], p["epochs"],
             p["batch_size"], train=p["training_samples"], val=p["validation_samples"], tests=2)
    for name in ("frozen GloVe", "from scratch"):
        imdb("6-1-3", f"{name}, {p['n_repeats'] - 1} more seeds", "glove_flatten", p["maxlen"],
             p["epochs"] * (p["n_repeats"] - 1), p["batch_size"], train=p["training_samples"], val=0,
             tests=p["n_repeats"] - 1, test_batch=256)
        imdb("6-1-3", f"{name}, {p['more_training_samples']} reviews", "glove_flatten", p["maxlen"], p["epochs"],
             p["batch_size"], train=p["more_training_samples"], val=0, tests=1, test_batch=256)
    p = full["6-2"]
    for model in ("simple_rnn", "lstm"):
        imdb("6-2", f"{model}(32)", model, p["maxlen"], p["epochs"], p["batch_size"], tests=0)
    p = full["6-3-8"]
    for name, model in (("LSTM forward", "lstm128"), ("LSTM reversed", "lstm128"), ("bidirectional LSTM", "bi_lstm")):
        imdb("6-3-8", name, model, p["maxlen"], p["imdb_epochs"], 128, test_batch=128)
    p = full["6-4-3"]
    imdb("6-4-3", "Conv1D", "conv_imdb", p["maxlen"], p["epochs"], p["batch_size"], tests=0)
    if p["compare_rnn"]:
        for model in ("simple_rnn", "lstm"):
            imdb("6-4-3", f"{model}(32), 2 epochs for timing", model, p["maxlen"], 2, p["batch_size"], tests=0)
    return out
