"""The Moodle loop: a "Download all submissions" ZIP in; grades, a filled grading worksheet and feedback files out.

``python -m ch6.grader.lms SUBMISSIONS.zip [--worksheet WORKSHEET.csv] --out OUT`` reads the ZIP
(``ch6.grader.lms_zip``), writes one folder per participant (folder name = participant id) under
``OUT/submissions``, grades them with ``ch6.grader.pipeline.grade_all`` (``OUT/grades.csv``,
``OUT/feedback/<id>.md``), then writes ``OUT/feedback/<id>.html``, ``OUT/moodle_feedback.zip`` for "Upload
multiple feedback files in a zip" and, with a worksheet, the same worksheet with Grade and Feedback comments
filled, for "Upload grading worksheet". See docs/GRADING.md.
"""
import argparse
import csv
import io
import os
import re
import shutil
import sys
import zipfile
from pathlib import Path

from .. import paths
from ..files import write_atomic, write_text_atomic
from . import feedback_html, lms_zip

MARKER = ".ch6-moodle-import"
FEEDBACK_FILE = "feedback.html"
COLUMNS = {                         # Moodle's English headers, then the Traditional Chinese language pack's
    "id": ("Identifier", "識別碼"),
    "name": ("Full name", "全名", "姓名"),
    "grade": ("Grade", "成績", "分數"),
    "max": ("Maximum Grade", "Maximum grade", "最高分數", "滿分"),
    "changeable": ("Grade can be changed", "分數可以更改"),
    "feedback": ("Feedback comments", "回饋評語", "評語"),
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class LmsError(ValueError):
    """Bad input for the Moodle loop (the message is the whole explanation)."""


# ------------------------------------------------------------------------------ submissions in

def prepare(upload: lms_zip.Upload, source: Path, folder: Path, notebooks=None) -> list:
    """Match every participant's files to the assignment's notebooks and write ``folder/<id>/<name>``."""
    names = sorted(p.name for p in Path(source).glob("*.ipynb"))
    wanted = _wanted(notebooks, names) if notebooks else lms_zip.assignment_notebooks(upload, names)
    if not wanted:
        raise LmsError(f"no file in the upload is named like a notebook of {source} "
                       f"({', '.join(names[:3])}, ...); pass --notebooks NAME[,NAME] to say which")
    if folder.exists():
        if not (folder / MARKER).exists():
            raise LmsError(f"{folder} exists and was not written by this tool; choose another --out")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("participant folders written from a Moodle ZIP; rewritten on every run\n")
    for person in upload.participants.values():
        lms_zip.match_files(person, wanted)
        (folder / person.pid).mkdir()
        for name, data in person.files.items():
            write_atomic(folder / person.pid / name, data)
    return wanted


def _wanted(notebooks: str, names: list) -> list:
    """Distributed names from ``--notebooks`` (file names or keys such as 6-1-1)."""
    wanted = []
    for item in (s.strip() for s in notebooks.split(",") if s.strip()):
        found = [n for n in names if n == item or lms_zip.notebook_key(n) == item]
        if len(found) != 1:
            raise LmsError(f"--notebooks: {item!r} is not one of {', '.join(names)}")
        wanted.append(found[0])
    return wanted


def source_subset(source: Path, wanted: list, folder: Path) -> Path:
    """A folder holding only the assignment's source notebooks (so others are not graded as missing)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name in wanted:
        shutil.copyfile(Path(source) / name, folder / name)
    return folder


# ------------------------------------------------------------------------------ grades out

def totals(report: dict) -> dict:
    """{student: (score, max score)} summed over every notebook and exercise graded."""
    found = {}
    for result in report["results"]:
        got, most = found.get(result["student"], (0, 0))
        found[result["student"]] = (got + sum(ex["score"] for ex in result["exercises"]),
                                    most + sum(ex["max_score"] for ex in result["exercises"]))
    return found


def scaled(score: float, most: float, maximum: str, scale: bool) -> tuple:
    """(Grade text, warning or None): the total scaled to the worksheet's Maximum Grade, two decimals."""
    try:
        top = float(maximum.strip().replace(",", ".")) if maximum and maximum.strip() else None
    except ValueError:
        top = None
    if scale and top is not None and most > 0:
        return f"{score / most * top:.2f}", None
    warning = None
    if top is not None and score > top:
        warning = f"total {score:g} is above the Maximum Grade {top:g}: Moodle will refuse it"
    elif scale and top is None:
        warning = "no Maximum Grade in the worksheet: wrote the raw total"
    return f"{score:.2f}", warning


def comment(score: float, most: float, grade: str, results: list) -> str:
    """The short Feedback comments text: total, grade, points per notebook and exercise (all our own words)."""
    parts = [f"總分 (Total): {score:g} / {most:g} → 成績 (grade) {grade}."]
    for result in sorted(results, key=lambda r: r["notebook"]):
        items = ", ".join(f"{ex['name']} {ex['score']:g}/{ex['max_score']:g}"
                          + ("" if ex["status"] == "ok" else f" ({ex['status']})") for ex in result["exercises"])
        parts.append(f"{Path(result['notebook']).stem}: {items}.")
    parts.append(f"詳見回饋檔案 {FEEDBACK_FILE} (details in the feedback file).")
    return " ".join(parts)


def safe_cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula: a leading = + - @ tab or CR gets a quote (not numbers)."""
    if not text.startswith(FORMULA_START) or text == "-" or re.fullmatch(r"[+-]?\d+(\.\d+)?", text):
        return text
    return "'" + text


def read_worksheet(path: Path) -> tuple:
    """(rows, encoding) of a grading worksheet CSV: UTF-8 (with or without BOM) or, saved by Excel, cp950."""
    data = Path(path).read_bytes()
    for encoding in ("utf-8-sig", "cp950"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise LmsError(f"{path}: not UTF-8 or Big5 text; download the grading worksheet from Moodle again")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise LmsError(f"{path}: the worksheet is empty")
    return rows, encoding


def columns(header: list, path) -> dict:
    """{role: column index} for the worksheet's Identifier, Grade, Maximum Grade, Feedback comments, ..."""
    found = {}
    for role, names in COLUMNS.items():
        for index, cell in enumerate(header):
            if cell.strip() in names and role not in found:
                found[role] = index
    missing = [COLUMNS[r][0] for r in ("id", "grade", "feedback") if r not in found]
    if missing:
        raise LmsError(f"{path}: no column {', '.join(repr(m) for m in missing)} (found {header}); use Moodle's "
                       "'Download grading worksheet' with 'Offline grading worksheet' and 'Feedback comments' on")
    return found


def participant_id(identifier: str) -> str | None:
    """``123456`` from ``Participant 123456`` (any language: the digits at the end)."""
    match = re.search(r"(\d+)\s*$", identifier)
    return match.group(1) if match else None


def fill_worksheet(rows: list, col: dict, report: dict, scale: bool = True) -> tuple:
    """(filled rows, summary lines): Grade and Feedback comments for every graded participant, others untouched."""
    sums, by_student = totals(report), {}
    for result in report["results"]:
        by_student.setdefault(result["student"], []).append(result)
    out, lines, seen = [rows[0]], [], set()
    for row in rows[1:]:
        row = list(row) + [""] * (len(rows[0]) - len(row))
        pid = participant_id(row[col["id"]]) if row and len(row) > col["id"] else None
        if pid in sums:
            seen.add(pid)
            score, most = sums[pid]
            grade, warning = scaled(score, most, row[col["max"]] if "max" in col else "", scale)
            row[col["grade"]] = grade
            row[col["feedback"]] = comment(score, most, grade, by_student[pid])
            if warning:
                lines.append(f"participant {pid}: {warning}")
            if "changeable" in col and row[col["changeable"]].strip().lower() in ("no", "否"):
                lines.append(f"participant {pid}: 'Grade can be changed' is No: Moodle will keep its grade")
        elif pid:
            name = row[col["name"]] if "name" in col else ""
            lines.append(f"no submission from participant {pid} {name}: row left as it was")
        out.append(row)
    for pid in sorted(set(sums) - seen):
        lines.append(f"submission of participant {pid} has no row in the worksheet: not in the worksheet")
    return out, lines


def write_worksheet(rows: list, path: Path) -> None:
    """UTF-8 with BOM (as Moodle writes it), every cell safe from spreadsheet formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows([[safe_cell(c) for c in row] for row in rows])
    write_atomic(path, ("\ufeff" + buffer.getvalue()).encode("utf-8"))


def folder_name(full_name: str, pid: str) -> str:
    """The folder Moodle's feedback import reads: ``<Full name>_<participant id>_assignsubmission_file_``."""
    clean = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|_]', " ", full_name).strip() or "Participant"
    return f"{clean}_{pid}_assignsubmission_file_"


def feedback_zip(pages: dict, names: dict, path: Path) -> list:
    """Write ``moodle_feedback.zip``: {id: html} into ``<name>_<id>_assignsubmission_file_/feedback.html``."""
    buffer = io.BytesIO()
    listing = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for pid in sorted(pages, key=lambda p: int(p)):
            member = f"{folder_name(names.get(pid, ''), pid)}/{FEEDBACK_FILE}"
            info = zipfile.ZipInfo(member, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, pages[pid])
            listing.append(member)
    write_atomic(path, buffer.getvalue())
    return listing


# ------------------------------------------------------------------------------ the whole loop

def run(submissions, out, *, worksheet=None, source=None, notebooks=None, jobs: int = 1, scale: bool = True,
        zip_limits: lms_zip.Limits = lms_zip.Limits(), progress: bool = True, **grading) -> dict:
    """Read the submissions, grade, write HTML feedback, the feedback ZIP and the filled worksheet; return a summary.

    ``submissions`` is a Moodle ZIP, the folder it unzips to, or a folder of student folders named by participant id.
    """
    from .pipeline import grade_all

    out, source, submissions = Path(out), Path(source or paths.NOTEBOOKS), Path(submissions)
    rows = col = encoding = None
    if worksheet:
        rows, encoding = read_worksheet(Path(worksheet))
        col = columns(rows[0], worksheet)
    if submissions.is_dir() and not lms_zip.looks_like_moodle(submissions):
        upload, graded_from = lms_zip.Upload(), submissions
        names = sorted(p.name for p in source.glob("*.ipynb"))
        subset = source_subset(source, _wanted(notebooks, names), out / ".source") if notebooks else source
    else:
        reader = lms_zip.read_folder if submissions.is_dir() else lms_zip.read_upload
        upload, graded_from = reader(submissions, zip_limits), out / "submissions"
        if not upload.participants:
            raise LmsError(f"{submissions}: nothing named like a Moodle submission (<name>_<id>_assignsubmission_...)")
        subset = source_subset(source, prepare(upload, source, graded_from, notebooks), out / ".source")
    report = grade_all(graded_from, out, jobs=jobs, source=subset, progress=progress, **grading)
    known = _sheet_names(rows, col) if rows is not None else {}
    people = upload.participants or {sid: lms_zip.Participant(sid, known.get(sid, sid)) for sid in report["students"]}
    pages = write_feedback(out, report, people, subset)
    lines, target = [], None
    if rows is not None:
        filled, lines = fill_worksheet(rows, col, report, scale)
        target = out / Path(worksheet).name
        if target.resolve() == Path(worksheet).resolve():
            target = target.with_name(f"{target.stem}-graded{target.suffix}")
        write_worksheet(filled, target)
        if encoding != "utf-8-sig":
            lines.append(f"the worksheet was read as {encoding} (saved by Excel?); written back as UTF-8")
    moodle_ids = {pid: page for pid, page in pages.items() if pid.isdigit()}
    lines += [f"student folder {sid!r} is not a Moodle participant id: not in moodle_feedback.zip"
              for sid in sorted(set(pages) - set(moodle_ids))]
    listing = feedback_zip(moodle_ids, {pid: p.name for pid, p in people.items()}, out / "moodle_feedback.zip")
    summary = {"notebooks": sorted(p.name for p in subset.glob("*.ipynb")), "participants": len(people),
               "totals": totals(report), "refused": upload.refused, "unmatched": upload.unmatched, "worksheet": lines,
               "feedback_zip": listing, "notes": {pid: p.notes for pid, p in people.items() if p.notes},
               "worksheet_out": str(target) if target else None, "report": report}
    write_text_atomic(out / "moodle_summary.txt", summary_text(summary) + "\n")
    return summary


def _sheet_names(rows: list, col: dict) -> dict:
    """{participant id: full name} from the worksheet."""
    if "name" not in col:
        return {}
    return {participant_id(r[col["id"]]): r[col["name"]] for r in rows[1:]
            if len(r) > max(col["id"], col["name"]) and participant_id(r[col["id"]])}


def write_feedback(out: Path, report: dict, people: dict, source: Path) -> dict:
    """``OUT/feedback/<id>.html`` for every participant (and their file notes in the .md); {id: html}."""
    order = {p.name: i for i, p in enumerate(sorted(source.glob("*.ipynb")))}
    expected = feedback_html.expectations(source)
    pages = {}
    for pid, person in people.items():
        mine = sorted((r for r in report["results"] if r["student"] == pid), key=lambda r: order.get(r["notebook"], 0))
        pages[pid] = feedback_html.render(f"{person.name} ({pid})", mine, person.notes, expected)
        write_text_atomic(out / "feedback" / f"{pid}.html", pages[pid])
        if person.notes:
            _add_notes(out / "feedback" / f"{pid}.md", person.notes)
    return pages


def _add_notes(md: Path, notes: list) -> None:
    """Put the notes about the student's files (renamed, nested, ignored) into the Markdown feedback too."""
    if not md.exists():
        return
    text = md.read_text(encoding="utf-8")
    block = "## 繳交的檔案 (Your files)\n\n" + "".join(f"- {_md(n)}\n" for n in notes)
    head, sep, rest = text.partition("\n## ")
    write_text_atomic(md, head.rstrip("\n") + "\n\n" + block + ("\n## " + rest if sep else ""))


def _md(text: str) -> str:
    text = re.sub(r"[\x00-\x1f\x7f]", " ", str(text))[:500]
    return re.sub(r"([\\`*\[\]<>|])", r"\\\1", text)


def summary_text(summary: dict) -> str:
    """What the instructor reads: notebooks, participants, refused members, unmatched rows, where files are."""
    lines = [f"Moodle upload: {summary['participants']} participant(s); notebooks graded: "
             f"{', '.join(summary['notebooks'])}"]
    for pid, (score, most) in sorted(summary["totals"].items(), key=lambda kv: int(kv[0])):
        lines.append(f"  participant {pid}: {score:g} / {most:g}")
    lines += summary["refused"] + summary["unmatched"]
    for pid, notes in sorted(summary["notes"].items()):
        lines += [f"participant {pid}: {n}" for n in notes]
    lines += summary["worksheet"]
    modes = sorted({r["isolation"] for r in summary["report"]["results"] if r.get("isolation")})
    lines.append(f"isolation: {', '.join(modes) or 'no copy executed'}")
    if "fallback" in modes:
        lines.append("WARNING: copies ran in the weaker fallback sandbox (install bubblewrap); see the grader's notes")
    if summary["worksheet_out"]:
        lines.append(f"wrote {summary['worksheet_out']} (Moodle: Upload grading worksheet)")
    lines.append(f"wrote moodle_feedback.zip with {len(summary['feedback_zip'])} feedback file(s) "
                 "(Moodle: Upload multiple feedback files in a zip)")
    return "\n".join(re.sub(r"[\x00-\x1f\x7f\x9b]", " ", line) for line in lines)   # no terminal escapes


def main(argv=None) -> int:
    """Grade a Moodle "Download all submissions" ZIP; fill a grading worksheet; write a feedback ZIP."""
    parser = argparse.ArgumentParser(prog="python -m ch6.grader.lms", description=main.__doc__)
    parser.add_argument("submissions", type=Path, help="the ZIP from Moodle's 'Download all submissions' "
                        "(or the folder it unzips to, or one folder per participant id)")
    parser.add_argument("--worksheet", type=Path, help="the CSV from Moodle's 'Download grading worksheet'")
    parser.add_argument("--out", type=Path, default=paths.BUILD / "grades", help="everything is written here")
    parser.add_argument("--source", type=Path, default=paths.NOTEBOOKS, help="the source notebooks")
    parser.add_argument("--notebooks", help="the assignment's notebooks, e.g. 6-1-1,6-1-2 (default: those in the ZIP)")
    parser.add_argument("--no-scale", dest="scale", action="store_false",
                        help="write the raw total as Grade instead of scaling it to the Maximum Grade")
    parser.add_argument("--jobs", type=int, default=1, help="copies graded at once on this machine")
    parser.add_argument("--scheduler", help="Dask scheduler address (tcp://host:port)")
    parser.add_argument("--force", action="store_true", help="re-grade copies that did not change")
    parser.add_argument("--profile", help="parameter profile name or YAML file (default: the grader's, ci)")
    args = parser.parse_args(argv)
    if not args.submissions.exists():
        parser.error(f"{args.submissions}: no such file or folder")
    if args.worksheet and not args.worksheet.is_file():
        parser.error(f"{args.worksheet}: no such worksheet")
    grading = {k: v for k, v in (("scheduler", args.scheduler), ("force", args.force), ("profile", args.profile)) if v}
    try:
        summary = run(args.submissions, args.out, worksheet=args.worksheet, source=args.source,
                      notebooks=args.notebooks, jobs=max(1, args.jobs), scale=args.scale, **grading)
    except (LmsError, lms_zip.ArchiveError, ValueError, paths.DataNotFound) as err:
        print(f"error: {err}", file=sys.stderr)         # also the grader's AuthoringError and ParameterError
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: no worksheet or feedback ZIP was written (finished copies are cached)", file=sys.stderr)
        os._exit(130)                   # now: the running sandboxes die with this process
    print(summary_text(summary))
    print(f"wrote {args.out / 'grades.csv'}, {args.out / 'feedback'}/ (.md and .html), "
          f"{args.out / 'moodle_feedback.zip'}, {args.out / 'moodle_summary.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
