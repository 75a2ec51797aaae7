"""The results record: each notebook's closing "lecture vs this run" table and lessons, and the dashboard over them.

In a kernel, ``lecture_vs_run`` shows the table and stores the record in the output metadata (``RESULTS_KEY``)
and under build/results/<profile>. ``python -m ch6.results [--readme README.md] [--run PROFILE]`` gathers the
records of the committed notebooks (or of the latest run) into one table.
"""
import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

from . import lessons as lesson_rules
from . import params, paths
from .files import read_timings

#: Output-metadata key under which the closing table's rows travel in the executed notebook.
RESULTS_KEY = "ch6_results"
START, END = "<!-- results:start -->", "<!-- results:end -->"
HEADER = ["notebook", "experiment", "lecture", "this run", "data", "profile"]
HOLDS = {True: "成立", False: "不成立"}


# ------------------------------------------------------------------------------- in the kernel

def profile() -> str:
    """The profile the runner executes with (``interactive`` in a plain Jupyter session)."""
    return os.environ.get("CH6_PROFILE", "interactive")


def results_dir() -> Path:
    """Where notebooks save their headline figures: ``$CH6_RESULTS_DIR`` or build/results/<profile>."""
    return Path(os.environ.get("CH6_RESULTS_DIR") or paths.BUILD / "results" / profile())


def _fmt(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def lessons_table(lessons: list) -> list:
    """Markdown lines: each lesson's claim, 成立 / 不成立, and its evidence."""
    lines = ["| 講義的結論 (lesson) | 本次執行 (this run) | 依據 (evidence) |", "|---|---|---|"]
    for les in lessons:
        evidence = ", ".join(f"{k} = {_fmt(v)}" for k, v in les["evidence"].items())
        note = "" if lesson_rules.required(les) else " (只在 GPU 上要求)"
        lines.append(f"| {les['claim']} | {HOLDS[les['holds']]}{note} | {evidence} |")
    return lines


def lecture_vs_run(notebook: str, rows: list, data_folder, lessons: list = ()) -> "IPython.display.Markdown":
    """Show (experiment, lecture figure, this run's figure) rows and the lessons; save them (file + output metadata)."""
    from IPython.display import Markdown

    source = paths.describe(data_folder)
    record = {
        "notebook": notebook,
        "profile": profile(),
        "backend": os.environ.get("KERAS_BACKEND", "tensorflow"),
        "data": source,
        "rows": [{"experiment": e, "lecture": lec, "this_run": run} for e, lec, run in rows],
        "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    if lessons:
        record["lessons"] = list(lessons)
    try:
        results_dir().mkdir(parents=True, exist_ok=True)
        (results_dir() / f"{notebook}.json").write_text(json.dumps(record, indent=1, ensure_ascii=False), "utf-8")
    except OSError:
        pass  # a read-only checkout (e.g. the grading sandbox) still shows the table
    lines = ["| 實驗 (experiment) | 講義 (lecture) | 本次執行 (this run) |", "|---|---|---|"]
    lines += [f"| {e} | {_fmt(lec)} | {_fmt(run)} |" for e, lec, run in rows]
    if lessons:
        lines += [""] + lessons_table(lessons)
    lines.append(f"\n本次執行的資料 (data of this run): {source}")
    stored = {k: v for k, v in record.items() if k != "finished"}  # no timestamp: re-runs don't churn diffs
    return Markdown("\n".join(lines), metadata={RESULTS_KEY: stored})


# ------------------------------------------------------------------------------- the dashboard
def from_notebook(path: Path) -> dict:
    """The results record stored in an executed notebook (rows empty if it has no closing table)."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    found = {"notebook": params.notebook_key(path), "rows": []}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            stored = output.get("metadata", {}).get("text/markdown", {}).get(RESULTS_KEY)
            if stored:
                found = dict(stored)
    return {**found, "file": path.name}


def from_notebooks(folder: Path = paths.NOTEBOOKS) -> list:
    """One record per notebook under ``folder``, in file-name order."""
    return [from_notebook(nb) for nb in sorted(Path(folder).glob("*.ipynb"))]


def from_run(profile: str) -> list:
    """The records the latest run with ``profile`` saved under build/results/<profile>."""
    folder = paths.BUILD / "results" / profile
    return [json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.json"))]


def wall_times(profile: str) -> dict:
    """Seconds per notebook from the runner's build/<profile>/timings.json ({} if there is none)."""
    runs = read_timings(paths.BUILD / profile).get("notebooks", [])
    return {params.notebook_key(Path(r["notebook"])): r["seconds"] for r in runs if r.get("ok")}


def short_data(text: str) -> str:
    """A short label for ``paths.describe`` output: 'sample (size=small, seed=0)', 'real', or the text."""
    if not text:
        return "—"
    sample = re.match(r"synthetic sample data \(ch6\.sample, (size=[^,]*, seed=[^)]*)\)", text)
    if sample:
        return f"sample ({sample.group(1)})"
    if text.startswith("real datasets"):
        return "real"
    return re.sub(r" in .*?(?=;|$)", "", text)


def fmt(value) -> str:
    """A value as the notebook's table shows it (JSON turned tuples into lists; turn them back)."""
    return _fmt(tuple(value) if isinstance(value, list) else value)


def rows(records: list) -> list:
    """Flatten records into table rows (dicts keyed by HEADER); per-notebook cells only on a group's first row."""
    table = []
    for rec in records:
        first = {"notebook": rec["notebook"], "file": rec.get("file", ""), "data": short_data(rec.get("data", "")),
                 "profile": " · ".join(filter(None, [rec.get("profile"), rec.get("backend")]))}
        entries = rec["rows"] or [{"experiment": "(no lecture-vs-run table yet)", "lecture": "", "this_run": ""}]
        for i, entry in enumerate(entries):
            shared = first if i == 0 else {"notebook": "", "file": "", "data": "", "profile": ""}
            table.append({**shared, "experiment": str(entry["experiment"]), "lecture": fmt(entry["lecture"]),
                          "this run": fmt(entry["this_run"])})
    return table


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(records: list, link_prefix: str = "notebooks/") -> str:
    """The combined table as GitHub Markdown; notebook names link to ``link_prefix`` + file."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in rows(records):
        name = f"[{row['notebook']}]({link_prefix}{row['file']})" if row["file"] else row["notebook"]
        lines.append("| " + " | ".join(_cell(name if h == "notebook" else row[h]) for h in HEADER) + " |")
    return "\n".join(lines) + "\n"


def all_lessons(records: list) -> list:
    """Every lesson recorded in ``records``, in notebook order."""
    return [les for rec in records for les in rec.get("lessons", [])]


def lessons_line(records: list) -> str:
    """'lessons holding: n / N' over the records (GPU-only lessons measured on a CPU left out)."""
    lessons = all_lessons(records)
    holding, counted = lesson_rules.tally(lessons)
    missing = [les["id"] for les in lessons if lesson_rules.required(les) and not les["holds"]]
    return f"lessons holding: {holding} / {counted}" + (f" (not holding: {', '.join(missing)})" if missing else "")


def readme_block(records: list) -> str:
    """The text that goes between the README's results markers."""
    note = ("<!-- generated by `make results` (python -m ch6.results --readme README.md) "
            "from the committed notebooks; do not edit by hand -->\n")
    summary = f"\n{lessons_line(records)}\n\n" if all_lessons(records) else ""
    return f"{START}\n{note}{summary}{markdown(records)}{END}"


def replace_block(text: str, block: str, start: str = START, end: str = END) -> str:
    """``text`` with the part from ``start`` to ``end`` (markers included) replaced by ``block``."""
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise ValueError(f"expected exactly one {start} ... {end} block")
    head, rest = text.split(start)
    return head + block + rest.split(end, 1)[1]


def main(argv=None) -> int:
    """Command line: ``python -m ch6.results [--readme README.md] [--run PROFILE]``."""
    parser = argparse.ArgumentParser(prog="python -m ch6.results", description=__doc__.splitlines()[0])
    parser.add_argument("--readme", help="rewrite the block between the results markers in this file")
    parser.add_argument("--run", metavar="PROFILE", help="read build/results/PROFILE (latest run) instead")
    args = parser.parse_args(argv)
    if args.readme and args.run:
        parser.error("--readme always uses the committed notebooks; drop --run")
    records = from_run(args.run) if args.run else from_notebooks()
    print(markdown(records), end="")
    if all_lessons(records):
        print(lessons_line(records))
    if args.readme:
        readme = Path(args.readme)
        try:
            updated = replace_block(readme.read_text("utf-8"), readme_block(records))
        except (OSError, ValueError) as err:
            print(f"error: {readme}: {err}", file=sys.stderr)
            return 2
        readme.write_text(updated, "utf-8")
        print(f"updated {readme}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
