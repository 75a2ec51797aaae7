"""The Jena pipeline (ch6.timeseries): the vectorized generator equals the lecture's loop, baselines, splits."""
import itertools

import numpy as np
import pytest

from ch6 import timeseries
from ch6.bench.lecture_loops import lecture_generator


@pytest.fixture(scope="module")
def data():
    return np.random.default_rng(1).normal(size=(3000, 5)).astype("float32")


@pytest.mark.parametrize("lookback, step, delay, batch_size, min_index, max_index", [
    (120, 6, 24, 16, 0, 1000),
    (60, 3, 10, 7, 1001, 1500),
    (90, 1, 5, 32, 1501, None),
])
def test_sequential_batches_equal_the_lecture_loop(data, lookback, step, delay, batch_size, min_index, max_index):
    fast = timeseries.generator(data, lookback, delay, min_index, max_index, batch_size=batch_size, step=step)
    loop = lecture_generator(data, lookback, delay, min_index, max_index, batch_size=batch_size, step=step)
    for (xs, ys), (xl, yl) in itertools.islice(zip(fast, loop), 60):   # 60 batches: wraps around at least once
        assert xs.shape == (len(ys), lookback // step, data.shape[1])
        np.testing.assert_array_equal(xs, xl)
        np.testing.assert_array_equal(ys, yl)


def test_shuffled_batches_equal_the_lecture_loop_for_the_same_rows(data):
    fast = timeseries.generator(data, 120, 24, 0, 1000, shuffle=True, batch_size=16, step=6, seed=7)
    loop = lecture_generator(data, 120, 24, 0, 1000, shuffle=True, batch_size=16, step=6,
                             rng=np.random.default_rng(7))
    for (xs, ys), (xl, yl) in itertools.islice(zip(fast, loop), 10):
        np.testing.assert_array_equal(xs, xl)
        np.testing.assert_array_equal(ys, yl)


def test_targets_are_the_temperature_delay_rows_after_the_window(data):
    xs, ys = next(timeseries.generator(data, 120, 24, 0, 1000, batch_size=4, step=6))
    rows = np.arange(120, 124)
    np.testing.assert_array_equal(ys, data[rows + 24, 1])
    np.testing.assert_array_equal(xs[:, -1], data[rows - 6])      # last input step: `step` rows before the row
    np.testing.assert_array_equal(xs[:, 0], data[rows - 120])


def test_shuffle_is_deterministic_with_a_seed_and_follows_numpy_without_one(data):
    def first(gen, n=3):
        return [y.tolist() for _, y in itertools.islice(gen, n)]

    same = [first(timeseries.generator(data, 60, 10, 0, 1000, shuffle=True, batch_size=8, seed=3)) for _ in range(2)]
    other = first(timeseries.generator(data, 60, 10, 0, 1000, shuffle=True, batch_size=8, seed=4))
    assert same[0] == same[1] and same[0] != other
    runs = []
    for _ in range(2):
        np.random.seed(11)
        runs.append(first(timeseries.generator(data, 60, 10, 0, 1000, shuffle=True, batch_size=8)))
    assert runs[0] == runs[1]


def test_shuffled_rows_stay_inside_the_range(data):
    gen = timeseries.generator(data, 60, 10, 500, 900, shuffle=True, batch_size=256, step=6, seed=0)
    xs, ys = next(gen)
    rows = set()
    for y in ys:
        rows |= set(np.flatnonzero(data[:, 1] == y).tolist())
    targets = np.array(sorted(rows)) - 10
    assert targets.min() >= 560 and targets.max() < 900


def test_lecture_step_counts():
    assert timeseries.lecture_steps(200_001, 300_000, 1440, 128) == (300_000 - 200_001 - 1440) // 128 == 769


@pytest.mark.parametrize("min_index, max_index", [(200_001, 300_000), (1001, 2500)])
def test_whole_validation_range_is_one_cycle_of_distinct_batches(min_index, max_index):
    lookback, batch_size = 144, 128
    steps = timeseries.lecture_steps(min_index, max_index, lookback, batch_size)
    data = np.arange(max_index + 200, dtype="float64")[:, None].repeat(2, axis=1)
    gen = timeseries.generator(data, lookback, 10, min_index, max_index, batch_size=batch_size, step=6)
    firsts = [xs[0, -1, 0] for xs, _ in itertools.islice(gen, steps + 1)]
    assert len(set(firsts[:steps])) == steps          # every batch of the lecture's count is new ...
    assert firsts[steps] == firsts[0]                 # ... and the next one starts the range again


def rows_of(samples, step):
    """The row of each sample of an evaluation set built on ``np.arange`` data (last input = row - step)."""
    return samples[:, -1, 0].astype(int) + step


@pytest.fixture(scope="module")
def ramp():
    return np.arange(5000, dtype="float64")[:, None].repeat(3, axis=1)


def test_evaluation_set_spreads_its_rows_over_the_whole_range(ramp):
    xs, ys = timeseries.evaluation_set(ramp, 120, 24, 1001, 3000, 50, step=6)
    rows = rows_of(xs, 6)
    assert xs.shape == (50, 20, 3) and ys.shape == (50,)
    assert rows[0] == 1001 + 120 and rows[-1] == 2999                # first and last row of the lecture's range
    gaps = np.diff(rows)
    assert gaps.min() >= 38 and gaps.max() <= 39                       # evenly spaced, not the first consecutive rows
    np.testing.assert_array_equal(ys, rows + 24)                       # target: temperature column `delay` later
    np.testing.assert_array_equal(xs[:, 0, 0], rows - 120)


def test_evaluation_set_zero_or_too_many_means_every_row(ramp):
    every, _ = timeseries.evaluation_set(ramp, 60, 10, 1001, 2000, 0)
    np.testing.assert_array_equal(rows_of(every, 6), np.arange(1061, 2000))
    more, _ = timeseries.evaluation_set(ramp, 60, 10, 1001, 2000, 10_000)
    np.testing.assert_array_equal(more, every)
    test_x, test_y = timeseries.evaluation_set(ramp, 60, 10, 3001, None, 0)
    assert rows_of(test_x, 6)[-1] == len(ramp) - 10 - 2 and test_y[-1] == len(ramp) - 2   # max_index None: as the generator


def test_evaluation_set_matches_the_generator_rows(data):
    gen = timeseries.generator(data, 60, 10, 1001, 2000, batch_size=16)
    gx, gy = next(gen)
    xs, ys = timeseries.evaluation_set(data, 60, 10, 1001, 2000, 0)
    np.testing.assert_array_equal(xs[:16], gx)
    np.testing.assert_array_equal(ys[:16], gy)


def test_naive_mae_equals_a_direct_computation(data):
    xs, ys = timeseries.evaluation_set(data, 120, 24, 1001, 2000, 100, step=6)
    rows = rows_of(timeseries.evaluation_set(np.arange(3000.0)[:, None].repeat(2, axis=1), 120, 24, 1001, 2000, 100)[0], 6)
    direct = np.mean(np.abs(data[rows - 6, 1] - data[rows + 24, 1]))
    assert timeseries.naive_mae(xs, ys) == pytest.approx(float(direct), rel=1e-6)


def test_train_jena_validates_every_epoch_on_the_fixed_arrays(data):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(10, 5)), keras.layers.Flatten(), keras.layers.Dense(1)])
    val = timeseries.evaluation_set(data, 60, 10, 1001, 2000, 64)
    gen = timeseries.generator(data, 60, 10, 0, 1000, shuffle=True, batch_size=16, seed=0)
    history, seconds = timeseries.train_jena(model, gen, val, 3, 4)
    assert len(history.history["val_loss"]) == 3 and seconds > 0
    direct = np.mean(np.abs(model.predict(val[0], verbose=0)[:, 0] - val[1]))
    assert history.history["val_loss"][-1] == pytest.approx(float(direct), rel=1e-5)
    best, epoch = timeseries.best_mae(history)
    assert best == min(history.history["val_loss"]) and history.history["val_loss"][epoch - 1] == best


def test_standardize_uses_only_the_training_rows():
    rng = np.random.default_rng(0)
    data = np.concatenate([rng.normal(5, 2, size=(1000, 3)), rng.normal(100, 50, size=(500, 3))])
    scaled, mean, std = timeseries.standardize(data, 1000)
    np.testing.assert_allclose(mean, data[:1000].mean(axis=0))
    np.testing.assert_allclose(std, data[:1000].std(axis=0))
    np.testing.assert_allclose(scaled[:1000].mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(scaled[:1000].std(axis=0), 1)
    assert scaled[1000:].mean() > 10          # the later rows are not rescaled to mean 0
    np.testing.assert_allclose(scaled * std + mean, data)


def test_plot_mae_caps_the_axis_only_when_asked():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    class History:
        history = {"loss": [3.0, 0.5, 0.3], "val_loss": [2.5, 0.4, 0.35]}

    timeseries.plot_mae({"run": History()}, 0.3, 7.0, "t")
    free = plt.gcf().axes[0].get_ylim()[1]
    timeseries.plot_mae({"run": History()}, 0.3, 7.0, "t", ymax=0.48)
    capped = plt.gcf().axes[0].get_ylim()[1]
    plt.close("all")
    assert free > 3.0 and capped == 0.48


def test_row_date_and_season_note():
    stamps = np.array(["2009-05-06T00:10", "2009-07-28T00:10", "2009-09-14T00:10", "2011-01-01T00:00"],
                      dtype="datetime64[m]")
    assert timeseries.row_date(stamps, 1) == "2009-07-28"
    worse = timeseries.season_note("GRU", 0.5568, 0.35, stamps, 0, 1, 2)
    assert "GRU 的測試 MAE 是 0.5568，常識性基準是 0.3500" in worse
    assert "模型只看過 2009-05-06 到 2009-07-28 的天氣" in worse and "(2009-09-14 之後到 2011-01-01)" in worse
    assert "distribution shift" in worse
    better = timeseries.season_note("GRU", 0.30, 0.35, stamps, 0, 1, 2)
    assert better.endswith("模型在測試範圍也比基準好。") and "distribution shift" not in better
