"""The grader: checks and criteria, student versions, and grading real and adversarial copies in the sandbox."""
import csv
import dataclasses
import hashlib
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import psutil
import pytest

from ch6 import check as checking
from ch6 import paths
from ch6.grader import cgroups, copies, evaluate, exercises, gradebook, prepare, sandbox, scoring, student
from ch6.grader import pipeline as grading
from grading_fixtures import attacks, build

REAL_DATA = paths.data_root()
KERAS_NB, PLAIN_NB = "6-9-1_keras_fixture.ipynb", "6-9-2_plain_fixture.ipynb"
KERAS_LIMITS = sandbox.Limits(cell_timeout=240, wall=400)
PLAIN_LIMITS = sandbox.Limits(cell_timeout=15, wall=120, memory=1 << 30, tasks=64)
HOST_TMP = Path("/tmp") / f"ch6-grading-escape-{os.getpid()}"


# ------------------------------------------------------------------------------------------ unit tests

def test_parse_checks_reads_names_criteria_points_and_hidden():
    checks = exercises.parse_checks(build.MODEL_TESTS)
    assert [c.name for c in checks] == ["parameter count", "one loss per epoch", "standardized mean",
                                        "final loss is finite"]
    assert [c.hidden for c in checks] == [False, True, True, True]
    assert checks[0].expr == "model.count_params()" and checks[0].criterion == {"equals": 3}
    assert checks[2].criterion == {"close": 0.0, "tol": 1e-5} and checks[2].points == 0.5


@pytest.mark.parametrize("source", [
    "check('x', 1)",                                        # no criterion
    "check('x', 1, equals=1, isa='int')",                   # two criteria
    "check('x', 1, equals=answer)",                         # not a literal
    "check(name, 1, equals=1)",                             # name not a literal
    "check('x', 1, equals=1, tol=0.1)",                     # tol without close
    "check('x', 1, isa='tuple')",
    "x = 1\ncheck('x', x, equals=1)",                       # code in a test cell
    "### BEGIN HIDDEN TESTS\ncheck('x', 1, equals=1)",      # unbalanced markers
])
def test_parse_checks_rejects_cells_that_break_the_format(source):
    with pytest.raises(exercises.AuthoringError):
        exercises.parse_checks(source, "nb [ex1-tests]")


def test_judge_is_strict_about_types():
    assert checking.judge(5, equals=5)[0] and not checking.judge(5.0, equals=5)[0]
    assert not checking.judge(True, equals=1)[0] and not checking.judge(1, equals=True)[0]
    assert checking.judge([2, 11], equals=(2, 11))[0] and not checking.judge([2, 11.0], equals=[2, 11])[0]
    assert checking.judge({"a": [1]}, equals={"a": [1]})[0] and not checking.judge({"a": [1]}, equals={"a": 1})[0]
    assert checking.judge(0.1000001, close=0.1, tol=1e-3)[0] and not checking.judge(float("nan"), close=0.1)[0]
    assert checking.judge([1, 2.0], close=[1, 2], tol=0)[0] and not checking.judge(True, close=1, tol=0.5)[0]
    assert checking.judge(3, between=(0, 5))[0] and not checking.judge(True, between=(0, 5))[0]
    assert not checking.judge(float("inf"), between=(0, float("inf")))[0]
    assert checking.judge("s", isa="str")[0] and not checking.judge(True, isa="int")[0]


def extracted_values(**values) -> dict:
    """Values as the host sees them after the wire: encoded in the kernel's way, decoded, hydrated."""
    nonce = "ab" * 16
    text = "".join(f"{nonce} {i} v {checking._wire(checking.encode(v))}\n" for i, v in enumerate(values.values()))
    return scoring.extracted(text, nonce, list(values))


def test_checks_are_evaluated_on_the_host_over_plain_data():
    import keras
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), keras.layers.Dropout(0.25)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    env = extracted_values(x=np.arange(6).reshape(2, 3), words={"ab c", "de"}, t=(1, 2), model=model, n=np.int64(7),
                           h={"loss": [0.5, 0.25]}, ragged=np.array([[1, 2], [3]], dtype=object))
    cases = {"x": [[0, 1, 2], [3, 4, 5]], "list(x.shape)": [2, 3], "x[1].tolist()": [3, 4, 5], "int(x[1, 2])": 5,
             "model.count_params()": 8, "int(model.layers[0].count_params())": 8, "len(model.layers)": 2,
             "float(model.layers[1].rate)": 0.25, "list(model.output_shape)": [None, 2],
             "round(float(model.optimizer.learning_rate), 6)": 0.01, "sorted(words)": ["ab c", "de"],
             "type(words).__name__": "set", "type(t).__name__": "tuple", "n * 2 + 1 > 14": True,
             "[int(v) for v in x.sum(axis=1)]": [3, 12], "sorted(w for w in words if w.count(' ') == 1)": ["ab c"],
             "float(h['loss'][-1])": 0.25, "bool(len(h['loss']) == 2)": True, "list(t)": [1, 2],
             "int(np.prod(model.trainable_weights[0].shape))": 6,
             "round(float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)), 6)": 0.01,
             "len(ragged[1])": 1, "list(ragged[0][-1:])": [2], "float(np.asarray(x)[0, 1])": 1.0}
    for expr, expected in cases.items():
        assert checking.to_plain(evaluate.evaluate(expr, env)) == expected, expr


@pytest.mark.parametrize("expr", ["__import__('os')", "x.__class__", "open('/etc/passwd')", "eval('1')",
                                  "(lambda: 1)()", "model.fit(x)", "x.tofile('/tmp/x')", "[y := 1]",
                                  "getattr(x, 'shape')"])
def test_the_host_evaluator_refuses_what_it_does_not_offer(expr):
    with pytest.raises(evaluate.NotSupported):
        evaluate.parse(expr)


@pytest.mark.parametrize("expr", ["10 ** 10 ** 10", "[0] * 10 ** 12", "'a' * 10 ** 9", "list(range(10 ** 12))",
                                  "missing + 1", "x[99]", "1 / 0"])
def test_the_host_evaluator_fails_safely_with_its_own_message(expr):
    with pytest.raises(evaluate.EvalError):
        evaluate.evaluate(expr, {"x": [1]})


class AlwaysEqual:
    def __eq__(self, other):
        return True


class FloatSub(float):
    def __eq__(self, other):
        return True


class FakeNumpy:
    __module__ = "numpy"

    def tolist(self):
        return [1, 2]


class ArraySub(np.ndarray):
    pass


@pytest.mark.parametrize("fake", [AlwaysEqual(), FloatSub(1.0), FakeNumpy(), np.zeros(2).view(ArraySub),
                                  {1: 2}, {"a": AlwaysEqual()}, [1, FloatSub(2.0)], object(), np.array([object()])])
def test_to_plain_refuses_what_is_not_plain_data(fake):
    with pytest.raises(TypeError):
        checking.to_plain(fake)


def test_to_plain_converts_numpy_and_tuples_to_exact_builtin_types():
    value = checking.to_plain({"a": (np.int64(3), np.float32(0.5)), "b": np.arange(3), "c": np.bool_(True)})
    assert value == {"a": [3, 0.5], "b": [0, 1, 2], "c": True}
    assert [type(v) for v in value["a"]] == [int, float] and type(value["c"]) is bool
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError):
        checking.to_plain(loop)


def test_check_prints_a_tick_or_raises_with_the_reason(capsys):
    checking.check("size", np.int64(5), equals=5, points=1)
    assert "✓ size" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="expected a value equal"):
        checking.check("size", 4, equals=5)
    with pytest.raises(AssertionError, match="not plain data"):
        checking.check("size", AlwaysEqual(), equals=5)


def test_values_survive_the_wire_and_foreign_lines_are_ignored():
    values = [None, True, 3, -0.5, float("nan"), float("inf"), "中文\n\ud800 'quotes'", [1, [2.5]], {"k\n": {"x": []}}]
    nonce = "ab" * 16
    text = "".join(f"{nonce} {i} v {checking._wire(v)}\n" for i, v in enumerate(values))
    text += f"{nonce} 0 v 999\n{'cd' * 16} 1 v 1\n{nonce} 99 v 1\n{nonce} x v 1\nnoise\n"
    text += f"{nonce} {len(values)} e {checking._wire('NameError: x')}\n{nonce} {len(values) + 1} v [[[\n"
    found = prepare.read_values(text, nonce, len(values) + 2)
    got = [found[i][1] for i in range(len(values))]
    assert got[4] != got[4] and got[:4] + got[5:] == values[:4] + values[5:]
    assert found[len(values)] == ("e", "NameError: x") and found[len(values) + 1][0] == "e"
    assert len(found) == len(values) + 2


@pytest.mark.parametrize("data, reason", [(b"", "empty"), (b"\xff\xfe\x00", "UTF-8"), (b"{not json", "notebook"),
                                          (b"{}", "notebook"), (b'{"cells": 5, "nbformat": 4}', "notebook")])
def test_read_copy_explains_unreadable_files(data, reason):
    with pytest.raises(copies.Unreadable, match=reason):
        copies.read_copy(data)


def test_prepare_restores_tests_from_the_source_and_keeps_answers_out():
    source = build.keras_notebook()
    copy = build.copy_with(source, build.correct("6-9-1"), tests={"ex1-tests": attacks.EDITED_TESTS,
                                                                   "ex2-tests": None})
    copy.cells[5], copy.cells[8] = copy.cells[8], copy.cells[5]          # the student swapped the exercises
    copy.cells.insert(2, nbformat.v4.new_code_cell("epochs = 99", metadata={"tags": ["injected-parameters"]}))
    prepared = prepare.prepare(copy, exercises.exercises(source), {"data": "/d", "epochs": 1})
    cells = prepared.notebook.cells
    text = "\n".join(c.source for c in cells)
    tags = [c.metadata.get("tags", []) for c in cells]
    assert cells[0].metadata["ch6"]["role"] == "preamble"
    assert tags.index(["injected-parameters"]) == tags.index(["parameters"]) + 1 and "epochs = 1" in text
    assert tags.count(["injected-parameters"]) == 1 and "epochs = 99" not in text     # a stale papermill cell
    assert not any(re.search(r"(?<![.\w])check\(", c.source) for c in cells if "cell" in c.metadata.get("ch6", {}))
    assert prepared.extract_at[0] < prepared.extract_at[1]                # the source's order wins
    first, second = (cells[at].source for at in prepared.extract_at)
    assert "['counts', 'vocab']" in first and "['epochs', 'history', 'model', 'xs']" in second
    for expr in (c.expr for ex in exercises.exercises(source) for c in ex.checks if not c.expr.isidentifier()):
        assert not expr.isidentifier() and expr not in text               # no check text enters the sandbox
    assert "'apple': 3" not in text and '"apple": 3' not in text and "1000000.0" not in text


def test_student_version_has_stubs_visible_tests_only_and_no_outputs(tmp_path):
    source = build.keras_notebook()
    source.cells[3].outputs = [nbformat.v4.new_output("stream", text="old output")]
    source.cells.insert(2, nbformat.v4.new_code_cell("epochs = 99", metadata={"tags": ["injected-parameters"]}))
    (tmp_path / "src").mkdir()
    build.write(source, tmp_path / "src" / KERAS_NB)
    written = student.write_all(tmp_path / "src", tmp_path / "student")
    nb = nbformat.read(written[0], as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "BEGIN SOLUTION" not in text and "HIDDEN" not in text and "vocab[:2]" not in text
    assert "epochs = 99" not in text
    assert text.count(student.STUB) == 2 and 'check("vocabulary size"' in text
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(tests) == 2 and all(c.metadata["editable"] is False and c.metadata["deletable"] is False for c in tests)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
    first = (tmp_path / "student.zip").read_bytes()
    student.write_all(tmp_path / "src", tmp_path / "student")
    assert (tmp_path / "student.zip").read_bytes() == first
    assert zipfile.ZipFile(io.BytesIO(first)).namelist() == [KERAS_NB]


def test_read_submission_never_follows_links_or_blocks(tmp_path):
    (tmp_path / "real.ipynb").write_text("{}")
    (tmp_path / "link.ipynb").symlink_to(tmp_path / "real.ipynb")
    os.mkfifo(tmp_path / "fifo.ipynb")
    assert copies.read_submission(tmp_path / "real.ipynb") == (b"{}", None)
    assert copies.read_submission(tmp_path / "link.ipynb") == (None, "is a symbolic link")
    assert copies.read_submission(tmp_path / "fifo.ipynb") == (None, "is not a regular file")
    assert copies.read_submission(tmp_path / "none.ipynb") == (None, "not submitted")


def test_an_interrupted_write_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "grades.csv"
    target.write_text("old\n")
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        gradebook.write_text(target, "new\n" * 1000)
    assert target.read_text() == "old\n" and os.listdir(tmp_path) == ["grades.csv"]


# ------------------------------------------------------------------------------------------ in the sandbox

def sandbox_processes(uids=()) -> list:
    """Processes of this session's graded copies still alive: their own uids, or a fallback scratch folder."""
    found = []
    for proc in psutil.process_iter(["uids", "cmdline"]):
        uid = proc.info["uids"].real if proc.info["uids"] else -1
        cmdline = " ".join(proc.info["cmdline"] or [])
        if uid in uids or "ch6-grade-" in cmdline:
            found.append((proc.pid, uid, cmdline))
    return found


def test_the_wall_clock_limit_kills_a_copy_that_ignores_interrupts():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os, signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "if os.fork() == 0:\n    os.setsid()\n    time.sleep(1000)\ntime.sleep(1000)")])
    start = time.monotonic()
    outcome = sandbox.run(nb, [], sandbox.Limits(cell_timeout=100, wall=6), [])
    assert outcome.ended == "timeout" and 6 <= time.monotonic() - start < 20
    assert sandbox_processes({outcome.uid}) == []


def test_the_fallback_sandbox_scrubs_limits_and_cleans_up(monkeypatch):
    monkeypatch.setattr(sandbox, "isolation", lambda: "fallback")
    monkeypatch.setenv("CH6_TEST_SECRET", "the grader's secret")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os, resource, time\nprint(resource.getrlimit(resource.RLIMIT_DATA)[0])\n"
        "print(os.getuid(), os.getcwd(), sorted(os.environ))\n"
        "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(1000)\n    os._exit(0)")])
    limits = sandbox.Limits(cell_timeout=60, wall=120, memory=1 << 30)
    outcome = sandbox.run(nb, [0], limits, [])
    assert outcome.ended == "done" and outcome.isolation == "fallback"
    data_limit, rest = outcome.events[0]["stdout"].split("\n", 1)
    uid, cwd, env = rest.split(" ", 2)
    assert int(data_limit) == limits.memory
    assert "CH6_TEST_SECRET" not in env and "DATA_DIR" not in env and not Path(cwd).exists()
    assert (int(uid) != os.geteuid()) == sandbox._own_uids("fallback")
    assert sandbox_processes({outcome.uid}) == []


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """Data, the two fixture source folders and a profile; DATA_DIR points at the data for the module."""
    root = tmp_path_factory.mktemp("grading")
    (root / "data" / "sample").mkdir(parents=True)
    (root / "data" / "sample" / "words.txt").write_text(build.WORDS)
    for folder, name, nb in (("src_keras", KERAS_NB, build.keras_notebook()),
                             ("src_plain", PLAIN_NB, build.plain_notebook())):
        (root / folder).mkdir()
        build.write(nb, root / folder / name)
    (root / "ci.yaml").write_text(build.PROFILE)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATA_DIR", str(root / "data"))
        mp.setenv("CH6_TEST_SECRET", "the grader's secret")
        yield root


@pytest.fixture(scope="module")
def host_server():
    """A TCP server on the host's 127.0.0.1 that counts the connections it gets."""
    server, accepted = socket.create_server(("127.0.0.1", 0)), []

    def serve():
        while True:
            accepted.append(server.accept())

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1], accepted
    server.close()


def grade(workspace, subs: str, out: str, source: str, limits, **kw) -> dict:
    report = grading.grade_all(workspace / subs, workspace / out, jobs=2, profile=str(workspace / "ci.yaml"),
                               source=workspace / source, limits=limits, progress=False, **kw)
    report["rows"] = read_rows(workspace / out / "grades.csv")
    report["leftovers"] = sandbox_processes({r["uid"] for r in report["results"] if r.get("uid")})
    return report


def read_rows(path: Path) -> dict:
    """{student: [(score, status) per exercise]} from grades.csv (checks the header too)."""
    with open(path, newline="") as f:
        reader = csv.reader(f)
        assert next(reader) == gradebook.GRADES_HEADER
        rows = {}
        for student_id, _, _, score, _, status in reader:
            rows.setdefault(student_id, []).append((float(score), status))
    return rows


def data_digest(root: Path) -> str:
    return hashlib.sha256(repr(sorted((str(p), p.read_bytes()) for p in root.rglob("*") if p.is_file()))
                          .encode()).hexdigest()


EXPECTED_KERAS = {
    "correct": [(3, "ok"), (3, "ok")],
    "blank": [(0, "unanswered"), (0, "unanswered")],
    "malformed": [(0, "unreadable")] * 2,
    "empty": [(0, "unreadable")] * 2,
    "symlink": [(0, "unreadable")] * 2,                  # a link to the source notebook
    "wrongname": [(0, "missing")] * 2,
}


@pytest.fixture(scope="module")
def keras_batch(workspace):
    """Grade the Keras fixture's copies (TensorFlow trains in the sandbox) and the unreadable ones, two at a time."""
    source = build.keras_notebook()
    subs = workspace / "subs_keras"
    for name in EXPECTED_KERAS:
        (subs / name).mkdir(parents=True)
    build.write(build.copy_with(source, build.correct("6-9-1")), subs / "correct" / KERAS_NB)
    build.write(student.student_version(source), subs / "blank" / KERAS_NB)
    (subs / "malformed" / KERAS_NB).write_text('{"cells": [')
    (subs / "empty" / KERAS_NB).write_bytes(b"")
    (subs / "symlink" / KERAS_NB).symlink_to(workspace / "src_keras" / KERAS_NB)
    build.write(build.copy_with(source, build.correct("6-9-1")), subs / "wrongname" / "6-9-1_keras_fixture (1).ipynb")
    return grade(workspace, "subs_keras", "out_keras", "src_keras", KERAS_LIMITS)


@pytest.mark.parametrize("who", sorted(EXPECTED_KERAS))
def test_keras_fixture_copies_get_exactly_their_marks(keras_batch, who):
    assert keras_batch["rows"][who] == EXPECTED_KERAS[who]


def test_feedback_explains_but_never_shows_hidden_tests(keras_batch, workspace):
    feedback = workspace / "out_keras" / "feedback"
    assert sorted(p.name for p in feedback.iterdir()) == sorted(f"{who}.md" for who in EXPECTED_KERAS)
    for page in feedback.iterdir():
        text = page.read_text()
        assert "vocab[:2]" not in text and '"apple": 3' not in text and "'apple': 3" not in text
        assert "history.history" not in text and "1e6" not in text
    blank = (feedback / "blank.md").read_text()
    assert "first two words (hidden test" in blank and "NotImplementedError" in blank
    assert "did you mean 6-9-1_keras_fixture.ipynb" in (feedback / "wrongname.md").read_text()
    assert "symbolic link" in (feedback / "symlink.md").read_text()
    assert "**總分 (Total): 6 / 6**" in (feedback / "correct.md").read_text()


def test_regrading_reuses_unchanged_copies_and_redoes_changed_ones(keras_batch, workspace):
    grades = workspace / "out_keras" / "grades.csv"
    before = grades.read_bytes()
    again = grade(workspace, "subs_keras", "out_keras", "src_keras", KERAS_LIMITS)
    assert again["ran"] == 0 and grades.read_bytes() == before
    (workspace / "subs_keras" / "malformed" / KERAS_NB).write_text("[]")
    again = grade(workspace, "subs_keras", "out_keras", "src_keras", KERAS_LIMITS)
    assert again["ran"] == 1 and again["rows"] == keras_batch["rows"] and again["leftovers"] == []


EXPECTED_PLAIN = {
    "correct": [(3, "ok"), (3, "ok")],
    "errors": [(0, "error"), (3, "memory")],            # ZeroDivisionError; a 1 TiB bytearray after the answer
    "loop": [(0, "timeout"), (3, "ok")],
    "sleep": [(3, "ok"), (0, "timeout")],               # ignores SIGINT: the rest of the copy is not run
    "exits": [(3, "error"), (0, "error")],              # SystemExit after the answer; sys.exit(1) before it
    "exit": [(0, "crashed"), (0, "crashed")],           # os._exit(0)
    "killparent": [(3, "ok"), (0, "crashed")],          # kills the notebook runner
    "killall": [(0, "crashed"), (0, "crashed")],        # kill(-1) and killpg(0)
    "oom": [(3, "ok"), (0, "memory")],                  # allocates until the memory limit
    "resources": [(3, "ok"), (3, "ok")],                # 100 MB of output, a full disk, a fork flood, a daemon
    "tamper": [(0, "ok"), (0, "ok")],                   # fakes, patched helpers and builtins, forged output and
                                                        # files, an edited and a deleted test cell
    "snoop": [(3, "ok"), (3, "ok")],                    # nbformat v3; right answers only if every attempt failed
    "surrogate": [(1, "ok"), (3, "ok")],                # finding 1: what the checks read raises lone surrogates
    "huge": [(3, "ok"), (2, "ok")],                     # finding 6: an answer of 10**400
    "hardlink": [(0, "unreadable")] * 2,                # finding 7: a hard link to the instructor's notebook
    "hijack": [(0, "ok"), (0, "ok")],                   # finding 5: replaces the grader's extraction function
}


@pytest.fixture(scope="module")
def plain_batch(workspace, host_server):
    """Grade the crash, hang, flood and tampering cases on the notebook without TensorFlow, with short limits."""
    source = build.plain_notebook()
    subs = workspace / "subs_plain"
    snoop = attacks.snoop(
        source=str(workspace / "src_plain" / PLAIN_NB), notebooks=str(paths.NOTEBOOKS), other=str(subs / "correct"),
        out=str(workspace / "out_plain"), data_file=str(workspace / "data" / "sample" / "words.txt"),
        data_new=str(workspace / "data" / "sample" / "new.txt"), repo_file=str(paths.REPO / "ch6" / "pwned.py"),
        port=host_server[0], host_tmp=str(HOST_TMP))
    answers = {"correct": {}, "errors": {"ex1": "1 / 0", "ex2": attacks.MEMORY_BOMB}, "loop": {"ex1": attacks.LOOP},
               "sleep": {"ex2": attacks.SLEEP_IGNORING_SIGINT},
               "exits": {"ex1": attacks.SYSTEM_EXIT, "ex2": attacks.SYS_EXIT_FIRST}, "exit": {"ex1": attacks.OS_EXIT},
               "killparent": {"ex2": attacks.KILL_PARENT}, "killall": {"ex1": attacks.KILL_ALL},
               "oom": {"ex2": attacks.MEMORY_CREEP},
               "resources": {"ex1": attacks.HUGE_OUTPUT_AND_DISK, "ex2": attacks.PROCESS_FLOOD},
               "snoop": {"ex1": snoop}, "surrogate": {"ex1": attacks.SURROGATE}, "huge": {"ex2": attacks.HUGE_INT},
               "hijack": {"ex1": attacks.HIJACK}}
    for who, answer in answers.items():
        (subs / who).mkdir(parents=True)
        build.write(build.copy_with(source, build.correct("6-9-2", **answer)), subs / who / PLAIN_NB)
    (subs / "hardlink").mkdir()
    os.link(workspace / "src_plain" / PLAIN_NB, subs / "hardlink" / PLAIN_NB)
    (subs / "tamper").mkdir()
    tamper = build.copy_with(source, {"ex1": attacks.TAMPER_VOCAB, "ex2": attacks.TAMPER_SQUARES},
                             tests={"ex1-tests": attacks.EDITED_TESTS, "ex2-tests": None})
    build.write(tamper, subs / "tamper" / PLAIN_NB)
    v4 = nbformat.read(subs / "snoop" / PLAIN_NB, as_version=4)
    (subs / "snoop" / PLAIN_NB).write_text(nbformat.writes(v4, version=3))
    before = data_digest(workspace / "data")
    report = grade(workspace, "subs_plain", "out_plain", "src_plain", PLAIN_LIMITS)
    report["data_unchanged"] = data_digest(workspace / "data") == before
    return report


@pytest.mark.parametrize("who", sorted(EXPECTED_PLAIN))
def test_crashing_hanging_flooding_and_tampering_copies_get_exactly_their_marks(plain_batch, who):
    assert plain_batch["rows"][who] == EXPECTED_PLAIN[who]


def test_no_copy_leaves_a_process_or_a_file_behind(plain_batch, workspace, host_server):
    assert plain_batch["leftovers"] == []
    assert plain_batch["data_unchanged"] and not (paths.REPO / "ch6" / "pwned.py").exists()
    assert not HOST_TMP.exists() and not (workspace / "data" / "sample" / "new.txt").exists()
    assert host_server[1] == []
    assert sorted(p.name for p in (workspace / "src_plain").iterdir()) == [PLAIN_NB]
    assert json.loads((workspace / "subs_plain" / "snoop" / PLAIN_NB).read_text())["nbformat"] == 3


def test_force_regrades_an_unchanged_copy(plain_batch, workspace):
    (workspace / "subs_force" / "correct").mkdir(parents=True)
    (workspace / "subs_force" / "correct" / PLAIN_NB).write_bytes(
        (workspace / "subs_plain" / "correct" / PLAIN_NB).read_bytes())
    shutil.copytree(workspace / "out_plain" / ".cache", workspace / "out_force" / ".cache")
    cached = grade(workspace, "subs_force", "out_force", "src_plain", PLAIN_LIMITS)
    forced = grade(workspace, "subs_force", "out_force", "src_plain", PLAIN_LIMITS, force=True)
    assert (cached["ran"], forced["ran"]) == (0, 1)
    assert cached["rows"] == forced["rows"] == {"correct": EXPECTED_PLAIN["correct"]}


def test_a_dask_cluster_gives_the_same_gradebook_as_the_local_pool(plain_batch, workspace):
    distributed = pytest.importorskip("distributed")
    chosen = ("correct", "exit")
    for who in chosen:
        (workspace / "subs_dask" / who).mkdir(parents=True)
        (workspace / "subs_dask" / who / PLAIN_NB).write_bytes((workspace / "subs_plain" / who / PLAIN_NB).read_bytes())
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        report = grade(workspace, "subs_dask", "out_dask", "src_plain", PLAIN_LIMITS,
                       scheduler=cluster.scheduler_address)
    local = (workspace / "out_plain" / "grades.csv").read_text().splitlines()
    expected = [line for line in local if line.startswith(("student,",) + tuple(f"{who}," for who in chosen))]
    assert report["ran"] == 2 and report["leftovers"] == []
    assert (workspace / "out_dask" / "grades.csv").read_text().splitlines() == expected


def test_the_command_line_writes_the_gradebook_and_a_summary(workspace, tmp_path):
    subs = tmp_path / "subs"
    (subs / "ann").mkdir(parents=True)
    (subs / "bob").mkdir()
    (subs / "ann" / PLAIN_NB).write_text("not a notebook")
    (subs / "bob" / "notes.txt").write_text("hi")
    run = subprocess.run([sys.executable, "-m", "ch6.grader", str(subs), "--out", str(tmp_path / "out"),
                          "--jobs", "2", "--profile", str(workspace / "ci.yaml"), "--source",
                          str(workspace / "src_plain")], capture_output=True, text=True, cwd=paths.REPO, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "graded 2 student(s)" in run.stdout and "missing 2" in run.stdout and "unreadable 2" in run.stdout
    assert "grading" in run.stderr                                           # the progress bar
    assert (tmp_path / "out" / "grades.csv").read_text().splitlines() == [
        "student,notebook,exercise,score,max_score,status",
        "ann,6-9-2_plain_fixture,ex1,0,3,unreadable", "ann,6-9-2_plain_fixture,ex2,0,3,unreadable",
        "bob,6-9-2_plain_fixture,ex1,0,3,missing", "bob,6-9-2_plain_fixture,ex2,0,3,missing"]
    assert "ignored 'notes.txt'" in (tmp_path / "out" / "feedback" / "bob.md").read_text()


@pytest.mark.skipif(not (paths.NOTEBOOKS / "6-1-1_one_hot_encoding.ipynb").exists()
                    or not (REAL_DATA / "sample" / "MANIFEST.json").exists(),
                    reason="needs notebooks/6-1-1 and the sample data (make sample)")
def test_the_real_6_1_1_solution_gets_full_marks_and_its_student_version_none(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(REAL_DATA))
    name = "6-1-1_one_hot_encoding.ipynb"
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / name).write_bytes((paths.NOTEBOOKS / name).read_bytes())
    source = nbformat.read(tmp_path / "src" / name, as_version=4)
    for who, nb in (("solution", source), ("blank", student.student_version(source))):
        (tmp_path / "subs" / who).mkdir(parents=True)
        build.write(nb, tmp_path / "subs" / who / name)
    report = grading.grade_all(tmp_path / "subs", tmp_path / "out", jobs=2, source=tmp_path / "src", progress=False)
    rows = {(r["student"], ex["name"]): ex for r in report["results"] for ex in r["exercises"]}
    solution = [ex for (who, _), ex in rows.items() if who == "solution"]
    blank = [ex for (who, _), ex in rows.items() if who == "blank"]
    assert len(solution) == len(blank) == 3                              # the rows exist before all() reads them
    assert all(ex["score"] == ex["max_score"] and ex["status"] == "ok" for ex in solution), solution
    assert all(ex["score"] == 0 and ex["status"] == "unanswered" for ex in blank), blank
    assert "6-1-1_one_hot_encoding.ipynb" in report["limits"] and "reference run" in report["limits"][name]
    assert sandbox_processes({r["uid"] for r in report["results"] if r.get("uid")}) == []


# ------------------------------------------------------------------------------------------ the nine findings
# Each test below failed on the grader before it was split into rooms (commit 69b3759) and passes now.

def unescaped(text: str) -> str:
    """Feedback text without Markdown escapes, so that escaped code is still found."""
    return re.sub(r"\\(.)", r"\1", text)


def test_finding_1_lone_surrogates_never_stop_the_batch(plain_batch, workspace):
    assert plain_batch["rows"]["surrogate"] == EXPECTED_PLAIN["surrogate"]
    page = (workspace / "out_plain" / "feedback" / "surrogate.md").read_text(encoding="utf-8")
    assert "<b>len</b>" not in page and "\ud800" not in page
    assert not any(line.startswith("**總分 (Total): 9") for line in page.splitlines())


def test_finding_2_a_non_utf8_folder_name_is_graded_under_a_readable_id(workspace, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    os.mkdir(os.fsencode(subs) + b"/\xa4\xa4\xa4\xe5")                     # "中文" in Big5, as unzip leaves it
    (subs / "ann").mkdir()
    report = grading.grade_all(subs, tmp_path / "out", jobs=1, profile=str(workspace / "ci.yaml"),
                               source=workspace / "src_plain", limits=PLAIN_LIMITS, progress=False)
    rows = read_rows(tmp_path / "out" / "grades.csv")
    assert rows and sorted(rows) == ["ann", "中文"] and rows["中文"] == [(0, "missing")] * 2
    assert (tmp_path / "out" / "feedback" / "中文.md").is_file() and len(report["results"]) == 2


def test_finding_3_a_folder_named_like_the_notebook_is_that_copys_status(workspace, tmp_path):
    (tmp_path / "subs" / "ann" / PLAIN_NB).mkdir(parents=True)
    grading.grade_all(tmp_path / "subs", tmp_path / "out", jobs=1, profile=str(workspace / "ci.yaml"),
                      source=workspace / "src_plain", limits=PLAIN_LIMITS, progress=False)
    assert read_rows(tmp_path / "out" / "grades.csv") == {"ann": [(0, "unreadable")] * 2}
    assert "is a folder" in (tmp_path / "out" / "feedback" / "ann.md").read_text()


def test_finding_4_each_copy_gets_its_own_cpu_share_and_a_busy_timeout_is_retried(monkeypatch, workspace):
    if "cpu" not in cgroups.places():
        pytest.skip("no cpu cgroup controller this process may use (not root, or none delegated)")
    made, seen = [], set()
    monkeypatch.setattr(cgroups, "make", lambda limits, make=cgroups.make: made.extend(make(limits)) or list(made))

    def watch():                                        # which of the copy's groups hold its processes
        while not seen:
            for group in made:
                if cgroups.pids(group) and (group / "cpu.shares").exists():
                    seen.add((group / "cpu.shares").read_text().strip())
            time.sleep(0.1)

    threading.Thread(target=watch, daemon=True).start()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import time\ntime.sleep(3)")])
    sandbox.run(nb, [], sandbox.Limits(cell_timeout=60, wall=120), [])
    assert seen == {"1024"}                             # its own cpu group, however many processes it forks
    monkeypatch.undo()
    calls = []
    busy = sandbox.Outcome([{"kind": "stuck", "index": 1}], "timeout", "bubblewrap", 1.0, "")
    monkeypatch.setattr(sandbox, "run", lambda *a: calls.append(a) or busy)
    monkeypatch.setattr(os, "getloadavg", lambda: (64.0, 64.0, 64.0))
    source = nbformat.read(workspace / "src_plain" / PLAIN_NB, as_version=4)
    job = {"student": "s", "notebook": PLAIN_NB, "key": "k", "problem": None, "parameters": {"data": "sample"},
           "data": nbformat.writes(source).encode(), "exercises": exercises.exercises(source),
           "limits": dataclasses.asdict(PLAIN_LIMITS)}
    result = scoring.grade_copy(job)
    assert len(calls) == 2 and result["retried"]                         # retried once, then cached


def test_finding_5_no_hidden_test_text_enters_the_sandbox_or_reaches_feedback(plain_batch, workspace):
    assert plain_batch["rows"]["hijack"] == EXPECTED_PLAIN["hijack"]
    source = build.plain_notebook()
    hidden = [c.expr for ex in grading.exercises(source) for c in ex.checks if c.hidden]
    prepared = grading.prepare(build.copy_with(source, {"ex1": attacks.HIJACK}), grading.exercises(source), {})
    sent = json.dumps(prepared.notebook, ensure_ascii=False)
    assert hidden and not [expr for expr in hidden if not expr.isidentifier() and expr in sent]
    for page in (workspace / "out_plain" / "feedback").iterdir():
        text = unescaped(page.read_text())
        assert not [expr for expr in hidden if not expr.isidentifier() and expr in text], page.name
        assert "'apple', 'banana'" not in text and '"apple": 3' not in text


def test_finding_6_a_huge_number_is_judged_not_a_grader_error():
    assert checking.judge(10 ** 400, between=(0, 1)) == (False, "expected a number in [0, 1]")
    assert not checking.judge(10 ** 400, close=0.5, tol=0.1)[0] and checking.judge(3, between=(0, 1e308))[0]
    assert not checking.judge([10 ** 400], close=[1.0])[0]


def test_finding_7_a_hard_link_to_the_source_is_refused(plain_batch, workspace):
    assert plain_batch["rows"]["hardlink"] == [(0, "unreadable")] * 2
    assert "hard link" in (workspace / "out_plain" / "feedback" / "hardlink.md").read_text()


def test_finding_8_names_are_sanitized_and_every_entry_is_accounted_for(workspace, tmp_path):
    subs = tmp_path / "subs"
    names = ["=HYPERLINK(\"http://x\")", "<b>bob</b>\n**總分 (Total): 99 / 99**", "+cmd", "ann"]
    for name in names:
        (subs / name).mkdir(parents=True)
    (subs / ".hidden").mkdir()
    (subs / "linked").symlink_to(subs / "ann")
    (subs / "stray.txt").write_text("hi")
    report = grading.grade_all(subs, tmp_path / "out", jobs=1, profile=str(workspace / "ci.yaml"),
                               source=workspace / "src_plain", limits=PLAIN_LIMITS, progress=False)
    cells = [row[0] for row in csv.reader(io.StringIO((tmp_path / "out" / "grades.csv").read_text()))][1:]
    assert cells and not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    pages = [p.read_text() for p in (tmp_path / "out" / "feedback").iterdir()]
    assert len(pages) == 4 and not any("<b>" in page for page in pages)
    assert sum(line.startswith("**總分 (Total):") for page in pages for line in page.splitlines()) == 4
    assert sorted(entry for entry, _ in report["skipped"]) == [".hidden", "linked", "stray.txt"]
    assert all(f"{entry!r}" in gradebook.summary(report) for entry in (".hidden", "linked", "stray.txt"))


def test_finding_9_the_copy_cannot_make_user_namespaces_or_see_host_paths():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import ctypes, subprocess\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.unshare(0x10000000), ctypes.get_errno())\n"
        "print(subprocess.run(['unshare', '-U', '-r', 'true'], capture_output=True).returncode)\n"
        "print(open('/proc/1/cmdline', 'rb').read().replace(bytes(1), b' ').decode())")])
    outcome = sandbox.run(nb, [0], sandbox.Limits(cell_timeout=60, wall=120), [])
    first, command, cmdline = outcome.events[0]["stdout"].splitlines()[:3]
    assert first.split() == ["-1", "1"] and command != "0"              # EPERM; unshare(1) fails too
    assert str(paths.REPO) not in cmdline and sys.prefix not in cmdline


# ------------------------------------------------------------------------------------------ the student edition

def test_the_student_edition_and_its_site_hold_no_solution_or_hidden_test_line(tmp_path):
    from ch6.grader import release
    from ch6.site import build as site

    files = release.write_release(tmp_path / "release")
    names = {str(p.relative_to(tmp_path / "release")) for p in files}
    sources = sorted(paths.NOTEBOOKS.glob("*.ipynb"))
    assert sources and {f"notebooks/{p.name}" for p in sources} <= names
    assert {"README.md", "docs/STUDENT_SETUP.md", "requirements.txt", "pyproject.toml", "ch6/check.py",
            "ch6/data/sample.py", "params/ci.yaml"} <= names
    assert not any(n.startswith(("ch6/grader", "ch6/site", "ch6/bench")) for n in names)
    secrets = [line for p in sources for line in student.secret_lines(nbformat.read(p, as_version=4))]
    assert len(secrets) > 50                                            # the scan has lines to look for
    assert release.leaks(tmp_path / "release") == []
    with zipfile.ZipFile(tmp_path / "release.zip") as zf:
        assert sorted(zf.namelist()) == sorted(f"release/{n}" for n in names)
    first = nbformat.read(tmp_path / "release" / "notebooks" / sources[0].name, as_version=4)
    assert any(c.get("outputs") for c in first.cells if c.cell_type == "code")       # the lecture's outputs kept
    exercise = [c for c in first.cells if c.metadata.get("nbgrader")]
    assert exercise and not any(c.get("outputs") for c in exercise)
    site.build(tmp_path / "site", site.student_notebooks(paths.NOTEBOOKS, tmp_path / "student"))
    from bs4 import BeautifulSoup
    pages = [BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser").get_text()
             for p in (tmp_path / "site").rglob("*.html")]
    assert len(pages) == len(sources) + 1 and release.leaks(None, texts=pages) == []
    instructor = [BeautifulSoup(site.render_page(site.page_info(sources[0]), None, None, site.exporter()),
                                "html.parser").get_text()]
    assert release.leaks(None, texts=instructor)                         # the scan finds what it looks for


UNPRIVILEGED = '''
import json, os, sys
if sys.argv[1:] == ["simulate"]:
    os.geteuid = lambda: 1000                   # the code paths of a normal user, where none can run Python
import nbformat
from ch6.grader import sandbox
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    "import ctypes, os\\nlibc = ctypes.CDLL(None, use_errno=True)\\n"
    "print(os.getuid(), libc.unshare(0x10000000), ctypes.get_errno())")])
outcome = sandbox.run(nb, [0], sandbox.Limits(cell_timeout=60, wall=120), [])
print(json.dumps({"ended": outcome.ended, "isolation": outcome.isolation, "measures": sandbox.measures(),
                  "stdout": outcome.events[0].get("stdout") if outcome.events else None, "log": outcome.log}))
'''


def test_the_sandbox_works_as_an_unprivileged_user_and_says_what_is_weaker():
    """As uid 65534 where it can run this Python; else (an interpreter under /root, say) as root on the code paths
    of a normal user (no own uid, no cgroups, bwrap --unshare-user --disable-userns)."""
    env = {"PATH": os.environ["PATH"], "HOME": "/tmp", "TF_CPP_MIN_LOG_LEVEL": "2"}
    real = os.geteuid() != 0 or _reachable_by_others(Path(sys.executable).resolve())
    args = {"user": 65534, "group": 65534, "extra_groups": []} if real and os.geteuid() == 0 else {}
    run = subprocess.run([sys.executable, "-c", UNPRIVILEGED] + ([] if real or os.geteuid() != 0 else ["simulate"]),
                         capture_output=True, text=True, cwd="/", timeout=300, env=env, **args)
    assert run.returncode == 0, run.stderr[-2000:]
    found = json.loads(run.stdout.splitlines()[-1])
    print("\n".join([f"as a normal user ({'uid 65534' if real else 'simulated'}):"] + found["measures"]))
    assert found["ended"] == "done", found["log"]
    uid, result, errno = found["stdout"].split()
    assert (result, errno) == ("-1", "1")                                  # still no new user namespace
    weaker = " ".join(found["measures"])
    assert "cgroup limits: not available" in weaker and "RLIMIT_NPROC is shared" in weaker


def _reachable_by_others(path: Path) -> bool:
    """Can a user other than the owner reach ``path`` (every parent folder searchable by others)?"""
    return all(os.stat(parent).st_mode & 0o001 for parent in path.parents)


def test_the_cache_key_covers_grader_sources_profile_data_and_packages(tmp_path, monkeypatch):
    from ch6.grader import jobs
    (tmp_path / "data" / "sample").mkdir(parents=True)
    (tmp_path / "data" / "sample" / "MANIFEST.json").write_text("{}")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    source = tmp_path / "nb.ipynb"
    source.write_text("one")
    source_map, parameters = {"nb.ipynb": (source, [])}, {"nb.ipynb": {"epochs": 1}}

    def key():
        return jobs.copy_key(jobs.environment_key(source_map, parameters), "nb.ipynb", b"copy", None, {})

    keys = [key()]
    source.write_text("two")
    keys.append(key())
    parameters["nb.ipynb"]["epochs"] = 2
    keys.append(key())
    (tmp_path / "data" / "sample" / "MANIFEST.json").write_text('{"v": 2}')
    keys.append(key())
    monkeypatch.setattr(jobs, "package_versions", lambda: {"keras": "9.9"})
    keys.append(key())
    monkeypatch.setattr(jobs, "grader_version", lambda: "another grader")
    keys.append(key())
    assert len(set(keys)) == len(keys) == 6 and key() == keys[-1]
