"""Read the chapter's data sets in their real formats (the sample data shares them); verify before unpickling."""
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..files import replacing, sha256_file
from ..paths import DataNotFound, make_hint, require
from .registry import IMDB_NPZ, JENA_CSV, JENA_TIME_FORMAT, ChecksumError, DataError, resolved

__all__ = ["DataNotFound", "DataError", "ChecksumError", "JENA_CSV", "load_imdb", "get_word_index", "load_aclimdb",
           "load_glove", "find_glove", "load_jena", "column_names"]


def existing(path: Path) -> Path:
    """``path`` if it exists, else DataNotFound naming the command that makes it."""
    path = Path(path)
    return require(path.parent, path.name)


def expected_sha256(folder: Path, name: str, default: str) -> str | None:
    """The SHA-256 a data file must have: the sample's MANIFEST.json entry, else the registry's (or the test
    registry's, see ``registry.resolved``)."""
    manifest = Path(folder) / "MANIFEST.json"
    if manifest.exists():
        return json.loads(manifest.read_text(encoding="utf-8"))["files"].get(name)
    return default


def verify(path: Path, expected: str | None, hint: str) -> None:
    """Raise ChecksumError unless the file's SHA-256 is ``expected``."""
    got = sha256_file(path)
    if got != expected:
        raise ChecksumError(f"{path}: SHA-256 mismatch (expected {expected}, got {got}); not loaded: {hint}")


def load_imdb(folder: Path, num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3):
    """``keras.datasets.imdb.load_data`` on ``folder/imdb.npz``: same arguments, same results.

    The file's SHA-256 is checked (registry, or the sample's MANIFEST.json) before it is unpickled."""
    path = require(folder, "imdb.npz")
    kind = "sample" if (Path(folder) / "MANIFEST.json").exists() else "real"
    verify(path, expected_sha256(folder, "imdb.npz", resolved(IMDB_NPZ).digest), make_hint(kind))
    with np.load(path, allow_pickle=True) as f:
        x_train, labels_train, x_test, labels_test = f["x_train"], f["y_train"], f["x_test"], f["y_test"]

    rng = np.random.RandomState(seed)  # train first, then test, one generator (as Keras)
    x_train, labels_train = shuffled(rng, x_train, labels_train)
    x_test, labels_test = shuffled(rng, x_test, labels_test)
    first = [start_char] if start_char is not None else []
    x_train = [first + [w + (index_from or 0) for w in x] for x in x_train]
    x_test = [first + [w + (index_from or 0) for w in x] for x in x_test]

    if maxlen:  # Keras keeps sequences strictly shorter than maxlen
        x_train, labels_train = drop_long(maxlen, x_train, labels_train)
        x_test, labels_test = drop_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was kept. "
                             "Increase maxlen.")

    xs = x_train + x_test
    labels = np.concatenate([labels_train, labels_test])
    if not num_words:  # Keras's rule: the largest index itself then counts as out of vocabulary
        num_words = max(max(x) for x in xs)
    if oov_char is not None:
        xs = [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    else:
        xs = [[w for w in x if skip_top <= w < num_words] for x in xs]
    idx = len(x_train)
    return (np.array(xs[:idx], dtype="object"), labels[:idx]), (np.array(xs[idx:], dtype="object"), labels[idx:])


def shuffled(rng: np.random.RandomState, x: np.ndarray, y: np.ndarray) -> tuple:
    """``x`` and ``y`` in one random order drawn from ``rng``."""
    indices = np.arange(len(x))
    rng.shuffle(indices)
    return x[indices], y[indices]


def drop_long(maxlen: int, xs: list, labels) -> tuple:
    """The sequences shorter than ``maxlen`` and their labels (as lists)."""
    kept = [(x, y) for x, y in zip(xs, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def get_word_index(folder: Path) -> dict:
    """``folder/imdb_word_index.json``: word -> raw frequency rank (add ``index_from`` to match load_imdb)."""
    with open(require(folder, "imdb_word_index.json"), encoding="utf-8") as f:
        return json.load(f)


def load_aclimdb(folder: Path, split: str = "train") -> tuple:
    """Raw reviews of ``aclImdb/<split>``: (texts, labels), neg (0) then pos (1), each in sorted file-name order.

    ``train/unsup`` (unlabelled) is ignored."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    texts, labels = [], []
    for label, kind in enumerate(("neg", "pos")):
        files = sorted(require(folder, f"aclImdb/{split}/{kind}").glob("*.txt"))
        texts += [file.read_text(encoding="utf-8") for file in files]
        labels += [label] * len(files)
    return texts, np.array(labels, dtype=np.int64)


def find_glove(folder: Path, dim: int = 100) -> Path:
    """The path of ``glove.6B.<dim>d.txt`` in ``folder``; the sample data only has the 50d file, and says so."""
    path = Path(folder) / f"glove.6B.{dim}d.txt"
    if not path.exists() and dim != 50 and (Path(folder) / "MANIFEST.json").exists():
        raise DataNotFound(f"{path} is missing: the sample data has GloVe 50d only (embedding_dim=50); "
                           f"glove.6B.{dim}d.txt comes with the real data: run `make data`")
    return require(folder, path.name)


def load_glove(path: Path) -> tuple:
    """GloVe text -> (words in file order, float32 vectors (n, dim)).

    Parsed once with pyarrow, then cached beside the file as ``<name>.npy`` + ``<name>.vocab.json``."""
    path = existing(path)
    cached = read_glove_cache(path)
    if cached is not None:
        return cached
    words, vectors = parse_glove(path)
    write_glove_cache(path, words, vectors)
    return words, vectors


def parse_glove(path: Path) -> tuple:
    """Parse GloVe text with pyarrow: one space between fields, no quoting (tokens may be ``"``)."""
    with open(path, encoding="utf-8") as f:
        dim = len(f.readline().rstrip("\n").split(" ")) - 1
    names = ["word"] + [f"v{i}" for i in range(dim)]
    types = {"word": pa.string()} | dict.fromkeys(names[1:], pa.float32())
    table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(column_names=names),
                           parse_options=pacsv.ParseOptions(delimiter=" ", quote_char=False),
                           convert_options=pacsv.ConvertOptions(column_types=types, null_values=[]))
    vectors, row = np.empty((table.num_rows, dim), dtype=np.float32), 0
    for batch in table.to_batches():                       # block by block: each block's columns stay in cache
        vectors[row:row + batch.num_rows] = np.stack([batch.column(i).to_numpy() for i in range(1, dim + 1)], axis=1)
        row += batch.num_rows
    return table.column("word").to_pylist(), vectors


def glove_cache_paths(path: Path) -> tuple:
    """Where the parsed GloVe file is cached: ``<name>.npy`` and ``<name>.vocab.json`` beside it."""
    return path.with_suffix(".npy"), path.with_suffix(".vocab.json")


def read_glove_cache(path: Path) -> tuple | None:
    """The cached (words, vectors) if they were made from this very file (same size and mtime), else None."""
    npy, vocab = glove_cache_paths(path)
    try:
        meta = json.loads(vocab.read_text(encoding="utf-8"))
        stat = path.stat()
        if (meta["source_size"], meta["source_mtime_ns"]) != (stat.st_size, stat.st_mtime_ns):
            return None
        vectors = np.load(npy)
    except (OSError, ValueError, KeyError):
        return None
    return (meta["words"], vectors) if len(vectors) == len(meta["words"]) else None


def write_glove_cache(path: Path, words: list, vectors: np.ndarray) -> None:
    """Cache the parsed vectors beside the GloVe file; a read-only folder just means no cache."""
    npy, vocab = glove_cache_paths(path)
    stat = path.stat()
    meta = {"source_size": stat.st_size, "source_mtime_ns": stat.st_mtime_ns, "words": words}
    try:
        with replacing(npy) as f:
            np.save(f, vectors)
        with replacing(vocab) as f:
            f.write(json.dumps(meta, ensure_ascii=False).encode("utf-8"))
    except OSError:
        pass




def load_jena(path: Path) -> tuple:
    """Jena CSV -> (header, float32 features (rows, 14), timestamps as datetime64[s]).

    The header is returned as in the file (names in double quotes, as the lecture prints it);
    ``column_names(header)`` strips the quotes."""
    path = existing(path)
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\r\n").split(",")
    names = [f"c{i}" for i in range(len(header))]
    types = {"c0": pa.string()} | dict.fromkeys(names[1:], pa.float64())
    try:
        table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(skip_rows=1, column_names=names),
                               parse_options=pacsv.ParseOptions(quote_char=False),
                               convert_options=pacsv.ConvertOptions(column_types=types, null_values=[]))
    except pa.ArrowInvalid as err:
        raise DataError(f"{path}: not a Jena climate CSV ({str(err).splitlines()[0]})") from None
    values = np.empty((table.num_rows, len(names) - 1), dtype=np.float32)
    for i, name in enumerate(names[1:]):
        values[:, i] = table.column(name).to_numpy()  # parsed as float64 like float(), then rounded
    return header, values, jena_timestamps(table.column("c0"), path)


JENA_TIME_PATTERN = np.frombuffer(b"00.00.0000 00:00:00", np.uint8)   # "0" marks a digit
DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def jena_timestamps(column, path: Path = Path("?")) -> np.ndarray:
    """Jena's "dd.mm.yyyy HH:MM:SS" strings (a pyarrow column) -> datetime64[s], read from the raw bytes at once."""
    chunks = [chunk for chunk in column.chunks if len(chunk)]
    offsets = [np.frombuffer(c.buffers()[1], np.int32, len(c) + 1, c.offset * 4) for c in chunks]
    if not all(np.all(np.diff(o) == 19) for o in offsets):   # not the fixed-width format: let pyarrow parse it
        try:
            return pc.strptime(column, format=JENA_TIME_FORMAT, unit="s").to_numpy()
        except pa.ArrowInvalid as err:
            raise DataError(f"{path}: a Date Time value is not dd.mm.yyyy HH:MM:SS ({str(err).splitlines()[0]})") from None
    text = np.concatenate([np.frombuffer(c.buffers()[2], np.uint8, 19 * len(c), int(o[0])).reshape(-1, 19)
                           for c, o in zip(chunks, offsets)] or [np.empty((0, 19), np.uint8)])
    digit = JENA_TIME_PATTERN == ord("0")
    d = text - np.uint8(ord("0"))                            # a digit becomes 0..9, anything else is > 9
    two = [d[:, i].astype(np.int64) * 10 + d[:, i + 1] for i in (0, 3, 6, 8, 11, 14, 17)]
    day, month, year, hour, minute, second = two[0], two[1], two[2] * 100 + two[3], two[4], two[5], two[6]
    leap_day = ((year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0)) & (month == 2)).astype(np.int64)
    last_day = np.where((month >= 1) & (month <= 12), DAYS_IN_MONTH[np.clip(month, 0, 12)] + leap_day, 0)
    byte_checks = [d[:, digit] <= 9, text[:, ~digit] == JENA_TIME_PATTERN[~digit]]          # (rows, positions)
    row_checks = [(day >= 1) & (day <= last_day), hour < 24, minute < 60, second < 60]     # (rows,); month via last_day
    if not all(check.all() for check in byte_checks + row_checks):   # whole columns first: per-row work only on error
        bad = ~np.logical_and.reduce([check.all(axis=1) for check in byte_checks] + row_checks)
        row = int(np.argmax(bad))
        raise DataError(f"{path}: row {row + 1}: Date Time {bytes(text[row]).decode(errors='replace')!r} "
                        f"is not dd.mm.yyyy HH:MM:SS")
    y = year - (month <= 2)                                  # days since 1970-01-01 (proleptic Gregorian)
    shifted = (month + 9) % 12
    days = 365 * y + y // 4 - y // 100 + y // 400 + (153 * shifted + 2) // 5 + day - 1 - 719_468
    return (days * 86_400 + hour * 3600 + minute * 60 + second).astype("datetime64[s]")


def column_names(header: list) -> list:
    """The header's names without their double quotes: '"T (degC)"' -> 'T (degC)'."""
    return [name.strip('"') for name in header]

