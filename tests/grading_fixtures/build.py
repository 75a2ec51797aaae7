"""Builders: two small source notebooks in the CONTRIBUTING.md format, their data, and student copies.

``keras_notebook`` (6-9-1) has a vocabulary exercise and one that trains a tiny Keras model; ``plain_notebook``
(6-9-2) imports no TensorFlow, so that the timeout, crash and flood cases run in seconds.
"""
import textwrap

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from ch6.grader import student

WORDS = "banana apple cherry apple date banana apple egg\n"
PROFILE = "defaults:\n  data: sample\nnotebooks:\n  6-9-1:\n    epochs: 1\n"
PARAMS_CHECK = 'params.check(globals(), "{key}")'

VOCAB = '''\
words = (DATA / "words.txt").read_text().split()
vocab = sorted(set(words))
counts = {w: words.count(w) for w in vocab}'''
VOCAB_TESTS = '''\
from ch6.check import check
check("vocabulary size", len(vocab), equals=5, points=1)
### BEGIN HIDDEN TESTS
check("first two words", vocab[:2], equals=["apple", "banana"], points=1)
check("word counts", counts, equals={"apple": 3, "banana": 2, "cherry": 1, "date": 1, "egg": 1}, points=1)
### END HIDDEN TESTS'''
MODEL = '''\
x = np.arange(16, dtype="float32").reshape(8, 2)
xs = (x - x.mean(axis=0)) / x.std(axis=0)
y = xs.sum(axis=1, keepdims=True)
model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")
history = model.fit(xs, y, epochs=epochs, verbose=2)'''
MODEL_TESTS = '''\
from ch6.check import check
check("parameter count", model.count_params(), equals=3, points=1)
### BEGIN HIDDEN TESTS
check("one loss per epoch", len(history.history["loss"]) == epochs, equals=True, points=1)
check("standardized mean", float(np.abs(xs.mean())), close=0.0, tol=1e-5, points=0.5)
check("final loss is finite", float(history.history["loss"][-1]), between=(0.0, 1e6), points=0.5)
### END HIDDEN TESTS'''
SQUARES = '''\
squares = [i * i for i in range(5)]
total = int(np.sum(squares))'''
SQUARES_TESTS = '''\
from ch6.check import check
check("five squares", len(squares), equals=5, points=1)
### BEGIN HIDDEN TESTS
check("the squares", squares, equals=[0, 1, 4, 9, 16], points=1)
check("their sum", total, equals=30, points=1)
### END HIDDEN TESTS'''

SOLUTIONS = {"6-9-1": {"ex1": VOCAB, "ex2": MODEL}, "6-9-2": {"ex1": VOCAB, "ex2": SQUARES}}


def _source(key: str, title: str, parameters: str, imports: str, exercises: list):
    """A source notebook: title, parameters, setup, one lesson cell, then (solution, tests) per exercise."""
    cells = [
        new_markdown_cell(f"# {key} {title}\n\nA fixture for the grader's tests.\n\n## 學習目標 (Learning goals)\n"
                          "- be graded"),
        new_code_cell(parameters, metadata={"tags": ["parameters"]}),
        new_code_cell(f"import ch6\nfrom ch6 import params, paths\n{PARAMS_CHECK.format(key=key)}\n"
                      f"DATA = paths.resolve_data(data)\n{imports}\nprint(\"資料 (data):\", DATA)"),
        new_code_cell('print(len((DATA / "words.txt").read_text().split()), "words")'),
    ]
    for number, (solution, tests) in enumerate(exercises, 1):
        cells += [
            new_markdown_cell(f"### 練習 {number}：exercise {number} (3 分)"),
            new_code_cell(f"### BEGIN SOLUTION\n{solution}\n### END SOLUTION", metadata={"nbgrader": {
                "grade": False, "solution": True, "locked": False, "grade_id": f"ex{number}", "schema_version": 3}}),
            new_code_cell(tests, metadata={"nbgrader": {"grade": True, "solution": False, "locked": True, "points": 3,
                                                        "grade_id": f"ex{number}-tests", "schema_version": 3}}),
        ]
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                              "language": "python"}})


def keras_notebook():
    """6-9-1: vocabulary (3 points) and a tiny Keras model trained for ``epochs`` (3 points)."""
    return _source("6-9-1", "評分測試 (Keras fixture)",
                   'data: str = "sample"      # 資料\nepochs: int = 3           # 訓練週期 (epochs)\n'
                   "seed: int = 0             # 亂數種子",
                   "import keras, numpy as np\nkeras.utils.set_random_seed(seed)",
                   [(VOCAB, VOCAB_TESTS), (MODEL, MODEL_TESTS)])


def plain_notebook():
    """6-9-2: vocabulary (3 points) and squares (3 points), no TensorFlow."""
    return _source("6-9-2", "評分測試 (plain fixture)", 'data: str = "sample"      # 資料\nseed: int = 0',
                   "import numpy as np", [(VOCAB, VOCAB_TESTS), (SQUARES, SQUARES_TESTS)])


def copy_with(source, answers: dict, tests: dict | None = None):
    """A student copy: the student version with ``answers`` {grade_id: code} in its solution cells.

    ``tests`` {grade_id: new source, or None to delete the cell} edits the copy's test cells.
    """
    nb = student.student_version(source)
    kept = []
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = textwrap.dedent(answers[grade_id]).strip("\n")
        if tests and grade_id in tests:
            if tests[grade_id] is None:
                continue
            cell.source = tests[grade_id]
        kept.append(cell)
    nb.cells = kept
    return nb


def correct(key: str, **overrides):
    """The right answers for the fixture ``key``, each exercise replaceable by ``overrides``."""
    return {**SOLUTIONS[key], **overrides}


def write(nb, path) -> None:
    nbformat.write(nb, str(path))
