"""ch6.sample: deterministic sample data in the real formats (small size, written once per session)."""
import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest

from ch6 import files, paths
from ch6.data import loaders as datasets
from ch6.data import review_words, sample, sample_glove, sample_reviews, sample_weather

N = sample.SIZES["small"]["reviews"]


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The small sample data written once (GloVe included): (folder, manifest, listing)."""
    out = tmp_path_factory.mktemp("sample")
    manifest, listing = sample.build(out, "small")
    return out, manifest, listing


@pytest.fixture(scope="session")
def jena(built):
    """The Jena CSV parsed with the lecture's own loop: (header, float rows, raw lines, text)."""
    text = (built[0] / sample_weather.JENA_NAME).read_text(encoding="ascii")
    lines = text.split("\n")
    header = lines[0].split(",")
    lines = lines[1:]
    values = np.array([[float(x) for x in line.split(",")[1:]] for line in lines])
    return header, values, lines, text


@pytest.fixture(scope="session")
def imdb(built):
    """imdb.npz, the word index and the aclImdb texts per split and label, in file-id order."""
    out = built[0]
    with np.load(out / "imdb.npz", allow_pickle=True) as f:
        arrays = {k: f[k] for k in f.files}
    index = json.loads((out / "imdb_word_index.json").read_text(encoding="utf-8"))
    texts = {}
    for split in ("train", "test"):
        for label in ("neg", "pos"):
            files = sorted((out / "aclImdb" / split / label).glob("*.txt"),
                           key=lambda p: int(p.name.split("_")[0]))
            texts[split, label] = [(p.name, p.read_text(encoding="utf-8")) for p in files]
    return arrays, index, texts


# --------------------------------------------------------------------------------------------
# Determinism, manifest, GloVe


def test_second_run_gives_the_same_bytes(built, tmp_path):
    out, manifest, listing = built
    again = {**sample_reviews.make_imdb(tmp_path, "small")["files"], **sample_weather.make_jena(tmp_path, "small")["files"]}
    assert again == {name: listing[name] for name in again}
    assert (tmp_path / "imdb.npz").read_bytes() == (out / "imdb.npz").read_bytes()


def test_manifest_digests_are_those_of_the_files(built):
    out, manifest, listing = built
    on_disk = json.loads((out / "MANIFEST.json").read_text(encoding="utf-8"))
    assert on_disk == manifest
    assert (manifest["kind"], manifest["size"], manifest["seed"], manifest["generator"]) == \
        ("synthetic", "small", sample.SEED, "ch6.sample")
    assert set(manifest["files"]) == {"imdb.npz", "imdb_word_index.json", sample_weather.JENA_NAME, sample_glove.GLOVE_NAME}
    for name, digest in manifest["files"].items():
        if name != sample_glove.GLOVE_NAME:                      # the GloVe digest is checked in its own test
            assert files.sha256_file(out / name) == digest, name
    assert "synthetic" in paths.describe(out)
    every = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    cache = {p.name for p in datasets.glove_cache_paths(out / sample_glove.GLOVE_NAME)}   # GloVe parsed once, kept
    assert every == set(listing) | cache                    # no temporary files left behind


@pytest.mark.slow
def test_glove_is_the_official_file(built):
    out, manifest, listing = built
    path = out / sample_glove.GLOVE_NAME
    assert path.stat().st_size == sample_glove.GLOVE_BYTES
    assert files.sha256_file(path) == sample_glove.GLOVE_SHA256 == manifest["files"][sample_glove.GLOVE_NAME]
    with open(path, encoding="utf-8") as f:
        assert f.readline().startswith("the 0.418 0.24968 -0.41242 0.1217 0.34527 -0.044457 ")


def test_correct_glove_file_is_not_rebuilt(built, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("rebuilt")
    monkeypatch.setattr(sample_glove, "glove_chunks", fail)
    assert sample_glove.make_glove(built[0]) == sample_glove.GLOVE_SHA256


def test_command_line_lists_every_file(built, monkeypatch, capsys, tmp_path):
    """One SHA-256 line per data file, one digest line for the whole aclImdb tree, then a total."""
    out, manifest, listing = built
    monkeypatch.setattr(sample, "build", lambda out, size, seed: (manifest, listing))
    assert sample.main(["--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.splitlines()
    size, digest = listing["imdb.npz"]
    assert f"{digest}  {size:>11,}  imdb.npz" in printed
    reviews = sorted(name for name in listing if name.startswith("aclImdb/"))
    tree = hashlib.sha256("".join(f"{listing[n][1]}  {n}\n" for n in reviews).encode()).hexdigest()
    assert any(line.startswith(tree) and f"{len(reviews):,} review files" in line for line in printed)
    assert len(printed) == len(listing) - len(reviews) + 2


def test_unknown_size_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="size"):
        sample.make_all(tmp_path, "huge")


# --------------------------------------------------------------------------------------------
# Jena


def test_jena_has_the_real_layout(jena):
    header, values, lines, text = jena
    assert ",".join(header) == sample_weather.JENA_HEADER
    assert len(header) == 15 and values.shape == (105_120, 14)
    assert "\r" not in text and not text.endswith("\n")
    assert lines[0].startswith("01.01.2009 00:10:00,") and lines[-1].startswith("01.01.2011 00:00:00,")
    assert all(re.fullmatch(r"-?\d+\.\d\d", x) for x in lines[0].split(",")[1:])
    iso = [f"{s[6:10]}-{s[3:5]}-{s[0:2]}T{s[11:19]}" for s in (line[:19] for line in lines)]
    steps = np.diff(np.array(iso, dtype="datetime64[s]")).astype(int)
    assert (steps == 600).all()


def test_jena_is_physically_plausible(jena):
    header, values, lines, text = jena
    p, t, tpot, tdew, rh, vpmax, vpact, vpdef, sh, h2oc, rho, wv, wvmax, wd = values.T
    assert 940 < p.min() and p.max() < 1040 and -30 < t.min() and t.max() < 40
    assert (tdew <= t + 0.01).all() and (0 <= rh).all() and (rh <= 100).all()
    assert np.allclose(vpmax, sample_weather.magnus(t), atol=0.06)
    assert np.allclose(vpdef, vpmax - vpact, atol=0.015)
    assert np.allclose(rh, 100 * vpact / vpmax, atol=1.0)
    assert np.allclose(tpot, (t + 273.15) * (1000 / p) ** 0.286, atol=0.02)
    assert np.allclose(h2oc, 1000 * vpact / p, atol=0.02)
    assert 1100 < rho.min() and rho.max() < 1450 and (0 < sh).all()
    assert (0 <= wd).all() and (wd <= 360).all()
    sentinel = wv == sample_weather.SENTINEL
    assert sentinel.sum() == sample.SIZES["small"]["jena_sentinels"]
    assert (wvmax[sentinel] == sample_weather.SENTINEL).all()
    assert (wv[~sentinel] >= 0).all() and (wvmax[~sentinel] >= wv[~sentinel]).all()


def test_jena_persistence_is_good_but_beatable(jena):
    values = jena[1][::6]                                   # hourly, as the lecture's generator samples
    values[values == sample_weather.SENTINEL] = 0.0
    change = values[24:, 1] - values[:-24, 1]               # temperature in 24 h minus now
    persistence = np.abs(change).mean()
    assert 1.5 < persistence < 3.5                          # degC; the real file's baseline is 2.57 degC
    now, before = values[24:-24], values[:-48]              # today's features and their 24 h change
    features = np.column_stack([now, now - before, np.ones(len(now))])
    target, half = change[24:], len(now) // 2
    weights = np.linalg.lstsq(features[:half], target[:half], rcond=None)[0]
    linear = np.abs(features[half:] @ weights - target[half:]).mean()
    assert linear < 0.97 * np.abs(target[half:]).mean()


# --------------------------------------------------------------------------------------------
# IMDB


def test_imdb_npz_matches_the_aclimdb_folders(built, imdb):
    arrays, index, texts = imdb
    assert sorted(arrays) == ["x_test", "x_train", "y_test", "y_train"]
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        assert x.dtype == object and x.shape == (N,) and isinstance(x[0], list)
        assert y.dtype.kind == "i" and (y == 1).sum() == (y == 0).sum() == N // 2
        seen = {"neg": 0, "pos": 0}
        for sequence, label in zip(x, y.tolist()):
            folder = "pos" if label else "neg"
            name, text = texts[split, folder][seen[folder]]
            assert name.startswith(f"{seen[folder]}_")
            assert sequence == [index[w] for w in sample_reviews.tokenize(text)]
            seen[folder] += 1
        ratings = {f: {int(n.split("_")[1][:-4]) for n, _ in texts[split, f]} for f in ("neg", "pos")}
        assert ratings["neg"] <= {1, 2, 3, 4} and ratings["pos"] <= {7, 8, 9, 10}
    unsup = sorted((built[0] / "aclImdb" / "train" / "unsup").glob("*.txt"))
    assert len(unsup) == sample_reviews.UNSUP_REVIEWS and all(p.name.endswith("_0.txt") for p in unsup)


def test_word_index_ranks_by_training_frequency(imdb):
    arrays, index, texts = imdb
    assert sorted(index.values()) == list(range(1, len(index) + 1))
    word = {rank: w for w, rank in index.items()}
    train = np.bincount(np.concatenate(arrays["x_train"]), minlength=len(index) + 1)
    test = np.bincount(np.concatenate(arrays["x_test"]), minlength=len(index) + 1)
    n_train = int((train > 0).sum())
    assert (train[1:n_train + 1] > 0).all() and (train[n_train + 1:] == 0).all()
    keys = [(-train[r], word[r]) for r in range(1, n_train + 1)]
    assert keys == sorted(keys)
    assert (test[n_train + 1:] > 0).all()                   # test-only words come after all training words
    assert 3_000 < n_train < 10_000 and len(index) < 20_000  # every training word fits max_words=10000 (6-1-3)


def word_counts(arrays, index, split):
    """Occurrences of each word in one split of imdb.npz."""
    counts = np.bincount(np.concatenate(arrays[f"x_{split}"]), minlength=len(index) + 1)
    return {w: int(counts[r]) for w, r in index.items()}


def test_synonyms_are_rare_in_training_frequent_at_test_and_glove_neighbours(imdb):
    arrays, index, texts = imdb
    tokens, vectors = sample_glove.glove_table()
    rank = {t: i for i, t in enumerate(tokens)}
    unit = vectors[:review_words.GLOVE_TOP] / np.linalg.norm(vectors[:review_words.GLOVE_TOP], axis=1, keepdims=True)
    vocab = review_words.vocabulary()
    train, test = word_counts(arrays, index, "train"), word_counts(arrays, index, "test")
    synonyms = [w for w in vocab["test_only"] if test.get(w, 0) > 0]
    assert len(synonyms) >= 100
    assert 20 * sum(train.get(w, 0) for w in synonyms) < sum(test[w] for w in synonyms)   # rare in training...
    assert sum(train.get(w, 0) > 0 for w in synonyms) >= len(synonyms) // 3             # ...yet often in its vocabulary
    for word in synonyms:
        partner = vocab["test_only"][word]
        assert train[partner] > 0
        assert np.sign(vocab["valence"][word]) == np.sign(vocab["valence"][partner])
        nearest = np.argsort(-(unit @ unit[rank[partner]]))[1:review_words.NEIGHBOURS + 1]
        assert rank[word] in nearest, (word, partner)


def test_some_training_words_are_missing_from_glove(imdb):
    arrays, index, texts = imdb
    vocab = review_words.vocabulary()
    train = word_counts(arrays, index, "train")
    missing = [w for w, n in train.items() if n and w not in vocab["glove"]]
    assert len(missing) >= 50                                               # typos and invented names
    assert set(missing) & set(vocab["characters"])
    assert all(name not in vocab["glove"] for name in vocab["characters"])


def test_labels_are_noisy_but_mostly_follow_the_text(built, imdb):
    arrays, index, texts = imdb
    flips = built[1]["counts"]["imdb"]["flipped_labels"]
    assert flips == {"train": round(N * sample_reviews.LABEL_NOISE), "test": round(N * sample_reviews.LABEL_NOISE)}
    valence = review_words.vocabulary()["valence"]
    word = {rank: w for w, rank in index.items()}
    score = np.array([sum(np.sign(valence.get(word[r], 0.0)) for r in seq) for seq in arrays["x_train"]])
    truth = sample_reviews.make_reviews(N, "train")
    assert (truth["labels"] == arrays["y_train"]).all() and truth["flipped"].sum() == flips["train"]
    agrees = (score > 0) == (arrays["y_train"] == 1)
    assert agrees[~truth["flipped"]].mean() > 0.7        # a plain word count reads most reviews right...
    assert agrees[truth["flipped"]].mean() < 0.4         # ...and the flipped ones mostly wrong


def test_reviews_vary_and_need_word_order(imdb):
    arrays, index, texts = imdb
    lengths = np.array([len(s) for s in arrays["x_train"]])
    assert lengths.min() < 40 and lengths.max() > 600 and 130 < np.median(lengths) < 260
    valence = review_words.vocabulary()["valence"]
    cues = [[w for w in sample_reviews.tokenize(t) if w in valence] for _, t in texts["train", "pos"]]
    tokens = [sample_reviews.tokenize(t) for _, t in texts["train", "pos"]]
    first = np.mean([bool(set(words[:20]) & set(valence)) for words in tokens])
    last = np.mean([bool(set(words[-20:]) & set(valence)) for words in tokens])
    assert 0.6 < first < 0.95 and 0.6 < last < 0.95 and abs(first - last) < 0.15   # opinion at both ends...
    assert np.mean([len(c) > 0 for c in cues]) > 0.95                            # ...and in nearly every review
    words = [w for _, t in texts["train", "neg"] + texts["train", "pos"] for w in sample_reviews.tokenize(t)]
    assert words.count("not") > N and words.count("but") > N / 2


def test_advection_lag_zero_is_the_sample_weather_and_a_lag_moves_only_the_warming():
    """The probe's lagged weather (ch6.bench.jena_probe) leaves the committed sample data's generator unchanged."""
    default = sample_weather.jena_columns(20, sample_weather.jena_rng(2026))
    same = sample_weather.jena_columns(20, sample_weather.jena_rng(2026), advection_lag=0)
    lagged = sample_weather.jena_columns(20, sample_weather.jena_rng(2026), advection_lag=24)
    assert all(np.array_equal(default[k], same[k]) for k in default)
    assert np.array_equal(default["p (mbar)"], lagged["p (mbar)"])
    assert not np.allclose(default["T (degC)"], lagged["T (degC)"])


def test_moisture_zero_is_the_sample_weather_and_moisture_changes_only_the_humidity():
    """The probe's humid-southerly variant leaves temperature and pressure as they are and moves the dew point."""
    default = sample_weather.jena_columns(20, sample_weather.jena_rng(2026))
    moist = sample_weather.jena_columns(20, sample_weather.jena_rng(2026), moisture=0.12)
    assert np.array_equal(default["T (degC)"], moist["T (degC)"]) and np.array_equal(default["p (mbar)"], moist["p (mbar)"])
    assert not np.allclose(default["Tdew (degC)"], moist["Tdew (degC)"])
