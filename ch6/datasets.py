"""Download, verify and read the chapter's datasets.

``python -m ch6.datasets`` (``make data``) fetches the real files into ``DATA_DIR/real`` with pooch,
checks each digest before anything is unpacked or loaded, and unpacks only what the notebooks read.
The loaders read the real formats, which the synthetic sample data (``ch6.sample``) shares.
"""
import argparse
import hashlib
import json
import os
import re
import secrets
import shutil
import sys
import tarfile
import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import requests

from .paths import DataNotFound, data_root, make_hint, require

__all__ = ["DataNotFound", "DataError", "ChecksumError", "load_imdb", "get_word_index", "load_aclimdb",
           "load_glove", "glove_lecture_loop", "find_glove", "load_jena", "jena_lecture_loop",
           "column_names", "main"]


@dataclass(frozen=True)
class Remote:
    """A file to download: URL, size in bytes, digest, and the archive members to extract."""

    url: str
    size: int
    digest: str | None  # SHA-256 hex, "md5:<hex>", or None: pinned on the first download (PINS.json)
    members: dict = field(default_factory=dict)  # member name -> SHA-256 hex (None: pinned)

    @property
    def name(self) -> str:
        """The file name (last part of the URL)."""
        return self.url.rsplit("/", 1)[1]


KERAS_DATASETS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets"
JENA_CSV = "jena_climate_2009_2016.csv"
JENA_TIME_FORMAT = "%d.%m.%Y %H:%M:%S"
ACLIMDB = Remote("https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz", 84_125_825,
                 "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe")
IMDB_NPZ = Remote(f"{KERAS_DATASETS}/imdb.npz", 17_464_789,
                  "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f")
IMDB_WORD_INDEX = Remote(f"{KERAS_DATASETS}/imdb_word_index.json", 1_641_221,
                         "md5:bfafd718b763782e994055a2d397834f")  # only an MD5 is published
GLOVE = Remote("https://nlp.stanford.edu/data/glove.6B.zip", 862_182_613,
               "617afb2fe6cbd085c235baf7a465b96f4112bd7f7ccb2b2cbd649fed9cbcf2fb",
               {"glove.6B.100d.txt": "95dde4dfd627ab26608d33e76d1195ec059734bd29089ea52cadb08d07c64544",
                "glove.6B.50d.txt": "d8f717f8dd4b545cb7f418ef9f3d0c3e6e68a6f48b97d32f8b7aae40cb31f96f"})
JENA = Remote(f"{KERAS_DATASETS}/{JENA_CSV}.zip", 13_568_290, None, {JENA_CSV: None})
JENA_ROWS = 420_551
JENA_FEATURES = 14
PINS = "PINS.json"
MIRROR_ENV = "CH6_DATA_MIRROR"
OFFLINE_HINT = "no internet? the sample data works offline: `make sample`"


class DataError(RuntimeError):
    """A download, verification or unpacking step failed; the message is one line."""


class ChecksumError(DataError):
    """A file's digest differs from the expected one."""


# ---------------------------------------------------------------- download, verify, unpack

def sha256(path: Path) -> str:
    """The SHA-256 hex digest of a file."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def url_for(remote: Remote, mirror: str | None = None) -> str:
    """The remote's URL, or its file name under ``mirror`` (default ``$CH6_DATA_MIRROR``) if one is set."""
    mirror = mirror or os.environ.get(MIRROR_ENV)
    return f"{mirror.rstrip('/')}/{remote.name}" if mirror else remote.url


def fetch(remote: Remote, root: Path, known_hash: str | None, mirror: str | None = None) -> Path:
    """Download ``remote`` into ``root`` unless a copy with ``known_hash`` is there; one-line DataError on failure."""
    import pooch  # imported here: pooch pulls in tqdm.auto, which warns inside notebooks

    url = url_for(remote, mirror)
    try:
        return Path(pooch.retrieve(url, known_hash, fname=remote.name, path=root, progressbar=True))
    except requests.HTTPError as err:
        raise DataError(f"{url}: HTTP {err.response.status_code}") from err
    except requests.ConnectionError as err:
        raise DataError(f"cannot reach {urlsplit(url).hostname}: {OFFLINE_HINT}") from err
    except requests.RequestException as err:
        raise DataError(f"{url}: transfer interrupted ({type(err).__name__}); nothing was kept, "
                        "run `make data` again") from err
    except ValueError as err:  # pooch's digest mismatch; it has deleted the download
        (Path(root) / remote.name).unlink(missing_ok=True)  # an older copy with the wrong digest goes too
        raise mismatch_error(remote.name, str(err)) from err


def mismatch_error(name: str, pooch_message: str) -> DataError:
    """Turn pooch's digest-mismatch message into one line: expected, got, discarded."""
    found = re.search(r"(\w+) hash of downloaded file .* expected (\S+) but got (\w+)", pooch_message)
    if not found:
        return DataError(f"{name}: {pooch_message}")
    algorithm, expected, got = found.groups()
    algorithm = "SHA-256" if algorithm.upper() == "SHA256" else algorithm.upper()
    return ChecksumError(f"{name}: {algorithm} mismatch (expected {expected.split(':')[-1]}, got {got}); "
                         "the file was discarded")


@contextmanager
def replacing(target: Path):
    """Write to a temporary file beside ``target``; it takes ``target``'s name only if the block succeeds."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.part")
    try:
        with open(tmp, "xb") as f:
            yield f
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def unpack_tar(archive: Path, dest: Path, top: str) -> Path:
    """Extract the verified tar ``archive``'s ``top`` folder into ``dest`` (skipped when already there).

    tarfile's "data" filter refuses members outside the target; the folder appears by one rename."""
    target = dest / top
    if target.is_dir():
        return target
    tmp = Path(tempfile.mkdtemp(prefix=f".{top}.", dir=dest))
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        if not (tmp / top).is_dir():
            raise DataError(f"{archive.name}: no {top}/ folder in the archive")
        os.replace(tmp / top, target)
    except tarfile.FilterError as err:
        raise DataError(f"{archive.name}: unsafe member refused ({err}); nothing was unpacked") from err
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def extract_member(archive: Path, name: str, dest: Path, digest: str | None) -> Path:
    """Extract one zip member to ``dest/name`` through a temporary name, checking its SHA-256 first.

    A file already there with the right digest is kept (idempotent); ``digest=None`` skips the check."""
    target = dest / name
    if digest and target.exists() and sha256(target) == digest:
        return target
    try:
        with zipfile.ZipFile(archive) as zf, replacing(target) as out:
            if name not in zf.namelist():
                raise DataError(f"{archive.name}: no member {name}")
            hasher = hashlib.sha256()
            with zf.open(name) as src:
                while chunk := src.read(1 << 20):
                    hasher.update(chunk)
                    out.write(chunk)
            if digest and hasher.hexdigest() != digest:
                raise ChecksumError(f"{name} (in {archive.name}): SHA-256 mismatch (expected {digest}, "
                                    f"got {hasher.hexdigest()}); the file was discarded")
    except zipfile.BadZipFile as err:
        raise DataError(f"{archive.name}: broken zip archive ({err})") from err
    return target


def read_pins(root: Path) -> dict:
    """The SHA-256 digests pinned on first download (``root/PINS.json``): file name -> digest."""
    path = Path(root) / PINS
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def write_pins(root: Path, pins: dict) -> None:
    """Add ``pins`` to ``root/PINS.json``."""
    merged = read_pins(root) | pins
    with replacing(Path(root) / PINS) as f:
        f.write((json.dumps(merged, indent=1, sort_keys=True) + "\n").encode())


def check_jena(path: Path) -> None:
    """Raise DataError unless the CSV has the Jena header, 14 numeric features and JENA_ROWS rows."""
    try:
        header, values, _ = load_jena(path)
    except (pa.ArrowInvalid, ValueError) as err:
        raise DataError(f"{path.name}: not the Jena climate CSV ({err})") from err
    if header[0] != '"Date Time"' or values.shape != (JENA_ROWS, JENA_FEATURES):
        raise DataError(f"{path.name}: expected \"Date Time\" + {JENA_FEATURES} columns x {JENA_ROWS:,} rows, "
                        f"got {header[0]} + {values.shape[1]} columns x {values.shape[0]:,} rows")


def prepare_aclimdb(root: Path, mirror: str | None = None) -> list:
    """aclImdb_v1.tar.gz -> ``root/aclImdb`` (the raw reviews)."""
    archive = fetch(ACLIMDB, root, ACLIMDB.digest, mirror)
    return [unpack_tar(archive, root, "aclImdb")]


def prepare_imdb(root: Path, mirror: str | None = None) -> list:
    """Keras's imdb.npz and imdb_word_index.json, verified."""
    return [fetch(remote, root, remote.digest, mirror) for remote in (IMDB_NPZ, IMDB_WORD_INDEX)]


def prepare_glove(root: Path, mirror: str | None = None) -> list:
    """glove.6B.zip -> the 100d and 50d text files, each checked against its own SHA-256, parsed once (cache)."""
    archive = fetch(GLOVE, root, GLOVE.digest, mirror)
    made = [extract_member(archive, name, root, digest) for name, digest in GLOVE.members.items()]
    for path in made:
        load_glove(path)                                  # the notebooks then load the cached arrays
    return made


def prepare_jena(root: Path, mirror: str | None = None) -> list:
    """The Jena zip -> its CSV only (no ``__MACOSX`` junk).

    No digest is published: the first download's digests (zip and CSV) are pinned in PINS.json once the
    CSV's structure checked out, and later runs are verified against them (trust on first use)."""
    pins = read_pins(root)
    archive = fetch(JENA, root, JENA.digest or pins.get(JENA.name), mirror)
    csv_digest = JENA.members[JENA_CSV] or pins.get(JENA_CSV)
    try:
        csv = extract_member(archive, JENA_CSV, root, csv_digest)
        check_jena(csv)
    except DataError:
        if not csv_digest:  # an unpinned download that failed its check is not kept
            archive.unlink(missing_ok=True)
            (root / JENA_CSV).unlink(missing_ok=True)
        raise
    if not csv_digest:
        write_pins(root, {JENA.name: sha256(archive), JENA_CSV: sha256(csv)})
    return [csv]


PREPARE = {"aclimdb": prepare_aclimdb, "imdb": prepare_imdb, "glove": prepare_glove, "jena": prepare_jena}


def main(argv: list | None = None) -> int:
    """``python -m ch6.datasets [--only NAME ...] [--root DIR] [--mirror URL]``: this is ``make data``."""
    parser = argparse.ArgumentParser(prog="python -m ch6.datasets",
                                     description="Download, verify and unpack the real datasets (make data).")
    parser.add_argument("--only", nargs="+", action="extend", choices=list(PREPARE), metavar="NAME",
                        help=f"only these datasets ({', '.join(PREPARE)}); default: all")
    parser.add_argument("--root", type=Path, help="target folder (default: $DATA_DIR/real, else data/real)")
    parser.add_argument("--mirror", help=f"base URL that replaces each file's URL prefix (default: ${MIRROR_ENV})")
    args = parser.parse_args(argv)
    root = (args.root or data_root() / "real").expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    for name in args.only or PREPARE:
        try:
            made = PREPARE[name](root, args.mirror)
        except DataError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        print(f"{name}: verified: {', '.join(path.name for path in made)} in {root}")
    return 0


# ---------------------------------------------------------------- loaders

def existing(path: Path) -> Path:
    """``path`` if it exists, else DataNotFound naming the command that makes it."""
    path = Path(path)
    return require(path.parent, path.name)


def expected_sha256(folder: Path, name: str, default: str) -> str | None:
    """The SHA-256 a data file must have: the sample's MANIFEST.json entry, else the registry's."""
    manifest = Path(folder) / "MANIFEST.json"
    if manifest.exists():
        return json.loads(manifest.read_text(encoding="utf-8"))["files"].get(name)
    return default


def verify(path: Path, expected: str | None, hint: str) -> None:
    """Raise ChecksumError unless the file's SHA-256 is ``expected``."""
    got = sha256(path)
    if got != expected:
        raise ChecksumError(f"{path}: SHA-256 mismatch (expected {expected}, got {got}); not loaded: {hint}")


def load_imdb(folder: Path, num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3):
    """``keras.datasets.imdb.load_data`` on ``folder/imdb.npz``: same arguments, same results.

    The file's SHA-256 is checked (registry, or the sample's MANIFEST.json) before it is unpickled."""
    path = require(folder, "imdb.npz")
    kind = "sample" if (Path(folder) / "MANIFEST.json").exists() else "real"
    verify(path, expected_sha256(folder, "imdb.npz", IMDB_NPZ.digest), make_hint(kind))
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
    """The path of ``glove.6B.<dim>d.txt`` in ``folder``."""
    return require(folder, f"glove.6B.{dim}d.txt")


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


def glove_lecture_loop(path: Path) -> dict:
    """The lecture's reference loop, kept for the benchmark: word -> float32 vector, one line at a time."""
    embeddings_index = {}
    with open(path, encoding="UTF-8") as f:
        for line in f:
            values = line.split()
            word = values[0]
            coefs = np.asarray(values[1:], dtype="float32")
            embeddings_index[word] = coefs
    return embeddings_index


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


def jena_lecture_loop(path: Path) -> tuple:
    """The lecture's reference loop, kept for the benchmark: (header, float64 array (rows, 14))."""
    with open(path) as f:
        data = f.read()
    lines = data.split("\n")
    header = lines[0].split(",")
    lines = lines[1:]
    float_data = np.zeros((len(lines), len(header) - 1))
    for i, line in enumerate(lines):
        values = [float(x) for x in line.split(",")[1:]]
        float_data[i, :] = values
    return header, float_data


if __name__ == "__main__":
    sys.exit(main())
