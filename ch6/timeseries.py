"""The Jena temperature-forecasting data pipeline taught in 6-3-1: standardize, batch generator, naive baseline."""
import itertools

import keras
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


def first_batches_end(min_index, lookback, batch_size, steps):
    """The max_index for which a non-shuffled generator cycles over exactly its first ``steps`` batches."""
    return min_index + lookback + steps * batch_size + 1


def naive_mae(data, lookback, delay, min_index, max_index, steps, step=6, batch_size=128):
    """The common-sense baseline: the temperature `delay` rows later equals the last one seen; mean MAE over `steps` batches."""
    batches = generator(data, lookback, delay, min_index, max_index, batch_size=batch_size, step=step)
    maes = []
    for _ in range(steps):
        samples, targets = next(batches)
        maes.append(np.mean(np.abs(samples[:, -1, 1] - targets)))
    return float(np.mean(maes))


def eval_ranges(n_rows, lookback, batch_size, train_end, val_end, val_steps=0, test_steps=0):
    """``{"val": (min_index, max_index, steps), "test": (...)}`` for the validation and test generators.

    ``steps`` = 0: the lecture's count over the whole range (max_index ``val_end`` and ``None``, as in the lecture).
    A smaller positive number keeps only the first ``steps`` batches: the generator then cycles over exactly those,
    so every epoch is validated on the same rows and ``naive_mae`` over the same range is comparable."""
    ranges = {}
    for name, start, end, max_index, steps in (("val", train_end + 1, val_end, val_end, val_steps),
                                               ("test", val_end + 1, n_rows, None, test_steps)):
        full = lecture_steps(start, end, lookback, batch_size)
        if 0 < steps < full:
            ranges[name] = (start, first_batches_end(start, lookback, batch_size, steps), steps)
        else:
            ranges[name] = (start, max_index, full)
    return ranges


def take_batches(gen, steps):
    """Draw `steps` batches from a generator and stack them into one (samples, targets) pair of arrays."""
    batches = [next(gen) for _ in range(steps)]
    return np.concatenate([s for s, _ in batches]), np.concatenate([t for _, t in batches])


def eval_generator(data, lookback, delay, min_index, max_index, steps, full_steps, batch_size=128, step=6, seed=0):
    """The lecture's whole range in order (`steps` 0 or >= `full_steps`), else batches drawn at random from all of it."""
    if 0 < steps < full_steps:
        return generator(data, lookback, delay, min_index, max_index, shuffle=True, batch_size=batch_size, step=step,
                         seed=seed)
    return generator(data, lookback, delay, min_index, max_index, batch_size=batch_size, step=step)


def grouped(gen, steps, group):
    """The first `steps` batches of `gen`, `group` at a time (stacked; the last may hold fewer): for evaluate."""
    for start in range(0, steps, group):
        yield take_batches(gen, min(group, steps - start))


def naive_on(gen, steps):
    """The naive baseline's MAE on `steps` batches: the last temperature in each sample vs its target."""
    return float(np.mean([np.mean(np.abs(s[:, -1, 1] - t)) for s, t in itertools.islice(gen, steps)]))


class EvalBatches(keras.utils.PyDataset):
    """The first ``steps`` batches of a non-shuffled ``generator`` as a Keras PyDataset: every pass starts a fresh
    generator, so every epoch's validation (and every evaluate) sees the same batches in the same order.

    ``group`` > 1 hands Keras that many batches at once (the last item may hold fewer): the same samples and the
    same mean loss (Keras weights each batch's loss by its size), in fewer, larger steps."""

    def __init__(self, data, lookback, delay, min_index, max_index, steps, batch_size=128, step=6, group=1):
        super().__init__()
        self.args = (data, lookback, delay, min_index, max_index)
        self.kwargs = {"batch_size": batch_size, "step": step}
        self.steps, self.group = steps, group
        self.batches, self.next_index = None, 0

    def __len__(self):
        return -(-self.steps // self.group)                      # ceil(steps / group)

    def __getitem__(self, index):
        if self.batches is None or index != self.next_index:   # a new pass (or a jump): restart, skip ahead
            self.batches = generator(*self.args, **self.kwargs)
            for _ in range(index * self.group):
                next(self.batches)
        self.next_index = index + 1
        taken = [next(self.batches) for _ in range(min(self.group, self.steps - index * self.group))]
        return np.concatenate([s for s, _ in taken]), np.concatenate([t for _, t in taken])


def make_generators(data, lookback, step, delay, batch_size, train_end, val_end, seed=None, val_steps=0,
                    test_steps=0):
    """Training (shuffled), validation and test generators on the lecture's split, with val/test step counts.

    ``val_steps`` / ``test_steps``: 0 = the lecture's whole range, n > 0 = its first n batches (see ``eval_ranges``)."""
    ranges = eval_ranges(len(data), lookback, batch_size, train_end, val_end, val_steps, test_steps)
    (val_min, val_max, val_steps), (test_min, test_max, test_steps) = ranges["val"], ranges["test"]
    train_gen = generator(data, lookback, delay, 0, train_end, shuffle=True, batch_size=batch_size, step=step,
                          seed=seed)
    val_gen = generator(data, lookback, delay, val_min, val_max, batch_size=batch_size, step=step)
    test_gen = generator(data, lookback, delay, test_min, test_max, batch_size=batch_size, step=step)
    return train_gen, val_gen, test_gen, val_steps, test_steps


def make_eval_batches(data, lookback, step, delay, batch_size, train_end, val_end, val_steps=0, test_steps=0,
                      group=1):
    """Validation and test data for ``fit``/``evaluate`` as EvalBatches, on the same rows as ``make_generators``'
    val_gen / test_gen, ``group`` batches per step: (val_data, test_data)."""
    ranges = eval_ranges(len(data), lookback, batch_size, train_end, val_end, val_steps, test_steps)
    return tuple(EvalBatches(data, lookback, delay, *ranges[name], batch_size=batch_size, step=step, group=group)
                 for name in ("val", "test"))
