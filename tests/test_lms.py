"""The Moodle loop: a "Download all submissions" ZIP graded into a filled worksheet and a feedback ZIP."""
import csv
import io
import os
import shutil
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest

from ch6 import paths
from ch6.grader import feedback_html, lms, lms_zip
from grading_fixtures import build
from lms_fixtures import moodle

NB = "6-9-2_plain_fixture.ipynb"
HIDDEN_NAMES = ("first two words", "word counts", "the squares", "their sum")


# ------------------------------------------------------------------------------------------ unit tests

@pytest.mark.parametrize("name, expected", [
    ("王小明_101_assignsubmission_file_6-9-2.ipynb", ("101", "王小明", "assignsubmission_file", "6-9-2.ipynb")),
    ("王小明_101_assignsubmission_file_/6-9-2.ipynb", ("101", "王小明", "assignsubmission_file", "6-9-2.ipynb")),
    ("Ann Lee 2_102_assignsubmission_file/sub/a_b.ipynb",
     ("102", "Ann Lee 2", "assignsubmission_file", "sub/a_b.ipynb")),
    ("Group A-Ann_7_assignsubmission_onlinetext_onlinetext.html",
     ("7", "Group A-Ann", "assignsubmission_onlinetext", "onlinetext.html")),
])
def test_parse_path_reads_both_moodle_layouts(name, expected):
    assert lms_zip.parse_path(name) == expected


@pytest.mark.parametrize("name", ["notes.txt", "Ann_x_assignsubmission_file_a.ipynb", "Ann_12_other_a.ipynb"])
def test_parse_path_refuses_names_without_a_participant(name):
    assert lms_zip.parse_path(name) is None


def test_member_names_in_windows_code_pages_and_utf8_without_the_flag_are_decoded():
    members = [(moodle.LegacyName(moodle.folder("陳大文", 103, NB), "cp950"), b"{}"),
               (moodle.LegacyName(moodle.flat("王小明", 101, NB), "utf-8"), b"{}"),
               (moodle.LegacyName(moodle.flat("Zoë", 104, NB), "cp437"), b"{}"),
               (moodle.flat("林美玲", 105, NB), b"{}")]
    archive = zipfile.ZipFile(io.BytesIO(moodle.build_zip(members)))
    flags = [info.flag_bits & 0x800 for info in archive.infolist()]
    assert flags == [0, 0, 0, 0x800]                       # three without the UTF-8 flag, as Windows writes them
    assert [lms_zip.member_name(i) for i in archive.infolist()] == [
        moodle.folder("陳大文", 103, NB), moodle.flat("王小明", 101, NB), moodle.flat("Zoë", 104, NB),
        moodle.flat("林美玲", 105, NB)]


def test_the_info_zip_unicode_path_field_wins_over_a_mangled_stored_name():
    real = moodle.folder("王小明", 101, NB)
    info = moodle.LegacyName(real.replace("王小明", "???"), "cp437")
    info.extra = struct.pack("<HHBL", 0x7075, 5 + len(real.encode()), 1, zlib.crc32(info.raw)) + real.encode()
    archive = zipfile.ZipFile(io.BytesIO(moodle.build_zip([(info, b"{}")])))
    assert lms_zip.member_name(archive.infolist()[0]) == real


def test_the_whole_upload_is_bounded_too(tmp_path):
    members = [(moodle.folder(f"S{i}", i, NB), os.urandom(300 << 10)) for i in range(1, 5)]
    path = tmp_path / "upload.zip"
    path.write_bytes(moodle.build_zip(members))
    upload = lms_zip.read_upload(path, lms_zip.Limits(total=1 << 20))
    assert [len(p.candidates) for p in upload.participants.values()] == [1, 1, 1, 0]
    assert len(upload.refused) == 1 and "the upload is over 1 MiB" in upload.refused[0]


def test_unsafe_members_are_refused_and_never_read(tmp_path):
    bomb = b"\0" * (3 << 20)                               # 3 MiB of zeros: ratio ~1000:1
    members = [("../../evil.ipynb", b"{}"), ("/abs/evil.ipynb", b"{}"), ("C:/evil.ipynb", b"{}"),
               moodle.symlink(moodle.folder("Mal", 9, NB), "/etc/passwd"),
               (moodle.folder("Mal", 9, "bomb.ipynb"), bomb),
               (moodle.folder("Mal", 9, "big.ipynb"), os.urandom(2 << 20)),
               (moodle.folder("Ok", 10, NB), b"{}")]
    path = tmp_path / "upload.zip"
    path.write_bytes(moodle.build_zip(members))
    upload = lms_zip.read_upload(path, lms_zip.Limits(member=1536 << 10, ratio=100))
    why = {line.split("'")[1]: line for line in upload.refused}
    assert set(why) == {"../../evil.ipynb", "/abs/evil.ipynb", "C:/evil.ipynb", moodle.folder("Mal", 9, NB),
                        moodle.folder("Mal", 9, "bomb.ipynb"), moodle.folder("Mal", 9, "big.ipynb")}
    assert "'..'" in why["../../evil.ipynb"] and "absolute" in why["/abs/evil.ipynb"]
    assert "symbolic link" in why[moodle.folder("Mal", 9, NB)]
    assert "larger than 1 MiB" in why[moodle.folder("Mal", 9, "big.ipynb")]
    assert "larger than 1 MiB" in why[moodle.folder("Mal", 9, "bomb.ipynb")]
    assert upload.participants["9"].candidates == [] and len(upload.participants["9"].notes) == 3
    assert [c[1] for c in upload.participants["10"].candidates] == [NB]
    assert upload.read_bytes == 2 and sorted(os.listdir(tmp_path)) == ["upload.zip"]


def test_a_compression_bomb_under_the_size_bound_is_refused_by_its_ratio(tmp_path):
    path = tmp_path / "upload.zip"
    path.write_bytes(moodle.build_zip([(moodle.folder("Mal", 9, "bomb.zip"), b"\0" * (4 << 20))]))
    upload = lms_zip.read_upload(path)
    assert len(upload.refused) == 1 and "ratio over 200:1" in upload.refused[0]


def test_nested_zips_are_opened_once_with_the_same_checks(tmp_path):
    inner = moodle.build_zip([("hw/" + NB, b"{}"), ("../x.ipynb", b"{}"), ("deeper.zip", moodle.build_zip([]))])
    path = tmp_path / "upload.zip"
    path.write_bytes(moodle.build_zip([(moodle.folder("Ann", 5, "hw.zip"), inner)]))
    upload = lms_zip.read_upload(path)
    ann = upload.participants["5"]
    assert [(shown, name) for shown, name, _ in ann.candidates] == [(f"hw.zip/hw/{NB}", NB)]
    assert any("'..'" in line for line in upload.refused)
    assert any("a ZIP inside a ZIP" in note for note in ann.notes)


@pytest.mark.parametrize("files, wanted, graded, note", [
    (["6-1-1_a.ipynb"], ["6-1-1_a.ipynb"], {"6-1-1_a.ipynb": "6-1-1_a.ipynb"}, None),
    (["作業 (1).ipynb"], ["6-1-1_a.ipynb"], {"6-1-1_a.ipynb": "作業 (1).ipynb"}, "renamed"),
    (["hw_6-1-2.ipynb", "x.ipynb"], ["6-1-1_a.ipynb", "6-1-2_b.ipynb"], {"6-1-2_b.ipynb": "hw_6-1-2.ipynb"},
     "could not tell"),
    (["6-1-1_a (1).ipynb", "6-1-1_a (2).ipynb"], ["6-1-1_a.ipynb"], {}, "could not tell"),
    (["a.ipynb", "b.ipynb"], ["6-1-1_a.ipynb", "6-1-2_b.ipynb"], {}, "could not tell"),
])
def test_renamed_files_are_used_only_when_unambiguous(files, wanted, graded, note):
    person = lms_zip.Participant("1", "A", candidates=[(f, f, f.encode()) for f in files])
    lms_zip.match_files(person, wanted)
    assert {k: v.decode() for k, v in person.files.items()} == graded
    assert (note is None and not person.notes) or any(note in n for n in person.notes)


def test_two_different_files_under_the_distributed_name_are_not_guessed_between():
    person = lms_zip.Participant("1", "A", candidates=[(NB, NB, b"1"), (f"x/{NB}", NB, b"2")])
    lms_zip.match_files(person, [NB])
    assert person.files == {} and "none was graded" in person.notes[0]


@pytest.mark.parametrize("cell, safe", [("=1+1", "'=1+1"), ("+SUM(A1)", "'+SUM(A1)"), ("@x", "'@x"),
                                        ("-2+3", "'-2+3"), ("\tx", "'\tx"), ("-", "-"), ("-1.5", "-1.5"),
                                        ("85.00", "85.00"), ("王小明", "王小明"), ("Participant 1", "Participant 1")])
def test_cells_are_made_safe_from_spreadsheet_formulas(cell, safe):
    assert lms.safe_cell(cell) == safe


def test_grades_are_scaled_to_the_worksheets_maximum():
    assert lms.scaled(3, 6, "100.00", True) == ("50.00", None)
    assert lms.scaled(3, 6, "10,00", True) == ("5.00", None)
    assert lms.scaled(3, 6, "100.00", False) == ("3.00", None)
    assert lms.scaled(8, 6, "6.00", False)[1].endswith("Moodle will refuse it")
    assert lms.scaled(3, 6, "", True) == ("3.00", "no Maximum Grade in the worksheet: wrote the raw total")


def test_a_worksheet_without_the_needed_columns_is_a_one_line_error(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("Identifier,Full name,Grade\nParticipant 1,A,\n", encoding="utf-8")
    rows, _ = lms.read_worksheet(path)
    with pytest.raises(lms.LmsError, match="no column 'Feedback comments'"):
        lms.columns(rows[0], path)


def test_html_feedback_escapes_everything_and_hides_hidden_checks():
    result = {"notebook": "<nb>.ipynb", "notes": ["cell 5 raised ValueError: <img src=x onerror=alert(1)>"],
              "exercises": [{"name": "ex1", "score": 1, "max_score": 3, "status": "error", "checks": [
                  {"name": "<b>size</b>", "hidden": False, "points": 0, "max_points": 1, "passed": False,
                   "reason": "expected a value equal to the answer; got '<script>'"},
                  {"name": "secret check name", "hidden": True, "points": 1, "max_points": 2, "passed": False,
                   "reason": "wrong answer (答案不正確)"}]}]}
    page = feedback_html.render("Eve <script>alert(1)</script> (7)", [result], ["graded 'a<b>.ipynb'"],
                                {("<nb>.ipynb", "ex1"): {"<b>size</b>": "equal to 5 (同型別 same type)"}})
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "Eve &lt;script&gt;" in page and "&lt;img src=x" in page and "equal to 5" in page
    assert "secret check name" not in page and "隱藏測試 (hidden tests): 1 / 2" in page
    assert 'name="viewport"' in page and "default-src 'none'" in page


# ------------------------------------------------------------------------------------------ end to end

PEOPLE = {   # participant id: (full name in Moodle, how the files come, answers, expected score of 6)
    101: ("王小明", "folder", {}, 6),
    102: ("Ann Lee", "flat", {"ex2": "squares = [1]\ntotal = 1"}, 3),
    103: ("陳大文", "cp950", {}, 6),
    104: ("林 美玲", "renamed", {}, 6),
    105: ("Bob & Lin", "nested", {"ex1": "1 / 0"}, 3),
    107: ("Eve", "folder", {}, 6),                         # not in the worksheet
    108: ("Mallory", "malicious", {}, 0),
}
SHEET = [(101, "王小明", "wang@example.edu.tw", "Submitted for grading"),
         (102, "Ann Lee", "ann@example.edu.tw", "Submitted for grading"),
         (103, "陳大文", "chen@example.edu.tw", "Submitted for grading"),
         (104, "林 美玲", "lin@example.edu.tw", "Submitted for grading"),
         (105, "Bob & <Lin>", "bob@example.edu.tw", "Submitted for grading"),
         (106, "=HYPERLINK(\"http://x\")", "nobody@example.edu.tw", "No submission"),
         (108, "Mallory", "mal@example.edu.tw", "Submitted for grading")]
FOLDERS = {101: "王小明_101_assignsubmission_file_", 102: "Ann Lee_102_assignsubmission_file_",
           103: "陳大文_103_assignsubmission_file_", 104: "林 美玲_104_assignsubmission_file_",
           105: "Bob & Lin_105_assignsubmission_file_", 107: "Eve_107_assignsubmission_file_",
           108: "Mallory_108_assignsubmission_file_"}


def moodle_zip(source) -> bytes:
    """The ZIP Moodle's "Download all submissions" gives for PEOPLE (and what Windows and students add)."""
    members = [("__MACOSX/._junk", b"x")]
    for pid, (name, how, answers, _) in PEOPLE.items():
        data = _bytes(build.copy_with(source, build.correct("6-9-2", **answers)))
        if how == "folder":
            members.append((moodle.folder(name, pid, NB), data))
        elif how == "flat":
            members += [(moodle.flat(name, pid, NB), data), (moodle.flat(name, pid, "report.pdf"), b"%PDF")]
        elif how == "cp950":
            members.append((moodle.LegacyName(moodle.folder(name, pid, NB, trailing=False), "cp950"), data))
        elif how == "renamed":
            members.append((moodle.flat(name, pid, "作業六 (1).ipynb"), data))
        elif how == "nested":
            members.append((moodle.folder(name, pid, "hw.zip"), moodle.build_zip([("hw/" + NB, data)])))
        elif how == "malicious":
            members += [moodle.symlink(moodle.folder(name, pid, NB), "/etc/passwd"),
                        (moodle.folder(name, pid, "../../../escape.ipynb"), data),
                        ("../../escape.ipynb", data), (moodle.folder(name, pid, "bomb.ipynb"), b"\0" * (6 << 20))]
    return moodle.build_zip(members)


def _bytes(nb) -> bytes:
    import nbformat

    return nbformat.writes(nb).encode("utf-8")


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    """Grade the Moodle ZIP with the worksheet once (plain fixture notebook, so each copy takes seconds)."""
    root = tmp_path_factory.mktemp("lms")
    (root / "data" / "sample").mkdir(parents=True)
    (root / "data" / "sample" / "words.txt").write_text(build.WORDS)
    (root / "data" / "sample" / "MANIFEST.json").write_text("{}")
    (root / "src").mkdir()
    source = build.plain_notebook()
    build.write(source, root / "src" / NB)
    (root / "ci.yaml").write_text(build.PROFILE)
    (root / "moodle.zip").write_bytes(moodle_zip(source))
    (root / "worksheet.csv").write_bytes(moodle.worksheet(SHEET))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATA_DIR", str(root / "data"))
        summary = lms.run(root / "moodle.zip", root / "out", worksheet=root / "worksheet.csv", source=root / "src",
                          jobs=2, progress=False, profile=str(root / "ci.yaml"),
                          zip_limits=lms_zip.Limits(member=4 << 20))
    return root, summary


def read_csv(path: Path) -> list:
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def grades_totals(path: Path) -> dict:
    """{student: (score, max)} summed from grades.csv."""
    found = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            got, most = found.get(row["student"], (0.0, 0.0))
            found[row["student"]] = (got + float(row["score"]), most + float(row["max_score"]))
    return found


def moodle_import(member: str):
    """What Moodle's feedback zip importer reads from a member path: (participant id, plugin, file name)."""
    first = member.split("/")[0]
    info = first.split("_", 4)                        # PHP explode('_', $pathpart, 5)
    assert len(info) == 5 and info[1].isdigit()
    return info[1], f"{info[2]}_{info[3]}", "/".join([info[4]] + member.split("/")[1:]).lstrip("/")


def test_every_submitted_participant_gets_exactly_their_grade(loop):
    root, summary = loop
    assert {pid: total for pid, total in summary["totals"].items()} == {
        str(pid): (float(score), 6.0) for pid, (_, _, _, score) in PEOPLE.items()}
    assert grades_totals(root / "out" / "grades.csv") == summary["totals"]


def test_the_filled_worksheet_matches_the_input_field_by_field(loop):
    root, _ = loop
    before = read_csv(root / "worksheet.csv")
    after = read_csv(root / "out" / "worksheet.csv")
    assert after[0] == before[0] == moodle.HEADER and len(after) == len(before)
    grade, feedback = moodle.HEADER.index("Grade"), moodle.HEADER.index("Feedback comments")
    totals = grades_totals(root / "out" / "grades.csv")
    for old, new in zip(before[1:], after[1:]):
        pid = old[0].split()[-1]
        for index, (a, b) in enumerate(zip(old, new)):
            if index not in (grade, feedback) or pid not in totals:
                assert b == lms.safe_cell(a), (pid, moodle.HEADER[index])
        if pid in totals:
            score, most = totals[pid]
            assert new[grade] == f"{score / most * 100:.2f}"
            assert new[feedback].startswith(f"總分 (Total): {score:g} / {most:g} → 成績 (grade) {new[grade]}.")
    rows = {r[0]: r for r in after[1:]}
    assert rows["Participant 106"][1] == "'=HYPERLINK(\"http://x\")" and rows["Participant 106"][grade] == ""
    assert [rows[f"Participant {p}"][grade] for p in (101, 102, 103, 104, 105, 108)] == \
        ["100.00", "50.00", "100.00", "100.00", "50.00", "0.00"]
    assert "ex2 0/3" in rows["Participant 102"][feedback] and "(error)" in rows["Participant 105"][feedback]


def test_the_feedback_zip_is_laid_out_for_moodles_importer(loop):
    root, summary = loop
    with zipfile.ZipFile(root / "out" / "moodle_feedback.zip") as archive:
        names = archive.namelist()
        assert names == [f"{FOLDERS[pid]}/feedback.html" for pid in sorted(FOLDERS)] == summary["feedback_zip"]
        for member in names:
            pid, plugin, file_name = moodle_import(member)
            assert (plugin, file_name) == ("assignsubmission_file", "feedback.html")
            assert archive.read(member) == (root / "out" / "feedback" / f"{pid}.html").read_bytes()


def test_html_feedback_shows_scores_errors_and_expectations_but_no_hidden_check(loop):
    root, _ = loop
    pages = {pid: (root / "out" / "feedback" / f"{pid}.html").read_text(encoding="utf-8") for pid in FOLDERS}
    for pid, page in pages.items():
        assert not any(name in page for name in HIDDEN_NAMES), pid
        assert "<script" not in page and f"總分 (Total): {PEOPLE[pid][3]} / 6" in page
    assert "陳大文 (103)" in pages[103] and "王小明 (101)" in pages[101]
    assert "Bob &amp; Lin (105)" in pages[105]
    assert "ZeroDivisionError" in pages[105] and "你的錯誤 (your error)" in pages[105]
    assert "five squares" in pages[102] and "預期 (expected): equal to 5" in pages[102]
    assert "作業六 (1).ipynb" in pages[104] and "renamed file" in pages[104]
    assert "renamed file" in (root / "out" / "feedback" / "104.md").read_text(encoding="utf-8")
    assert "symbolic link" in pages[108] and "not submitted" in (root / "out" / "feedback" / "108.md").read_text()


def test_the_summary_lists_refusals_and_both_kinds_of_mismatch(loop):
    root, summary = loop
    text = (root / "out" / "moodle_summary.txt").read_text(encoding="utf-8")
    assert "refused '../../escape.ipynb': path with '..'" in text
    assert f"refused '{moodle.folder('Mallory', 108, NB)}': symbolic link" in text
    assert f"refused '{moodle.folder('Mallory', 108, 'bomb.ipynb')}'" in text
    assert "no submission from participant 106" in text
    assert "submission of participant 107 has no row in the worksheet" in text
    assert "participant 102: ignored 'report.pdf': not a notebook" in text


def test_nothing_outside_the_participant_folders_is_written(loop):
    root, _ = loop
    assert not list(root.rglob("escape.ipynb")) and not list(root.rglob("bomb.ipynb"))
    written = sorted(str(p.relative_to(root / "out" / "submissions"))
                     for p in (root / "out" / "submissions").rglob("*") if p.is_file())
    assert written == [lms.MARKER] + [f"{pid}/{NB}" for pid in (101, 102, 103, 104, 105, 107)]


def test_make_grade_with_a_moodle_zip_and_worksheet_writes_the_same_grades(loop, tmp_path):
    root, _ = loop
    out = tmp_path / "out with space"
    shutil.copytree(root / "out" / ".cache", out / ".cache")        # unchanged copies: the grades come from cache
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    run = subprocess.run(["make", "-s", "grade", f"SUBMISSIONS={root / 'moodle.zip'}",
                          f"MOODLE_WORKSHEET={root / 'worksheet.csv'}", f"OUT={out}", f"SOURCE={root / 'src'}",
                          f"DATA_DIR={root / 'data'}", "JOBS=2"], cwd=paths.REPO, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Upload grading worksheet" in run.stdout and "refused" in run.stdout
    assert read_csv(out / "worksheet.csv") == read_csv(root / "out" / "worksheet.csv")
    assert (out / "grades.csv").read_text() == (root / "out" / "grades.csv").read_text()
    plain = tmp_path / "plain"
    shutil.copytree(root / "out" / ".cache", plain / ".cache")
    for args, wrote in (([], "grades.csv"), ([f"MOODLE_WORKSHEET={root / 'worksheet.csv'}"], "worksheet.csv")):
        run = subprocess.run(["make", "-s", "grade", f"SUBMISSIONS={root / 'out' / 'submissions'}", f"OUT={plain}",
                              f"SOURCE={root / 'src'}", f"DATA_DIR={root / 'data'}", *args], cwd=paths.REPO, env=env,
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0 and (plain / wrote).exists(), run.stdout + run.stderr
        assert ("ch6.grader.lms" in run.stderr) == bool(args)                 # the command make chose (set -x)
    assert (plain / "grades.csv").read_text() == (root / "out" / "grades.csv").read_text()
    assert read_csv(plain / "worksheet.csv") == read_csv(root / "out" / "worksheet.csv")
    bad = subprocess.run(["make", "-s", "grade", f"SUBMISSIONS={root / 'worksheet.csv'}.zip", f"OUT={tmp_path / 'x'}",
                          f"DATA_DIR={root / 'data'}"],
                         cwd=paths.REPO, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "no such file or folder" in bad.stderr


def test_an_unzipped_moodle_folder_is_read_like_the_zip_and_links_are_refused(loop, tmp_path):
    root, _ = loop
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(root / "moodle.zip") as archive:
        for info in archive.infolist():
            name = lms_zip.member_name(info)
            if ".." not in name and "Mallory" not in name and not name.startswith("__MACOSX"):
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / name).write_bytes(archive.read(info))
    (folder / moodle.folder("Mallory", 108, "")).mkdir()
    (folder / moodle.folder("Mallory", 108, NB)).symlink_to("/etc/passwd")
    out = tmp_path / "out"
    shutil.copytree(root / "out" / ".cache", out / ".cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATA_DIR", str(root / "data"))
        summary = lms.run(folder, out, worksheet=root / "worksheet.csv", source=root / "src", progress=False,
                          profile=str(root / "ci.yaml"))
    assert summary["report"]["ran"] == 0                                  # the very same copies as from the ZIP
    assert read_csv(out / "worksheet.csv") == read_csv(root / "out" / "worksheet.csv")
    assert summary["refused"] == [f"refused '{moodle.folder('Mallory', 108, NB)}': symbolic link; not extracted"]
    assert (out / "moodle_feedback.zip").exists() and summary["feedback_zip"] == read_zip_names(root)


def read_zip_names(root: Path) -> list:
    with zipfile.ZipFile(root / "out" / "moodle_feedback.zip") as archive:
        return archive.namelist()
