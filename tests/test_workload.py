"""The full-profile workload behind the estimate in ``make bench``: the notebooks' models and step counts."""
import pytest

from ch6.bench import suite as bench
from ch6.bench import workload

# Parameter counts the notebooks print or assert for the same models.
COUNTS = {
    "flatten@20": 80_161,            # 6-1-2
    "glove_flatten@100": 1_320_065,  # 6-1-3, embedding_dim 100
    "lstm@500": 328_353,             # 6-2
    "bi_lstm@500": 336_705,          # 6-3-8
    "conv_imdb@500": 1_315_937,      # 6-4-3
    "stacked_gru": 23_489,           # 6-3-7 (Keras 3, reset_after=True)
    "cnn_gru": 13_793,               # 6-4-4
}


@pytest.mark.parametrize("key, count", COUNTS.items())
def test_models_match_the_notebooks(key, count):
    assert workload.build(key).count_params() == count


def test_every_model_takes_exactly_its_input_shape():
    keys = sorted({fit.model for fit in workload.fits()})
    assert len(keys) >= 10
    for key in keys:
        kind, shape = workload.input_of(key)
        model = workload.build(key)
        assert model.input_shape[1:] == shape, key
        assert model.inputs[0].dtype == ("int32" if kind == "int" else "float32"), key


def test_input_shapes_are_the_lectures():
    assert workload.input_of("gru") == ("float", (240, 14))            # lookback 1440 // step 6, 14 features
    assert workload.input_of("lstm@500") == ("int", (500,))
    assert workload.input_of("flatten@20") == ("int", (20,))


def test_step_counts_follow_the_full_profile_and_the_lecture_split():
    fits = {(f.notebook, f.name): f for f in workload.fits()}
    gru = fits["6-3-5", "GRU(32)"]
    assert gru.train_steps == 20 * 500 and gru.batch == 128
    assert gru.evals[0] == (20 * 769 * 128, 1024)      # 769 validation batches per epoch, 8 per step
    assert gru.evals[1] == (930 * 128, 1024)           # one test pass
    assert fits["6-3-7", "stacked GRU(32)+GRU(64)"].train_steps == 40 * 500
    assert fits["6-3-8", "bidirectional GRU(32)"].train_steps == 40 * 500
    lstm = fits["6-2", "lstm(32)"]
    assert lstm.train_steps == 10 * 157 and lstm.evals[0] == (10 * 5000, 128)
    assert {f.notebook for f in fits.values()} == {"6-1-2", "6-1-3", "6-2", "6-3-1", "6-3-5", "6-3-6", "6-3-7",
                                                    "6-3-8", "6-4-3", "6-4-4"}   # 6-1-1 trains nothing


def test_estimate_multiplies_per_step_times_by_the_counts(monkeypatch):
    monkeypatch.setattr(bench, "time_model", lambda key, batch, evals: (0.01, {b: 1e-5 * 128 / b for b in evals}))
    est = bench.estimate_full({"6-3-5": 30.0})
    nb = {row["notebook"]: row for row in est["notebooks"]}["6-3-5"]
    steps = sum(f.train_steps for f in workload.fits() if f.notebook == "6-3-5")
    samples = sum(s for f in workload.fits() if f.notebook == "6-3-5" for s, _ in f.evals)
    assert nb["train_s"] == pytest.approx(0.01 * steps)
    assert nb["eval_lecture_batches_s"] == pytest.approx(1e-5 * samples)
    assert nb["eval_s"] == pytest.approx(1e-5 * samples / 8)        # all of 6-3-5's evaluation is grouped by 8
    assert nb["total_s"] == pytest.approx(30.0 + nb["train_s"] + nb["eval_s"])
    assert est["sequential_s"] == pytest.approx(sum(r["total_s"] for r in est["notebooks"]))


def test_makespan_runs_longest_first():
    assert bench.makespan([5, 3, 3, 2], 1) == 13
    assert bench.makespan([5, 3, 3, 2], 2) == 7                      # 5+2 | 3+3
    assert bench.makespan([5, 3, 3, 2], 2, slowdown=2.0) == 14
    assert bench.makespan([5, 1], 4) == 5
