"""The real-data path through the Makefile, offline: a local mirror of the four downloads -> `make data` ->
every notebook with the smoke-full profile on $DATA_DIR/real (`make test-real`).

The mirror serves archives in the real formats (aclImdb tar.gz, imdb.npz + imdb_word_index.json,
glove.6B.zip with 50d and 100d members, the Jena zip) made by the sample generators: reviews at the small
size, the real GloVe 50d vectors (the 100d member repeats each 50d vector twice), Jena at the real size
(420,551 rows, so the downloader's row check holds as it is). A test registry carries their sizes and digests.
"""
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import tarfile
import threading
import time
import zipfile
from pathlib import Path

import pytest
import yaml

from ch6 import paths
from ch6.bench import smoke
from ch6.data import registry, sample_glove, sample_reviews, sample_weather

MAKE_ENV = {"TF_CPP_MIN_LOG_LEVEL": "2"}
E2E = os.environ.get("CH6_TEST_REAL") == "1"     # set by `make test-real`; `make test-unit` skips the long test


def sha(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# ------------------------------------------------------------------------------------------ the mirror

def glove_zip(source: Path, out: Path) -> dict:
    """glove.6B.zip with the real 50d text and a 100d member made of each 50d vector written twice."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.write(source, "glove.6B.50d.txt")
        hasher = hashlib.sha256()
        with open(source, "rb") as src, zf.open("glove.6B.100d.txt", "w", force_zip64=True) as dst:
            for line in src:
                token, values = line.rstrip(b"\n").split(b" ", 1)
                row = token + b" " + values + b" " + values + b"\n"
                hasher.update(row)
                dst.write(row)
    return {"glove.6B.50d.txt": sample_glove.GLOVE_SHA256, "glove.6B.100d.txt": hasher.hexdigest()}


def build_mirror(folder: Path, work: Path) -> dict:
    """Write the five files the downloader fetches into ``folder``; return the test registry for them."""
    folder.mkdir(parents=True)
    sample_reviews.make_imdb(work, "small")                                # aclImdb/ (with train/unsup), npz, json
    with tarfile.open(folder / registry.ACLIMDB.name, "w:gz", compresslevel=1) as tar:
        tar.add(work / "aclImdb", "aclImdb")
    for name in ("imdb.npz", "imdb_word_index.json"):
        shutil.copy(work / name, folder / name)
    members = {"glove.6B.zip": glove_zip(sample_glove_file(), folder / "glove.6B.zip")}
    csv = sample_weather.make_jena(work, "full")["files"][sample_weather.JENA_NAME][1]
    with zipfile.ZipFile(folder / registry.JENA.name, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.write(work / sample_weather.JENA_NAME, registry.JENA_CSV)
    members[registry.JENA.name] = {registry.JENA_CSV: csv}
    return {"files": {r.name: {"size": (folder / r.name).stat().st_size, "sha256": sha(folder / r.name),
                               "members": members.get(r.name, {})} for r in registry.REMOTES}}


def sample_glove_file() -> Path:
    """The real glove.6B.50d.txt of the sample data (written there first if missing, digest checked)."""
    folder = paths.sample_folder()
    sample_glove.make_glove(folder)
    return folder / sample_glove.GLOVE_NAME


class Mirror(http.server.SimpleHTTPRequestHandler):
    """Serves the mirror folder and counts the requests."""

    def log_message(self, *args):
        self.server.requests.append(self.path)


@pytest.fixture
def mirror(tmp_path):
    """A local HTTP server on 127.0.0.1 serving the mirror; yields (base URL, registry file, server)."""
    folder = tmp_path / "mirror"
    reg = build_mirror(folder, tmp_path / "generated")
    reg_file = tmp_path / "test-registry.json"
    reg_file.write_text(json.dumps(reg, indent=1))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                            lambda *a: Mirror(*a, directory=str(folder)))
    httpd.requests = []
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", reg_file, httpd
    httpd.shutdown()
    httpd.server_close()


def make(*args, env: dict) -> subprocess.CompletedProcess:
    """Run ``make ARGS`` in the repository with ``env`` added to this process's environment."""
    return subprocess.run(["make", "--no-print-directory", *args], cwd=paths.REPO, capture_output=True, text=True,
                          env={**os.environ, **MAKE_ENV, **env})


def outputs(notebook: Path) -> str:
    """Every text output of an executed notebook, joined."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    parts = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            parts.append("".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


@pytest.mark.skipif(not E2E, reason="the end-to-end run takes minutes: `make test-real` runs it")
def test_make_data_from_a_mirror_then_every_notebook_with_the_smoke_full_profile(mirror, tmp_path):
    url, reg_file, httpd = mirror
    env = {"DATA_DIR": str(tmp_path / "data"), registry.MIRROR_ENV: url, registry.TEST_REGISTRY_ENV: str(reg_file),
           "CH6_RESULTS_DIR": str(tmp_path / "results")}
    committed = {nb.name: nb.read_bytes() for nb in paths.NOTEBOOKS.glob("*.ipynb")}
    start = time.perf_counter()
    first = make("data", env=env)
    assert first.returncode == 0, first.stderr[-3000:]
    real = tmp_path / "data" / "real"
    assert f"note: sizes and digests come from the test registry {reg_file}" in first.stdout
    assert {"aclimdb: verified", "imdb: verified", "glove: verified", "jena: verified"} <= {
        line.split(":")[0] + ": verified" for line in first.stdout.splitlines() if ": verified:" in line}
    for name in ("aclImdb/train/pos", "aclImdb/test/neg", "imdb.npz", "imdb_word_index.json", "glove.6B.100d.txt",
                 "glove.6B.50d.txt", registry.JENA_CSV):
        assert (real / name).exists(), name
    assert not (tmp_path / "data" / "sample").exists()       # nothing outside real/
    fetched = len(httpd.requests)
    assert fetched == 5

    again = make("data", env=env)
    assert again.returncode == 0 and len(httpd.requests) == fetched    # verified copies are kept: no download
    data_s = time.perf_counter() - start

    run = make("notebooks", "PROFILE=smoke-full", "JOBS=2", env=env)
    total_s = time.perf_counter() - start
    print(f"\nmake data: {data_s:.0f} s; make data + make notebooks PROFILE=smoke-full: {total_s:.0f} s")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "11/11 notebooks ok" in run.stdout and "(profile smoke-full)" in run.stdout

    executed = {nb.stem.split("_")[0]: outputs(nb) for nb in (paths.BUILD / "smoke-full").glob("*.ipynb")}
    assert len(executed) == 11
    shown = f"real datasets (make data) in {real}; verified against the test registry {reg_file}"
    assert all(shown in text for text in executed.values()), [k for k, t in executed.items() if shown not in t]
    assert "glove.6B.100d.txt: 共有 400,000 個文字嵌入向量，每個 100 維" in executed["6-1-3"]
    assert "(200, 100)" in executed["6-1-3"]                               # maxlen 100 for 200 training samples
    assert re.search(r"\(\d+, 500\)", executed["6-2"]) and re.search(r"\(\d+, 500\)", executed["6-4-3"])
    for key in ("6-3-5", "6-3-6", "6-3-7", "6-3-8", "6-4-4"):
        assert "420,551 列 × 14 個特徵" in executed[key], key
    assert "420,551 行資料" in executed["6-3-1"]
    assert committed == {nb.name: nb.read_bytes() for nb in paths.NOTEBOOKS.glob("*.ipynb")}   # never written back


# ------------------------------------------------------------------------------ the Makefile and the profile

def test_full_profile_without_the_real_data_is_one_line_naming_make_data(tmp_path):
    run = make("notebooks", "PROFILE=full", env={"DATA_DIR": str(tmp_path)})
    assert run.returncode != 0
    errors = [line for line in run.stderr.splitlines() if not re.match(r"make(\[\d+\])?: \*\*\*", line)]
    assert errors == [f"error: params/full.yaml [6-1-1]: data folder {tmp_path}/real does not exist: "
                      "run `make data` (downloads the real datasets)"]
    assert list(tmp_path.iterdir()) == []                  # no sample data made for a run that reads real/


def test_make_data_fills_the_real_data_set_folder(tmp_path):
    run = make("-n", "data", env={"DATA_DIR": str(tmp_path)})
    command = [line for line in run.stdout.splitlines() if "ch6.data.download" in line]
    assert command == [".venv/bin/python -m ch6.data.download "]            # no --root: ch6.paths decides
    assert paths.dataset_folder("real") == paths.data_root() / "real"
    makefile = (paths.REPO / "Makefile").read_text(encoding="utf-8")
    assert paths.sample_folder() == paths.dataset_folder("sample") == paths.data_root() / "sample"
    assert "$(DATA_DIR)/sample/MANIFEST.json:" in makefile


def smoke_marked(path: Path) -> dict:
    """{notebook: {key}} of the values marked ``# smoke`` in a profile file."""
    marked, notebook = {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if re.fullmatch(r"  ([\w-]+):", line):
            notebook = line.strip()[:-1]
        elif notebook and re.match(r"    \w+: .*# smoke", line):
            marked.setdefault(notebook, set()).add(line.split(":")[0].strip())
    return marked


def test_smoke_full_is_the_full_profile_cut_short():
    full = yaml.safe_load((paths.PARAMS / "full.yaml").read_text(encoding="utf-8"))
    smoke = yaml.safe_load((paths.PARAMS / "smoke-full.yaml").read_text(encoding="utf-8"))
    marked = smoke_marked(paths.PARAMS / "smoke-full.yaml")
    assert smoke["defaults"] == full["defaults"] and set(smoke["notebooks"]) == set(full["notebooks"])
    for nb, values in full["notebooks"].items():
        cut = marked.get(nb, set())
        assert set(smoke["notebooks"][nb]) == set(values) | cut, nb
        assert {k: v for k, v in smoke["notebooks"][nb].items() if k not in cut} == \
            {k: v for k, v in values.items() if k not in cut}, nb
        for key in cut:   # only counts shrink (0 in full means "all" / "the whole range")
            assert values.get(key, 0) == 0 or smoke["notebooks"][nb][key] < values[key], (nb, key)
    assert all(smoke["notebooks"][nb].get(k) == 1 for nb in full["notebooks"] for k in ("epochs",)
               if k in full["notebooks"][nb])


# ------------------------------------------------------------------------------ make bench, part "smoke"

def test_bench_smoke_runs_on_the_real_data_when_there_else_on_sample_full(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    assert smoke.data_set() == "sample-full"
    (tmp_path / "real" / "aclImdb").mkdir(parents=True)
    (tmp_path / "real" / "glove.6B.100d.txt").write_text("the 0.1\n")
    assert smoke.data_set() == "real"


def test_bench_smoke_puts_each_notebook_next_to_its_full_estimate(tmp_path):
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"full_estimate": {"notebooks": [{"notebook": "6-3-5", "total_s": 600.0}]}}))
    assert smoke.estimates({}, results) == {"6-3-5": 600.0}                       # the last results file
    this_run = {"full_estimate": {"notebooks": [{"notebook": "6-2", "total_s": 60.0}]}}
    assert smoke.estimates(this_run, results) == {"6-2": 60.0}                    # this run's estimate first
    report = {"smoke_full": {"data": "sample-full", "jobs": 2, "ok": False, "wall_seconds": 300.0, "notebooks": [
        {"notebook": "6-3-5", "ok": True, "smoke_s": 31.0, "full_estimate_s": 600.0, "error": ""},
        {"notebook": "6-1-3", "ok": False, "smoke_s": 5.0, "full_estimate_s": None, "error": "FileNotFoundError"}]}}
    [line] = smoke.summary_lines(report)
    assert "on sample-full" in line and "**300 s**: 6-3-5 31 s (est. 10.0 min), 6-1-3 FAILED |" in line
    assert smoke.summary_lines({}) == []
