"""The Jena temperature-forecasting data pipeline taught in 6-3-1: standardize, batch generator, naive baseline."""
import numpy as np


def standardize(float_data, train_rows):
    """Standardize every column with the mean and std of the first ``train_rows`` rows only."""
    mean = float_data[:train_rows].mean(axis=0)
    std = float_data[:train_rows].std(axis=0)
    return (float_data - mean) / std, mean, std


def generator(data, lookback, delay, min_index, max_index, shuffle=False, batch_size=128, step=6, seed=None):
    """Yield (samples, targets) batches forever: samples are `lookback` rows every `step`, target the temperature `delay` rows later."""
    if max_index is None:
        max_index = len(data) - delay - 1
    rng = np.random.default_rng(seed)
    offsets = np.arange(-lookback, 0, step)
    i = min_index + lookback
    while True:
        if shuffle:
            rows = rng.integers(min_index + lookback, max_index, size=batch_size)
        else:
            if i + batch_size >= max_index:
                i = min_index + lookback
            rows = np.arange(i, min(i + batch_size, max_index))
            i += len(rows)
        samples = data[rows[:, None] + offsets]
        targets = data[rows + delay][:, 1]
        yield samples, targets


def naive_mae(data, lookback, delay, min_index, max_index, steps, step=6, batch_size=128):
    """The common-sense baseline: the temperature `delay` rows later equals the last one seen; mean MAE over `steps` batches."""
    batches = generator(data, lookback, delay, min_index, max_index, batch_size=batch_size, step=step)
    maes = []
    for _ in range(steps):
        samples, targets = next(batches)
        maes.append(np.mean(np.abs(samples[:, -1, 1] - targets)))
    return float(np.mean(maes))


def make_generators(data, lookback, step, delay, batch_size, train_end, val_end, seed=None):
    """Training (shuffled), validation and test generators on the lecture's split, with val/test step counts."""
    train_gen = generator(data, lookback, delay, 0, train_end, shuffle=True, batch_size=batch_size, step=step,
                          seed=seed)
    val_gen = generator(data, lookback, delay, train_end + 1, val_end, batch_size=batch_size, step=step)
    test_gen = generator(data, lookback, delay, val_end + 1, None, batch_size=batch_size, step=step)
    val_steps = (val_end - train_end - 1 - lookback) // batch_size
    test_steps = (len(data) - val_end - 1 - lookback) // batch_size
    return train_gen, val_gen, test_gen, val_steps, test_steps
