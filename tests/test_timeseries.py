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
    ranges = timeseries.eval_ranges(420_551, 1440, 128, 200_000, 300_000)
    assert ranges["val"] == (200_001, 300_000, 769)
    assert ranges["test"] == (300_001, None, (420_551 - 300_001 - 1440) // 128)


@pytest.mark.parametrize("min_index, max_index", [(200_001, 300_000), (1001, 2500)])
def test_whole_validation_range_is_one_cycle_of_distinct_batches(min_index, max_index):
    lookback, batch_size = 144, 128
    steps = timeseries.lecture_steps(min_index, max_index, lookback, batch_size)
    data = np.arange(max_index + 200, dtype="float64")[:, None].repeat(2, axis=1)
    gen = timeseries.generator(data, lookback, 10, min_index, max_index, batch_size=batch_size, step=6)
    firsts = [xs[0, -1, 0] for xs, _ in itertools.islice(gen, steps + 1)]
    assert len(set(firsts[:steps])) == steps          # every batch of the lecture's count is new ...
    assert firsts[steps] == firsts[0]                 # ... and the next one starts the range again


def test_limited_steps_cycle_over_exactly_the_first_batches(data):
    ranges = timeseries.eval_ranges(len(data), 60, 16, 1000, 2000, val_steps=5, test_steps=3)
    (vmin, vmax, vsteps), (tmin, tmax, tsteps) = ranges["val"], ranges["test"]
    assert (vmin, vsteps, tmin, tsteps) == (1001, 5, 2001, 3)
    gen = timeseries.generator(data, 60, 10, vmin, vmax, batch_size=16)
    ys = [y.tolist() for _, y in itertools.islice(gen, 10)]
    assert all(len(y) == 16 for y in ys) and ys[:5] == ys[5:]
    assert len({tuple(y) for y in ys}) == 5
    # more steps than the range holds: the lecture's whole range
    assert timeseries.eval_ranges(len(data), 60, 16, 1000, 2000, val_steps=10_000)["val"] == (1001, 2000, 58)


def test_make_generators_uses_the_split(data):
    train, val, test, val_steps, test_steps = timeseries.make_generators(data, 60, 6, 10, 16, 1000, 2000, seed=0)
    assert val_steps == (2000 - 1001 - 60) // 16 and test_steps == (3000 - 2001 - 60) // 16
    xs, ys = next(val)
    np.testing.assert_array_equal(xs[0, 0], data[1001])
    xs, ys = next(test)
    np.testing.assert_array_equal(xs[0, 0], data[2001])
    xs, ys = next(train)
    assert xs.shape == (16, 10, 5)
    *_, small_val, small_test = timeseries.make_generators(data, 60, 6, 10, 16, 1000, 2000, val_steps=4, test_steps=2)
    assert (small_val, small_test) == (4, 2)


def test_naive_mae_equals_a_direct_computation(data):
    lookback, delay, step, batch_size, steps = 120, 24, 6, 32, 5
    got = timeseries.naive_mae(data, lookback, delay, 1001, 2000, steps, step=step, batch_size=batch_size)
    rows = np.arange(1001 + lookback, 1001 + lookback + steps * batch_size)
    direct = np.mean(np.abs(data[rows - step, 1] - data[rows + delay, 1]))
    assert got == pytest.approx(float(direct), rel=1e-6)


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


@pytest.mark.parametrize("group", [1, 3, 8])
def test_eval_batches_hold_the_generator_batches_grouped_and_restart_every_pass(data, group):
    steps = 7
    val = timeseries.EvalBatches(data, 60, 10, 1001, 2000, steps, batch_size=16, group=group)
    assert len(val) == -(-steps // group)
    xs = np.concatenate([val[i][0] for i in range(len(val))])
    ys = np.concatenate([val[i][1] for i in range(len(val))])
    gen = timeseries.generator(data, 60, 10, 1001, 2000, batch_size=16)
    want = list(itertools.islice(gen, steps))
    np.testing.assert_array_equal(xs, np.concatenate([x for x, _ in want]))
    np.testing.assert_array_equal(ys, np.concatenate([y for _, y in want]))
    np.testing.assert_array_equal(val[0][1], ys[:16 * group])        # a second pass starts again
    np.testing.assert_array_equal(val[len(val) - 1][1], ys[16 * group * (len(val) - 1):])   # a jump skips ahead


def test_grouped_validation_gives_keras_the_same_mean_loss(data):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(10, 5)), keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile(loss="mae")
    losses = [model.evaluate(timeseries.EvalBatches(data, 60, 10, 1001, 2000, 7, batch_size=16, group=g),
                             verbose=0) for g in (1, 4)]
    gen = timeseries.generator(data, 60, 10, 1001, 2000, batch_size=16)
    per_batch = [np.mean(np.abs(model.predict(x, verbose=0)[:, 0] - y)) for x, y in itertools.islice(gen, 7)]
    assert losses[0] == pytest.approx(float(np.mean(per_batch)), rel=1e-5)   # the lecture's mean over batches
    assert losses[1] == pytest.approx(losses[0], rel=1e-6)


def test_grouped_hands_out_exactly_the_first_batches(data):
    gen = timeseries.generator(data, 60, 10, 1001, 2000, batch_size=16)
    want = list(itertools.islice(timeseries.generator(data, 60, 10, 1001, 2000, batch_size=16), 7))
    got = list(timeseries.grouped(gen, 7, 3))
    assert [len(y) for _, y in got] == [48, 48, 16]
    np.testing.assert_array_equal(np.concatenate([x for x, _ in got]), np.concatenate([x for x, _ in want]))
    assert timeseries.naive_on(iter(want), 7) == pytest.approx(
        float(np.mean([np.mean(np.abs(x[:, -1, 1] - y)) for x, y in want])))
