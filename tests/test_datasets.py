"""ch6.data.download and ch6.data.loaders: downloads against a local HTTP server, and the loaders on tiny files in the real formats."""
import dataclasses
import datetime
import hashlib
import http.server
import io
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import requests

from ch6.bench import lecture_loops
from ch6.data import download, loaders, registry
from ch6.paths import DataNotFound

JENA_HEADER = ('"Date Time","p (mbar)","T (degC)","Tpot (K)","Tdew (degC)","rh (%)","VPmax (mbar)",'
               '"VPact (mbar)","VPdef (mbar)","sh (g/kg)","H2OC (mmol/mol)","rho (g/m**3)","wv (m/s)",'
               '"max. wv (m/s)","wd (deg)"')
JENA_ROWS = 40
GLOVE_WORDS = ["the", ",", ".", '"', "'s", "nan", "null", "n/a", "–", "“", "café", "1,000", "movie", "#"]
REVIEWS = {  # aclImdb layout; file names chosen so that sorted order is not numeric order
    "train/neg/10_2.txt": "Dull, <br />dull.", "train/neg/2_1.txt": "Not good at all.",
    "train/pos/0_9.txt": "A joy ★ from start to end.", "train/pos/11_8.txt": "Café scenes: great.",
    "train/unsup/0_0.txt": "Unlabelled review.", "test/neg/0_3.txt": "Weak.", "test/pos/0_10.txt": "Superb.",
}


# ---------------------------------------------------------------- tiny files in the real formats

def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tar_gz(members: dict) -> bytes:
    """A tar.gz of {name: bytes} (plus a symlink for each value that is a ("link", target) pair)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            if isinstance(data, tuple):
                info.type, info.linkname = tarfile.SYMTYPE, data[1]
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def zipped(members: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def acl_tar() -> bytes:
    files = {f"aclImdb/{name}": text.encode() for name, text in REVIEWS.items()}
    return tar_gz({"aclImdb/README": b"readme", "aclImdb/imdb.vocab": b"the\nmovie\n", **files})


def ragged(seqs) -> np.ndarray:
    out = np.empty(len(seqs), dtype=object)
    out[:] = [list(s) for s in seqs]
    return out


def imdb_npz(n_train=40, n_test=30, seed=0) -> bytes:
    """An imdb.npz as Keras stores it: object arrays of lists of raw ranks (from 1), int64 labels."""
    rng = np.random.default_rng(seed)
    seqs = [[int(w) for w in rng.integers(1, 60, rng.integers(1, 30))] for _ in range(n_train + n_test)]
    labels = rng.integers(0, 2, n_train + n_test)
    buf = io.BytesIO()
    np.savez(buf, x_train=ragged(seqs[:n_train]), y_train=labels[:n_train],
             x_test=ragged(seqs[n_train:]), y_test=labels[n_train:])
    return buf.getvalue()


def glove_text(dim: int, seed=0) -> bytes:
    rng = np.random.default_rng(seed)
    values = rng.normal(0, 0.5, (len(GLOVE_WORDS), dim)) * rng.choice([1, 1e-4], (len(GLOVE_WORDS), dim))
    return "".join(w + " " + " ".join("%.5g" % v for v in row) + "\n"
                   for w, row in zip(GLOVE_WORDS, values)).encode("utf-8")


def jena_csv(rows=JENA_ROWS) -> bytes:
    rng = np.random.default_rng(0)
    lines = [JENA_HEADER]
    for i in range(rows):
        values = rng.normal(0, 50, 14)
        values[11] = -9999.0 if i == 3 else values[11]
        when = datetime.datetime(2009, 1, 1) + datetime.timedelta(minutes=10 * (i + 1))
        lines.append(when.strftime("%d.%m.%Y %H:%M:%S,") + ",".join(f"{v:.2f}" for v in values))
    return "\n".join(lines).encode()  # the real file has no trailing newline


def glove_zip() -> bytes:
    return zipped({f"glove.6B.{d}d.txt": glove_text(d) for d in (50, 100, 200)})


def jena_zip(csv: bytes | None = None) -> bytes:
    return zipped({registry.JENA_CSV: csv or jena_csv(), f"__MACOSX/._{registry.JENA_CSV}": b"\x00\x05\x16\x07junk"})


# ---------------------------------------------------------------- local HTTP server and registry

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append(self.path)
        body = self.server.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        cut = self.path in self.server.truncated
        self.wfile.write(body[: len(body) // 2] if cut else body)  # then the connection closes

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.files, httpd.truncated, httpd.requests = {}, set(), []
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/mirror"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def serve(server, name: str, data: bytes, truncated=False) -> None:
    server.files[f"/mirror/{name}"] = data
    if truncated:
        server.truncated.add(f"/mirror/{name}")


def register(monkeypatch, attr: str, digest: str | None, **members) -> None:
    """Replace a registry entry's digest (and member digests) by those of the test files."""
    remote = getattr(registry, attr)
    new = dataclasses.replace(remote, digest=digest, members=members or remote.members)
    for module in (registry, download, loaders):
        if hasattr(module, attr):
            monkeypatch.setattr(module, attr, new)


@pytest.fixture
def everything(server, monkeypatch):
    """Serve every dataset's tiny stand-in and register its digests."""
    files = {"aclImdb_v1.tar.gz": acl_tar(), "imdb.npz": imdb_npz(), "imdb_word_index.json": b'{"the": 1}',
             "glove.6B.zip": glove_zip(), "jena_climate_2009_2016.csv.zip": jena_zip()}
    for name, data in files.items():
        serve(server, name, data)
    register(monkeypatch, "ACLIMDB", sha(files["aclImdb_v1.tar.gz"]))
    register(monkeypatch, "IMDB_NPZ", sha(files["imdb.npz"]))
    register(monkeypatch, "IMDB_WORD_INDEX", "md5:" + hashlib.md5(files["imdb_word_index.json"]).hexdigest())
    register(monkeypatch, "GLOVE", sha(files["glove.6B.zip"]),
             **{f"glove.6B.{d}d.txt": sha(glove_text(d)) for d in (100, 50)})
    monkeypatch.setattr(download, "JENA_ROWS", JENA_ROWS)
    return files


def tree(root: Path) -> dict:
    """Every file under root (hidden temporaries included) -> mtime."""
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in sorted(root.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- downloads

def test_make_data_downloads_verifies_unpacks_and_second_run_is_a_no_op(everything, server, tmp_path, monkeypatch,
                                                                         capsys):
    monkeypatch.setenv(registry.MIRROR_ENV, server.url)
    root = tmp_path / "real"
    assert download.main(["--root", str(root)]) == 0
    first = tree(root)
    assert set(first) == {
        "aclImdb_v1.tar.gz", "imdb.npz", "imdb_word_index.json", "glove.6B.zip", "glove.6B.100d.txt",
        "glove.6B.50d.txt", "jena_climate_2009_2016.csv.zip", registry.JENA_CSV, "PINS.json",
        *(f"glove.6B.{d}d.{ext}" for d in (50, 100) for ext in ("npy", "vocab.json")),   # parsed once, cached
        "aclImdb/README", "aclImdb/imdb.vocab", *(f"aclImdb/{name}" for name in REVIEWS)}
    assert (root / "glove.6B.50d.txt").read_bytes() == glove_text(50)
    assert loaders.read_glove_cache(root / "glove.6B.100d.txt")[0] == GLOVE_WORDS
    assert (root / registry.JENA_CSV).read_bytes() == jena_csv()
    assert json.loads((root / "PINS.json").read_text()) == {
        "jena_climate_2009_2016.csv.zip": sha(everything["jena_climate_2009_2016.csv.zip"]),
        registry.JENA_CSV: sha(jena_csv())}
    assert len(server.requests) == 5

    assert download.main(["--root", str(root), "--only", "aclimdb", "imdb", "--only", "glove", "jena"]) == 0
    assert tree(root) == first and len(server.requests) == 5
    assert "jena: verified" in capsys.readouterr().out


def test_wrong_checksum_is_a_clear_error_and_nothing_is_kept(everything, server, tmp_path, monkeypatch):
    register(monkeypatch, "ACLIMDB", "0" * 64)
    with pytest.raises(registry.ChecksumError) as err:
        download.prepare_aclimdb(tmp_path, server.url)
    assert str(err.value) == (f"aclImdb_v1.tar.gz: SHA-256 mismatch (expected {'0' * 64}, "
                              f"got {sha(everything['aclImdb_v1.tar.gz'])}); the file was discarded")
    assert tree(tmp_path) == {}


def test_wrong_md5_names_the_algorithm(everything, server, tmp_path, monkeypatch):
    register(monkeypatch, "IMDB_WORD_INDEX", "md5:" + "0" * 32)
    with pytest.raises(registry.ChecksumError, match=r"imdb_word_index.json: MD5 mismatch \(expected 0{32}, got"):
        download.prepare_imdb(tmp_path, server.url)
    assert not (tmp_path / "imdb_word_index.json").exists()


def test_a_bad_local_copy_is_discarded_and_fetched_again(everything, server, tmp_path):
    (tmp_path / "imdb.npz").write_bytes(b"corrupt")
    download.prepare_imdb(tmp_path, server.url)
    assert (tmp_path / "imdb.npz").read_bytes() == everything["imdb.npz"]


@pytest.mark.parametrize("name", ["imdb.npz", "jena_climate_2009_2016.csv.zip"])  # with and without a digest
def test_truncated_transfer_leaves_nothing_under_the_final_name(everything, server, tmp_path, name):
    serve(server, name, everything[name], truncated=True)
    prepare = download.prepare_imdb if name == "imdb.npz" else download.prepare_jena
    with pytest.raises(registry.DataError, match="transfer interrupted"):
        prepare(tmp_path, server.url)
    assert tree(tmp_path) == {}


def test_http_404_is_one_line(server, tmp_path):
    with pytest.raises(registry.DataError) as err:
        download.prepare_imdb(tmp_path, server.url)
    assert str(err.value) == f"{server.url}/imdb.npz: HTTP 404"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_host_gives_the_offline_message(tmp_path, capsys):
    mirror = f"http://127.0.0.1:{closed_port()}/data"
    assert download.main(["--root", str(tmp_path), "--mirror", mirror, "--only", "jena"]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "error: cannot reach 127.0.0.1: no internet? the sample data works offline: `make sample`")
    assert tree(tmp_path) == {}


@pytest.mark.parametrize("evil", [{"../evil.txt": b"x"}, {"aclImdb/../../evil.txt": b"x"},
                                  {"aclImdb/train/pos/link.txt": ("link", "/etc/passwd")},
                                  {"aclImdb/train/link": ("link", "../../../evil.txt")}])
def test_tar_member_outside_the_target_is_refused(server, tmp_path, monkeypatch, evil):
    archive = tar_gz({"aclImdb/train/pos/0_9.txt": b"good", **evil})
    serve(server, "aclImdb_v1.tar.gz", archive)
    register(monkeypatch, "ACLIMDB", sha(archive))
    root = tmp_path / "real"
    root.mkdir()
    with pytest.raises(registry.DataError, match="unsafe member refused"):
        download.prepare_aclimdb(root, server.url)
    assert not (tmp_path / "evil.txt").exists()
    assert list(root.iterdir()) == [root / "aclImdb_v1.tar.gz"]  # the verified archive only


def test_unpacked_member_with_the_wrong_digest_is_discarded(everything, server, tmp_path, monkeypatch):
    register(monkeypatch, "GLOVE", sha(everything["glove.6B.zip"]),
             **{"glove.6B.100d.txt": sha(glove_text(100)), "glove.6B.50d.txt": "f" * 64})
    with pytest.raises(registry.ChecksumError, match=r"glove.6B.50d.txt \(in glove.6B.zip\): SHA-256 mismatch"):
        download.prepare_glove(tmp_path, server.url)
    assert set(tree(tmp_path)) == {"glove.6B.zip", "glove.6B.100d.txt"}


def test_jena_is_pinned_on_first_use_and_verified_later(everything, server, tmp_path):
    download.prepare_jena(tmp_path, server.url)
    assert not (tmp_path / "__MACOSX").exists()
    pins = download.read_pins(tmp_path)
    (tmp_path / "jena_climate_2009_2016.csv.zip").unlink()
    serve(server, "jena_climate_2009_2016.csv.zip", jena_zip(jena_csv().replace(b"-9999.00", b"1.00")))
    with pytest.raises(registry.ChecksumError, match="SHA-256 mismatch"):
        download.prepare_jena(tmp_path, server.url)
    assert not (tmp_path / "jena_climate_2009_2016.csv.zip").exists()
    assert download.read_pins(tmp_path) == pins


def test_jena_with_the_wrong_structure_is_not_kept_nor_pinned(everything, server, tmp_path, monkeypatch):
    monkeypatch.setattr(download, "JENA_ROWS", 420_551)
    with pytest.raises(registry.DataError, match=r"expected \"Date Time\" \+ 14 columns x 420,551 rows, .* x 40 rows"):
        download.prepare_jena(tmp_path, server.url)
    assert tree(tmp_path) == {}


# ---------------------------------------------------------------- loaders

@contextmanager
def no_np_load(monkeypatch):
    calls = []
    monkeypatch.setattr(np, "load", lambda *a, **k: calls.append(a))
    yield calls


@pytest.mark.parametrize("sample", [True, False])
def test_imdb_npz_with_the_wrong_digest_is_never_loaded(tmp_path, monkeypatch, sample):
    (tmp_path / "imdb.npz").write_bytes(imdb_npz())
    if sample:
        (tmp_path / "MANIFEST.json").write_text(json.dumps({"files": {"imdb.npz": "0" * 64}}))
    with no_np_load(monkeypatch) as calls, pytest.raises(registry.ChecksumError, match="SHA-256 mismatch") as err:
        loaders.load_imdb(tmp_path)
    assert calls == []
    assert ("make sample" if sample else "make data") in str(err.value)


def sample_folder(tmp_path: Path, npz: bytes) -> Path:
    (tmp_path / "imdb.npz").write_bytes(npz)
    (tmp_path / "MANIFEST.json").write_text(json.dumps({"files": {"imdb.npz": sha(npz)}}))
    return tmp_path


@pytest.mark.parametrize("kwargs", [{}, {"num_words": 20}, {"num_words": 20, "skip_top": 5}, {"maxlen": 12},
                                    {"seed": 7, "start_char": None, "oov_char": None, "index_from": 0},
                                    {"start_char": 5, "oov_char": 9, "index_from": 10, "num_words": 30}])
def test_load_imdb_equals_keras_load_data(tmp_path, monkeypatch, kwargs):
    keras_imdb = pytest.importorskip("keras.src.datasets.imdb")
    folder = sample_folder(tmp_path, imdb_npz())
    monkeypatch.setattr(keras_imdb, "get_file", lambda **_: str(folder / "imdb.npz"))  # no download
    (kx_train, ky_train), (kx_test, ky_test) = keras_imdb.load_data(**kwargs)
    (x_train, y_train), (x_test, y_test) = loaders.load_imdb(folder, **kwargs)
    assert x_train.dtype == kx_train.dtype == object
    assert x_train.tolist() == kx_train.tolist() and x_test.tolist() == kx_test.tolist()
    np.testing.assert_array_equal(y_train, ky_train)
    np.testing.assert_array_equal(y_test, ky_test)


def test_load_imdb_conventions(tmp_path):
    npz = io.BytesIO()
    np.savez(npz, x_train=ragged([[1, 2, 3], [4, 5, 6, 7, 8]]), y_train=np.array([0, 1]),
             x_test=ragged([[1, 9]]), y_test=np.array([1]))
    folder = sample_folder(tmp_path, npz.getvalue())

    (x_train, y_train), (x_test, _) = loaders.load_imdb(folder)
    by_label = dict(zip(y_train.tolist(), x_train.tolist()))
    assert by_label[0] == [1, 4, 5, 6]  # start 1, raw rank + 3
    assert by_label[1] == [1, 7, 8, 9, 10, 11]
    assert x_test.tolist() == [[1, 4, 2]]  # Keras: the largest index (12) counts as OOV when num_words is None
    (x_train, y_train), _ = loaders.load_imdb(folder, num_words=8, skip_top=5)
    assert dict(zip(y_train.tolist(), x_train.tolist()))[1] == [2, 7, 2, 2, 2, 2]
    (x_train, y_train), _ = loaders.load_imdb(folder, maxlen=6)  # strictly shorter than maxlen: 6 words are dropped
    assert x_train.tolist() == [[1, 4, 5, 6]] and y_train.tolist() == [0]


def test_get_word_index_is_the_raw_json(tmp_path):
    (tmp_path / "imdb_word_index.json").write_text('{"the": 1, "café": 2}', encoding="utf-8")
    assert loaders.get_word_index(tmp_path) == {"the": 1, "café": 2}


def test_load_aclimdb_sorted_neg_then_pos_without_unsup(tmp_path):
    with tarfile.open(fileobj=io.BytesIO(acl_tar())) as tar:
        tar.extractall(tmp_path, filter="data")
    texts, labels = loaders.load_aclimdb(tmp_path)
    assert texts == ["Dull, <br />dull.", "Not good at all.", "A joy ★ from start to end.", "Café scenes: great."]
    assert labels.tolist() == [0, 0, 1, 1]
    texts, labels = loaders.load_aclimdb(tmp_path, "test")
    assert texts == ["Weak.", "Superb."] and labels.tolist() == [0, 1]
    with pytest.raises(ValueError):
        loaders.load_aclimdb(tmp_path, "unsup")


def test_load_glove_equals_the_lecture_loop_and_reuses_its_cache(tmp_path, monkeypatch):
    path = tmp_path / "glove.6B.100d.txt"
    path.write_bytes(glove_text(100))
    assert loaders.find_glove(tmp_path, 100) == path
    words, vectors = loaders.load_glove(path)
    loop = lecture_loops.glove_lecture_loop(path)
    assert words == list(loop) == GLOVE_WORDS
    assert vectors.dtype == np.float32 and vectors.shape == (len(GLOVE_WORDS), 100)
    np.testing.assert_array_equal(vectors, np.stack(list(loop.values())))
    assert (tmp_path / "glove.6B.100d.npy").exists() and (tmp_path / "glove.6B.100d.vocab.json").exists()

    real_parse = loaders.parse_glove
    monkeypatch.setattr(loaders, "parse_glove", lambda p: pytest.fail("the cache was not used"))
    cached_words, cached = loaders.load_glove(path)
    assert cached_words == words and np.array_equal(cached, vectors)

    path.write_bytes(glove_text(100, seed=1) + b"extra " + b"0.5 " * 99 + b"0.5\n")  # the source changed
    monkeypatch.setattr(loaders, "parse_glove", real_parse)
    words, vectors = loaders.load_glove(path)
    assert words[-1] == "extra" and vectors.shape == (len(GLOVE_WORDS) + 1, 100)


def test_load_glove_works_where_the_cache_cannot_be_written(tmp_path, monkeypatch):
    path = tmp_path / "glove.6B.50d.txt"
    path.write_bytes(glove_text(50))

    @contextmanager
    def read_only(target):
        raise PermissionError(f"read-only: {target}")
        yield

    monkeypatch.setattr(loaders, "replacing", read_only)
    words, vectors = loaders.load_glove(path)
    assert words == GLOVE_WORDS and vectors.shape == (len(GLOVE_WORDS), 50)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["glove.6B.50d.txt"]


def test_load_jena_equals_the_lecture_loop(tmp_path):
    path = tmp_path / registry.JENA_CSV
    path.write_bytes(jena_csv())
    header, values, times = loaders.load_jena(path)
    loop_header, loop_values = lecture_loops.jena_lecture_loop(path)
    assert header == loop_header == JENA_HEADER.split(",")
    assert loaders.column_names(header)[:3] == ["Date Time", "p (mbar)", "T (degC)"]
    assert values.dtype == np.float32 and values.shape == (JENA_ROWS, 14)
    np.testing.assert_array_equal(values, loop_values.astype(np.float32))
    assert values[3, 11] == -9999.0
    assert times.dtype == "datetime64[s]" and len(times) == JENA_ROWS
    assert str(times[0]) == "2009-01-01T00:10:00" and np.all(np.diff(times) == np.timedelta64(10, "m"))


@pytest.mark.parametrize("when, first, message", [
    ("31.02.2009 00:30:00", None, "row 3: Date Time '31.02.2009 00:30:00' is not dd.mm.yyyy HH:MM:SS"),
    ("2009-01-01 00:30:00", None, "row 3: Date Time '2009-01-01 00:30:00' is not"),
    ("1.1.2009 00:30", None, "a Date Time value is not dd.mm.yyyy HH:MM:SS"),
    (None, "x", "not a Jena climate CSV"),
])
def test_a_malformed_jena_row_is_one_clear_error(tmp_path, when, first, message):
    lines = jena_csv(6).decode().split("\n")
    fields = lines[3].split(",")
    fields[0], fields[1] = when or fields[0], first or fields[1]
    lines[3] = ",".join(fields)
    path = tmp_path / registry.JENA_CSV
    path.write_text("\n".join(lines))
    with pytest.raises(registry.DataError, match=re.escape(message)) as err:
        loaders.load_jena(path)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("manifest, command", [(False, "make data"), (True, "make sample")])
def test_missing_files_name_the_command_that_makes_them(tmp_path, manifest, command):
    if manifest:
        (tmp_path / "MANIFEST.json").write_text('{"files": {}}')
    for load in (loaders.load_imdb, loaders.get_word_index, loaders.load_aclimdb, lambda f: loaders.find_glove(f, 50),
                 lambda f: loaders.load_glove(f / "glove.6B.100d.txt"), lambda f: loaders.load_jena(f / registry.JENA_CSV)):
        with pytest.raises(DataNotFound, match=command):
            load(tmp_path)


# ---------------------------------------------------------------- the bad paths of `make data`

def test_without_root_it_fills_the_real_data_set_of_DATA_DIR(everything, server, tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    assert download.main(["--mirror", server.url, "--only", "imdb"]) == 0
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["imdb.npz", "imdb_word_index.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real"]


def test_offline_is_one_line_naming_the_host_and_the_sample_data(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(registry.MIRROR_ENV, raising=False)

    def no_network(*args, **kwargs):
        raise requests.ConnectionError("Failed to resolve 'storage.googleapis.com'")

    monkeypatch.setattr(requests, "get", no_network)
    assert download.main(["--root", str(tmp_path), "--only", "imdb"]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (       # after pooch's "Downloading data from ..." line
        "error: cannot reach storage.googleapis.com: no internet? the sample data works offline: `make sample`")
    assert tree(tmp_path) == {}


def test_an_interrupted_transfer_is_downloaded_again_next_time(everything, server, tmp_path):
    serve(server, "imdb.npz", everything["imdb.npz"], truncated=True)
    with pytest.raises(registry.DataError, match="transfer interrupted"):
        download.prepare_imdb(tmp_path, server.url)
    assert tree(tmp_path) == {}
    server.truncated.clear()
    download.prepare_imdb(tmp_path, server.url)
    assert (tmp_path / "imdb.npz").read_bytes() == everything["imdb.npz"]
    assert server.requests.count("/mirror/imdb.npz") == 2


class Stalling(http.server.BaseHTTPRequestHandler):
    """Sends the first half of a file, then waits until the test lets it go (a download cut by Ctrl-C)."""

    def do_GET(self):
        body = self.server.body
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        if self.server.stall:
            self.server.release.wait(30)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("stall, code, last", [
    (True, 130, "interrupted: no partial file was kept; `make data` starts the unfinished file again"),
    (False, 1, "error: {url}/jena_climate_2009_2016.csv.zip: transfer interrupted (ChunkedEncodingError); "
               "nothing was kept, run `make data` again")])
def test_ctrl_c_or_a_dropped_connection_leaves_no_file_and_ends_with_one_line(tmp_path, stall, code, last):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stalling)
    httpd.body, httpd.stall, httpd.release = np.random.default_rng(0).bytes(4 << 20), stall, threading.Event()
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    root, url = tmp_path / "real", f"http://127.0.0.1:{httpd.server_address[1]}"
    proc = subprocess.Popen([sys.executable, "-m", "ch6.data.download", "--root", str(root), "--only", "jena",
                             "--mirror", url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # a background
    try:                                       # launcher (`cmd &` without job control) would leave Ctrl-C ignored
        deadline = time.monotonic() + 60
        while stall and not any(p.stat().st_size for p in root.glob("*") if p.is_file()) \
                and time.monotonic() < deadline:
            time.sleep(0.1)                                       # until the first bytes are on disk
        if stall:
            assert list(root.iterdir()), "the download never started"
            proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        httpd.release.set()
        proc.kill()
        httpd.shutdown()
        httpd.server_close()
    assert proc.returncode == code, err
    assert err.splitlines()[-1] == last.format(url=url)          # after the progress bar's last line, not inside it
    assert list(root.iterdir()) == []


def test_not_enough_disk_space_is_one_line_before_any_download(server, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(download.shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**12, 10**12, 10**8))
    assert download.main(["--root", str(tmp_path), "--mirror", server.url]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"error: not enough disk space in {tmp_path}: aclImdb_v1.tar.gz, imdb.npz, imdb_word_index.json, "
        "glove.6B.zip, jena_climate_2009_2016.csv.zip need 1,497 MB (downloads and unpacked files), 100 MB is free; "
        "free some space or set DATA_DIR to a folder on a larger disk"]
    assert server.requests == [] and tree(tmp_path) == {}
    assert sum(r.size + r.unpacked for r in registry.REMOTES) == 1_497_449_550     # GloVe: 862 MB + 518 MB unpacked


def test_files_already_there_need_no_space(everything, server, tmp_path, monkeypatch):
    download.prepare_imdb(tmp_path, server.url)
    monkeypatch.setattr(download.shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**12, 10**12, 0))
    assert download.main(["--root", str(tmp_path), "--mirror", server.url, "--only", "imdb"]) == 0


# ---------------------------------------------------------------- the test registry

def write_registry(path: Path, files: dict, changes: dict | None = None) -> Path:
    entries = {r.name: {"size": 1, "sha256": "a" * 64, "members": dict.fromkeys(r.members, "b" * 64)}
               for r in registry.REMOTES}
    for name, data in files.items():
        entries[name] = {"size": len(data), "sha256": sha(data), "members": entries[name]["members"]}
    entries.update(changes or {})
    path.write_text(json.dumps({"files": entries}))
    return path


def test_the_test_registry_replaces_digests_for_the_downloader_and_the_loader(everything, server, tmp_path,
                                                                            monkeypatch):
    data = {"imdb.npz": imdb_npz(seed=5), "imdb_word_index.json": b'{"a": 1}'}
    for name, body in data.items():
        serve(server, name, body)
    monkeypatch.setenv(registry.TEST_REGISTRY_ENV, str(write_registry(tmp_path / "reg.json", data)))
    root = tmp_path / "real"
    assert download.main(["--root", str(root), "--mirror", server.url, "--only", "imdb"]) == 0
    assert len(loaders.load_imdb(root)[0][0]) == 40
    monkeypatch.delenv(registry.TEST_REGISTRY_ENV)
    with pytest.raises(registry.ChecksumError, match="make data"):       # the real digest again
        loaders.load_imdb(root)


def test_the_test_registry_still_verifies(everything, server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(registry.TEST_REGISTRY_ENV, str(write_registry(tmp_path / "reg.json", {})))
    assert download.main(["--root", str(tmp_path / "real"), "--mirror", server.url, "--only", "imdb"]) == 1
    assert re.fullmatch(r"error: imdb.npz: SHA-256 mismatch \(expected a{64}, got [0-9a-f]{64}\); "
                        r"the file was discarded", capsys.readouterr().err.splitlines()[-1])
    assert tree(tmp_path / "real") == {}


@pytest.mark.parametrize("entry", [None, {"size": 10, "sha256": None}, {"size": 10, "sha256": "md5:" + "0" * 32},
                                   {"size": 0, "sha256": "a" * 64}])
def test_an_incomplete_test_registry_is_refused(tmp_path, monkeypatch, capsys, entry):
    reg = write_registry(tmp_path / "reg.json", {}, {registry.JENA.name: entry})
    monkeypatch.setenv(registry.TEST_REGISTRY_ENV, str(reg))
    assert download.main(["--root", str(tmp_path / "real"), "--only", "jena"]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"error: test registry {reg} ($CH6_TEST_REGISTRY): jena_climate_2009_2016.csv.zip needs a size and a "
        "SHA-256 for the file and each of jena_climate_2009_2016.csv")


def test_a_sample_folder_asked_for_glove_100d_says_it_has_50d_only(tmp_path):
    (tmp_path / "MANIFEST.json").write_text('{"files": {}}')
    (tmp_path / "glove.6B.50d.txt").write_bytes(glove_text(50))
    assert loaders.find_glove(tmp_path, 50) == tmp_path / "glove.6B.50d.txt"
    with pytest.raises(DataNotFound) as err:
        loaders.find_glove(tmp_path, 100)
    assert str(err.value) == (f"{tmp_path}/glove.6B.100d.txt is missing: the sample data has GloVe 50d only "
                              "(embedding_dim=50); glove.6B.100d.txt comes with the real data: run `make data`")
