"""``make release``: the student edition (build/release/ and build/release.zip), with no solution or hidden test.

Notebooks with the lecture's outputs and exercise stubs, the kernel package and sample generator (no grader, site or
bench), the profiles, a student README and the setup guide.
"""
import argparse
import re
import shutil
import sys
import zipfile
from pathlib import Path

import nbformat

from .. import paths
from ..files import write_atomic, zip_bytes
from .student import public_text, secret_lines, student_edition

LEFT_OUT = ("grader", "site", "bench", "__pycache__")
README = """# 第 6 章：文字與序列的深度學習 (Deep learning for text and sequences): 學生版 (student edition)

這是課程的學生版 (the student edition)：`notebooks/` 裡的筆記本保留了課堂的執行結果 (lecture outputs)，
每本最後的練習 (exercises) 等你作答 (`raise NotImplementedError` 換成你的程式)；測試儲存格 (test cells) 中的
`check(...)` 會立刻告訴你答對沒有。繳交時請保留原本的檔名 (keep the file names)。

- 安裝與執行 (setup: laptop, Colab)：`docs/STUDENT_SETUP.md`
- 產生範例資料 (sample data, offline)：`python -m ch6.data.sample`
- 內容 (contents)：`notebooks/`（11 本筆記本）、`ch6/`（支援套件 support package）、`params/`（參數設定 profiles）

評分時 (when graded) 會在沙箱中重新執行你的筆記本 (your notebook is re-run in a sandbox)，並另有隱藏測試
(hidden tests)；只有你的答案值會被檢查 (only the values of your answers are checked)。
"""


def write_release(out: Path, source: Path = paths.NOTEBOOKS, repo: Path = paths.REPO) -> list:
    """Write the student edition into ``out`` (replaced) and ``out``.zip; return the files written."""
    out = Path(out)
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "notebooks").mkdir(parents=True)
    for path in sorted(Path(source).glob("*.ipynb")):
        edition = student_edition(nbformat.read(path, as_version=4), path.name)
        nbformat.write(edition, str(tmp / "notebooks" / path.name))
    shutil.copytree(repo / "ch6", tmp / "ch6", ignore=lambda folder, names: [n for n in names if n in LEFT_OUT
                                                                               or n.endswith(".pyc")])
    shutil.copytree(repo / "params", tmp / "params")
    (tmp / "docs").mkdir()
    shutil.copy2(repo / "docs" / "STUDENT_SETUP.md", tmp / "docs" / "STUDENT_SETUP.md")
    shutil.copy2(repo / "requirements.txt", tmp / "requirements.txt")
    (tmp / "pyproject.toml").write_text(_pyproject(repo / "pyproject.toml"), encoding="utf-8")
    (tmp / "README.md").write_text(README, encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    files = sorted(p for p in out.rglob("*") if p.is_file())
    _zip(out, files)
    return files


def _pyproject(path: Path) -> str:
    """The package's pyproject.toml with the instructor's tools left out of the installed packages."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r'include = \["ch6\*"\]', 'include = ["ch6*"]\nexclude = ["ch6.grader*", "ch6.site*", "ch6.bench*"]',
                  text)
    text = re.sub(r'\n\[tool\.setuptools\.package-data\]\n"ch6\.site" = \["templates/\*"\]\n', "\n", text)
    return re.sub(r"\n\[tool\.pytest\.ini_options\][\s\S]*", "\n", text)


def _zip(out: Path, files: list) -> Path:
    """``out``.zip with the same bytes on every run, under a top folder ``out.name``."""
    archive = out.with_suffix(".zip")
    write_atomic(archive, zip_bytes({f"{out.name}/{path.relative_to(out).as_posix()}": path.read_bytes()
                                     for path in files}))
    return archive


def leaks(folder: Path, source: Path = paths.NOTEBOOKS, texts=None) -> list:
    """[(notebook, line)] for every solution or hidden-test line found in the files under ``folder``."""
    notebooks = {path.name: nbformat.read(path, as_version=4) for path in sorted(Path(source).glob("*.ipynb"))}
    public = "\n".join(public_text(nb) for nb in notebooks.values())
    secrets = {line: name for name, nb in notebooks.items() for line in secret_lines(nb, public)}
    corpus = "\n".join(texts if texts is not None else _texts(Path(folder)))
    return sorted((name, line) for line, name in secrets.items() if line in corpus)


def _texts(folder: Path):
    """The text of every file under ``folder``: notebooks as their cells' sources and outputs, one line each."""
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".ipynb":
            nb = nbformat.read(path, as_version=4)
            for cell in nb.cells:
                yield "\n".join(line.strip() for line in cell.source.splitlines())
                for output in cell.get("outputs", []):
                    yield str(output.get("text", "")) + str(output.get("data", {}).get("text/plain", ""))
        elif path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                yield from (zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
        else:
            yield "\n".join(line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines())


def main(argv=None) -> int:
    """Write the student edition to build/release/ and build/release.zip; refuse if any secret line is in it."""
    parser = argparse.ArgumentParser(prog="python -m ch6.grader.release", description=main.__doc__)
    parser.add_argument("--source", type=Path, default=paths.NOTEBOOKS, help="the instructor's notebooks")
    parser.add_argument("--out", type=Path, default=paths.BUILD / "release", help="where the student edition goes")
    args = parser.parse_args(argv)
    try:
        files = write_release(args.out, args.source)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    found = leaks(args.out, args.source)
    if found:
        shutil.rmtree(args.out, ignore_errors=True)
        args.out.with_suffix(".zip").unlink(missing_ok=True)
        print(f"error: {len(found)} solution or hidden-test line(s) would leak, e.g. {found[0]}; nothing written",
              file=sys.stderr)
        return 1
    print(f"wrote the student edition: {len(files)} files in {args.out}/ and {args.out.with_suffix('.zip')} "
          "(no solution or hidden-test line in it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
