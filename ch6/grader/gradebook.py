"""What the batch writes: grades.csv (formula-safe), feedback/<student>.md (Markdown-safe), the summary."""
import csv
import io
import re
import statistics
from collections import Counter
from pathlib import Path

from ..files import write_atomic
from . import sandbox
from .scoring import clean

GRADES_HEADER = ["student", "notebook", "exercise", "score", "max_score", "status"]
STATUS_TEXT = {
    "ok": "graded (已評分)",
    "missing": "not submitted under the distributed file name (未繳交或檔名不符)",
    "unreadable": "the file is not a notebook that can be run (檔案無法讀取)",
    "unanswered": "the solution cell still raises NotImplementedError (尚未作答)",
    "error": "a cell before these tests raised an error (程式錯誤)",
    "timeout": "ran over the time limit (執行逾時)",
    "memory": "ran out of memory (記憶體不足)",
    "crashed": "the kernel died or was killed before these tests ran (核心中止)",
    "not_run": "the tests did not run (測試未執行)",
    "grader_error": "the grader failed on this copy; your instructor will look at it (評分程式錯誤)",
}


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically; a character UTF-8 cannot hold (a lone surrogate) becomes '?'."""
    write_atomic(path, text.encode("utf-8", "replace"))


def csv_cell(value) -> str:
    """A cell a spreadsheet shows as text: no formula prefix (=, +, -, @, tab, CR), clean UTF-8."""
    text = clean(value, 300)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def num(x) -> str:
    return f"{x:g}"


def grade_rows(results: list, source_map: dict) -> list:
    """grades.csv rows: one per student x notebook x exercise, sorted by student then source order."""
    order = {name: i for i, name in enumerate(source_map)}
    rows = []
    for result in sorted(results, key=lambda r: (r["student"], order[r["notebook"]])):
        for ex in result["exercises"]:
            rows.append([csv_cell(result["student"]), Path(result["notebook"]).stem, ex["name"], num(ex["score"]),
                         num(ex["max_score"]), ex["status"]])
    return rows


def feedback_name(student: str) -> str:
    """The feedback file name of a student id: printable, no path separators, never hidden."""
    name = re.sub(r"[/\\\x00-\x1f\x7f]", "_", clean(student, 120)).lstrip(".") or "_"
    return f"{name}.md"


def write_gradebook(out: Path, results: list, source_map: dict, student_list: list, notes: dict) -> list:
    """grades.csv (atomic) and feedback/<student>.md for every student; [(student, error)] for files not written."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(GRADES_HEADER)
    writer.writerows(grade_rows(results, source_map))
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    failed = []
    for student in student_list:
        mine = [r for r in results if r["student"] == student.id]
        try:
            write_text(out / "feedback" / feedback_name(student.id),
                         feedback(student.id, mine, source_map, notes.get(student.id, [])))
        except Exception as err:  # noqa: BLE001 - one student's page never stops the gradebook
            failed.append((student.id, f"{type(err).__name__}: {clean(err, 200)}"))
    write_text(out / "grades.csv", buffer.getvalue())
    return failed


def md(text) -> str:
    """Student-influenced text made safe for one Markdown line (and for HTML rendered from it)."""
    text = clean(text, 500)
    text = re.sub(r"([\\`*\[\]<>|&])", r"\\\1", text)
    return text


def feedback(student: str, results: list, source_map: dict, notes: list) -> str:
    """One student's feedback in Markdown: every exercise and check, hidden checks without their code."""
    order = {name: i for i, name in enumerate(source_map)}
    results = sorted(results, key=lambda r: order[r["notebook"]])
    total = sum(ex["score"] for r in results for ex in r["exercises"])
    best = sum(ex["max_score"] for r in results for ex in r["exercises"])
    lines = [f"# 評分回饋 (Grading feedback): {md(student)}", "", f"**總分 (Total): {num(total)} / {num(best)}**", ""]
    lines += [f"- {md(n)}" for n in notes]
    for result in results:
        got = sum(ex["score"] for ex in result["exercises"])
        most = sum(ex["max_score"] for ex in result["exercises"])
        lines += ["", f"## {result['notebook']}: {num(got)} / {num(most)}", ""]
        if result.get("isolation"):
            lines.append(f"執行環境 (run): sandbox {result['isolation']}, {result.get('seconds', 0):.1f} s")
        lines += [f"- {md(n)}" for n in result["notes"]]
        for ex in result["exercises"]:
            lines += ["", f"### {ex['name']}: {num(ex['score'])} / {num(ex['max_score'])} ({ex['status']})",
                      "", STATUS_TEXT.get(ex["status"], ex["status"]), ""]
            for c in ex["checks"]:
                mark = "✓" if c["passed"] else "✗"
                label = f"{c['name']} (hidden test 隱藏測試)" if c["hidden"] else c["name"]
                reason = f": {md(c['reason'])}" if c["reason"] else ""
                lines.append(f"- {mark} {md(label)} ({num(c['points'])}/{num(c['max_points'])}){reason}")
    return "\n".join(lines) + "\n"


def summary(report: dict) -> str:
    """Students graded, every skipped entry, mean/median per exercise, failures by status, limits, timing."""
    results = report["results"]
    scores, statuses = {}, Counter()
    for r in results:
        for ex in r["exercises"]:
            scores.setdefault((Path(r["notebook"]).stem, ex["name"], ex["max_score"]), []).append(ex["score"])
            statuses[ex["status"]] += ex["status"] != "ok"
    ran = [r["seconds"] for r in results if r.get("isolation")]
    lines = [f"graded {len(report['students'])} student(s): {report['ran']} copies run, "
             f"{report['cached']} unchanged (cached), in {report['seconds']} s"]
    for entry, why in report.get("skipped", []):
        lines.append(f"not graded: {clean(entry, 120)!r}: {why}")
    if ran:
        lines.append(f"time per executed copy: mean {statistics.mean(ran):.1f} s, max {max(ran):.1f} s")
    retried = sum(1 for r in results if r.get("retried"))
    if retried:
        lines.append(f"{retried} copies timed out while the machine was busy and were graded once more")
    for name, limit in sorted(report.get("limits", {}).items()):
        lines.append(f"limits {Path(name).stem}: {limit}")
    lines.append(f"{'exercise':<40} {'mean':>6} {'median':>6} {'max':>5}")
    for (nb, name, most), got in sorted(scores.items()):
        lines.append(f"{nb + ' ' + name:<40} {statistics.mean(got):6.2f} {statistics.median(got):6.2f} {most:5g}")
    failures = ", ".join(f"{s} {n}" for s, n in sorted(statuses.items()) if n) or "none"
    lines.append(f"not ok, by status (exercise rows): {failures}")
    broken = sum(1 for r in results if r.get("log"))
    if broken:
        lines.append(f"GRADER ERRORS on {broken} copies (not the students' fault): see grader_errors.log; "
                     "they are graded again on the next run")
    for student, error in report.get("unwritten", []):
        lines.append(f"feedback of {clean(student, 120)!r} could not be written: {error}")
    modes = sorted({r["isolation"] for r in results if r.get("isolation")})
    lines.append(f"isolation: {', '.join(modes) or 'no copy executed'}")
    if "fallback" in modes:
        lines.append(sandbox.FALLBACK_WARNING)
    return "\n".join(lines)
