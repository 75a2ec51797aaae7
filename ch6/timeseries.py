"""The Jena temperature-forecasting pipeline: standardize, the batch generator, one evaluation protocol, training.

Every Jena notebook validates and tests every model and the naive baseline on the same arrays made by
``evaluation_set`` (rows spread evenly over the whole range); 6-3-1 and 6-3-5 teach these functions in view.
"""
import time

import keras
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator


def standardize(float_data, train_rows):
    """Standardize every column with the mean and std of the first ``train_rows`` rows only."""
    mean = float_data[:train_rows].mean(axis=0)
    std = float_data[:train_rows].std(axis=0)
    return (float_data - mean) / std, mean, std


def generator(data, lookback, delay, min_index, max_index, shuffle=False, batch_size=128, step=6, seed=None):
    """Yield (samples, targets) batches forever: samples are `lookback` rows every `step`, target the temperature `delay` rows later."""
    if max_index is None:
        max_index = len(data) - delay - 1
    if shuffle and seed is None:                       # follow NumPy's global state (keras.utils.set_random_seed)
        seed = int(np.random.randint(2**31 - 1))
    rng = np.random.default_rng(seed)
    offsets = np.arange(-lookback, 0, step)            # the time steps of one sample, relative to its row
    i = min_index + lookback
    while True:
        if shuffle:
            rows = rng.integers(min_index + lookback, max_index, size=batch_size)
        else:
            if i + batch_size >= max_index:
                i = min_index + lookback
            rows = np.arange(i, min(i + batch_size, max_index))
            i += len(rows)
        samples = np.take(data, rows[:, None] + offsets, axis=0)   # (len(rows), lookback // step, features) at once
        targets = data[rows + delay, 1]                # column 1 is the temperature
        yield samples, targets


def lecture_steps(min_index, end, lookback, batch_size):
    """How many batches the lecture draws from rows ``min_index`` .. ``end``: (end - min_index - lookback) // batch_size."""
    return (end - min_index - lookback) // batch_size


def evaluation_set(data, lookback, delay, min_index, max_index, n_samples=0, step=6):
    """Validation or test arrays (samples, targets): `n_samples` rows spread evenly over the whole range; 0 = every row."""
    if max_index is None:
        max_index = len(data) - delay - 1
    first = min_index + lookback                       # the first row the lecture's generator uses
    if 0 < n_samples < max_index - first:
        rows = np.linspace(first, max_index - 1, n_samples).round().astype(int)
    else:
        rows = np.arange(first, max_index)
    samples = np.take(data, rows[:, None] + np.arange(-lookback, 0, step), axis=0)
    return samples, data[rows + delay, 1]


def naive_mae(samples, targets):
    """The common-sense baseline on an evaluation set: the temperature `delay` later equals the last one seen."""
    return float(np.mean(np.abs(samples[:, -1, 1] - targets)))


def train_jena(model, train_batches, validation, epochs, steps_per_epoch, learning_rate=0.001):
    """Compile with RMSprop (default rate 0.001) and MAE, fit on a training generator, validate each epoch on fixed
    arrays: (history, s/epoch)."""
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate), loss="mae")
    start = time.perf_counter()
    history = model.fit(train_batches, steps_per_epoch=steps_per_epoch, epochs=epochs, validation_data=validation,
                        validation_batch_size=1024, shuffle=False, verbose=2)   # the generator already shuffles
    return history, (time.perf_counter() - start) / epochs


def best_mae(history):
    """(best validation MAE, its epoch counted from 1) of a training run."""
    val = history.history["val_loss"]
    best = int(np.argmin(val))
    return float(val[best]), best + 1


def plot_mae(runs, naive_val, celsius, title, training=True, ymax=None):
    """Validation MAE per epoch of each run (training MAE as dots), the naive baseline dashed, a °C axis on the right.

    ``ymax`` caps the MAE axis, so that the first epochs of a slow start do not flatten the rest."""
    fig, ax = plt.subplots(figsize=(8, 4))
    for (label, history), color in zip(runs.items(), plt.rcParams["axes.prop_cycle"].by_key()["color"]):
        val = history.history["val_loss"]
        epochs = range(1, len(val) + 1)
        ax.plot(epochs, val, "-", color=color, label=f"{label}: validation")
        if training:
            ax.plot(epochs, history.history["loss"], "o", color=color, markersize=4, label=f"{label}: training")
    ax.axhline(naive_val, color="gray", linestyle="--", label=f"naive baseline ({naive_val:.3f})")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("MAE (standardized)")
    ax.secondary_yaxis("right", functions=(lambda v: v * celsius, lambda v: v / celsius)).set_ylabel("MAE (°C)")
    if ymax is not None:
        ax.set_ylim(top=ymax)
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.12, 1.0), fontsize=8)
    fig.tight_layout()
    plt.show()


def row_date(timestamps, row):
    """The date (YYYY-MM-DD) of a row of the Jena file, from ``loaders.load_jena``'s timestamps."""
    return str(timestamps[row])[:10]


def season_note(label, model_test, naive_test, timestamps, train_start, train_end, val_end):
    """One Markdown paragraph on a model's test MAE; where it loses to the baseline, name the seasons it never saw."""
    text = f"**本次執行**：{label} 的測試 MAE 是 {model_test:.4f}，常識性基準是 {naive_test:.4f}。"
    if model_test <= naive_test:
        return text + "模型在測試範圍也比基準好。"
    seen = f"{row_date(timestamps, train_start)} 到 {row_date(timestamps, train_end)}"
    unseen = f"{row_date(timestamps, val_end)} 之後到 {row_date(timestamps, len(timestamps) - 1)}"
    return (text + f"模型比基準差：模型只看過 {seen} 的天氣，測試範圍 ({unseen}) 大多是它沒看過的季節。"
            "資料的分布改變 (distribution shift) 時，驗證集上的好成績不會自動延續；講義用好幾年的資料訓練，四季都看過。")
