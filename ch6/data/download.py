"""``make data``: download the real data sets with pooch, verify each digest, unpack only what the notebooks read.

``python -m ch6.data.download [--only NAME ...] [--root DIR] [--mirror URL]`` fills ``DATA_DIR/real``
(``ch6.paths.dataset_folder("real")``). An interrupted transfer leaves only pooch's temporary file, which it
deletes; the next run downloads that file again from the start.
"""
import argparse
import gc
import hashlib
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow as pa
import requests

from ..files import replacing, sha256_file
from ..paths import dataset_folder
from .loaders import load_glove, load_jena
from .registry import (ACLIMDB, GLOVE, IMDB_NPZ, IMDB_WORD_INDEX, JENA, JENA_CSV, JENA_FEATURES, JENA_ROWS,
                       MIRROR_ENV, OFFLINE_HINT, PINS, TEST_REGISTRY_ENV, ChecksumError, DataError, Remote, resolved)


def url_for(remote: Remote, mirror: str | None = None) -> str:
    """The remote's URL, or its file name under ``mirror`` (default ``$CH6_DATA_MIRROR``) if one is set."""
    mirror = mirror or os.environ.get(MIRROR_ENV)
    return f"{mirror.rstrip('/')}/{remote.name}" if mirror else remote.url


def fetch(remote: Remote, root: Path, known_hash: str | None, mirror: str | None = None) -> Path:
    """Download ``remote`` into ``root`` unless a copy with ``known_hash`` is there; one-line DataError on failure."""
    url = url_for(remote, mirror)
    try:
        return retrieve(url, known_hash, remote.name, root)
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


def retrieve(url: str, known_hash: str | None, name: str, root: Path) -> Path:
    """``pooch.retrieve`` with a progress bar; when it fails (Ctrl-C included), pooch's bar is finished (its line
    ended) before the error goes on, so that the one-line message after it stands on its own line."""
    import pooch  # imported here: pooch pulls in tqdm.auto, which warns inside notebooks

    try:
        return Path(pooch.retrieve(url, known_hash, fname=name, path=root, progressbar=True))
    except BaseException as err:      # dropping the traceback frees pooch's frames, and with them its bar ...
        failure = err.with_traceback(None)
    gc.collect()                      # ... whose finaliser draws it one last time
    raise failure


def mismatch_error(name: str, pooch_message: str) -> DataError:
    """Turn pooch's digest-mismatch message into one line: expected, got, discarded."""
    found = re.search(r"(\w+) hash of downloaded file .* expected (\S+) but got (\w+)", pooch_message)
    if not found:
        return DataError(f"{name}: {pooch_message}")
    algorithm, expected, got = found.groups()
    algorithm = "SHA-256" if algorithm.upper() == "SHA256" else algorithm.upper()
    return ChecksumError(f"{name}: {algorithm} mismatch (expected {expected.split(':')[-1]}, got {got}); "
                         "the file was discarded")


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
    if digest and target.exists() and sha256_file(target) == digest:
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
    remote = resolved(ACLIMDB)
    archive = fetch(remote, root, remote.digest, mirror)
    return [unpack_tar(archive, root, "aclImdb")]


def prepare_imdb(root: Path, mirror: str | None = None) -> list:
    """Keras's imdb.npz and imdb_word_index.json, verified."""
    return [fetch(remote, root, remote.digest, mirror) for remote in map(resolved, (IMDB_NPZ, IMDB_WORD_INDEX))]


def prepare_glove(root: Path, mirror: str | None = None) -> list:
    """glove.6B.zip -> the 100d and 50d text files, each checked against its own SHA-256, parsed once (cache)."""
    glove = resolved(GLOVE)
    archive = fetch(glove, root, glove.digest, mirror)
    made = [extract_member(archive, name, root, digest) for name, digest in glove.members.items()]
    for path in made:
        load_glove(path)                                  # the notebooks then load the cached arrays
    return made


def prepare_jena(root: Path, mirror: str | None = None) -> list:
    """The Jena zip -> its CSV only (no ``__MACOSX`` junk).

    No digest is published: the first download's digests (zip and CSV) are pinned in PINS.json once the
    CSV's structure checked out, and later runs are verified against them (trust on first use)."""
    pins, jena = read_pins(root), resolved(JENA)
    archive = fetch(jena, root, jena.digest or pins.get(jena.name), mirror)
    csv_digest = jena.members[JENA_CSV] or pins.get(JENA_CSV)
    try:
        csv = extract_member(archive, JENA_CSV, root, csv_digest)
        check_jena(csv)
    except DataError:
        if not csv_digest:  # an unpinned download that failed its check is not kept
            archive.unlink(missing_ok=True)
            (root / JENA_CSV).unlink(missing_ok=True)
        raise
    if not csv_digest:
        write_pins(root, {JENA.name: sha256_file(archive), JENA_CSV: sha256_file(csv)})
    return [csv]


PREPARE = {"aclimdb": prepare_aclimdb, "imdb": prepare_imdb, "glove": prepare_glove, "jena": prepare_jena}
FILES = {"aclimdb": (ACLIMDB,), "imdb": (IMDB_NPZ, IMDB_WORD_INDEX), "glove": (GLOVE,), "jena": (JENA,)}


def check_space(root: Path, names: list) -> None:
    """Raise DataError before any download unless ``root``'s disk holds the missing files (and their members)."""
    missing = [resolved(r) for name in names for r in FILES[name] if not (root / r.name).exists()]
    need, free = sum(r.size + r.unpacked for r in missing), shutil.disk_usage(root).free
    if need > free:
        raise DataError(f"not enough disk space in {root}: {', '.join(r.name for r in missing)} need "
                        f"{need / 1e6:,.0f} MB (downloads and unpacked files), {free / 1e6:,.0f} MB is free; "
                        "free some space or set DATA_DIR to a folder on a larger disk")


def main(argv: list | None = None) -> int:
    """``python -m ch6.data.download [--only NAME ...] [--root DIR] [--mirror URL]``: this is ``make data``."""
    parser = argparse.ArgumentParser(prog="python -m ch6.data.download",
                                     description="Download, verify and unpack the real datasets (make data).")
    parser.add_argument("--only", nargs="+", action="extend", choices=list(PREPARE), metavar="NAME",
                        help=f"only these datasets ({', '.join(PREPARE)}); default: all")
    parser.add_argument("--root", type=Path, help="target folder (default: the `real` data set, $DATA_DIR/real)")
    parser.add_argument("--mirror", help=f"base URL that replaces each file's URL prefix (default: ${MIRROR_ENV})")
    args = parser.parse_args(argv)
    root = (args.root or dataset_folder("real")).expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    names = list(dict.fromkeys(args.only or PREPARE))
    if os.environ.get(TEST_REGISTRY_ENV):
        print(f"note: sizes and digests come from the test registry {os.environ[TEST_REGISTRY_ENV]} "
              f"(${TEST_REGISTRY_ENV})", flush=True)
    try:
        check_space(root, names)
        for name in names:
            made = PREPARE[name](root, args.mirror)
            print(f"{name}: verified: {', '.join(path.name for path in made)} in {root}", flush=True)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: no partial file was kept; `make data` starts the unfinished file again", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
