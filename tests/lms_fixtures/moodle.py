"""Moodle-shaped inputs: submission ZIPs in both layouts (also as Windows re-zips them) and grading worksheets.

Names follow Moodle's assign download: ``<Full name>_<participant id>_assignsubmission_file_<file>`` (flat) and
``<Full name>_<participant id>_assignsubmission_file_/<file>`` (folders; no trailing underscore from 4.1).
"""
import csv
import io
import zipfile

HEADER = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade", "Grade can be changed",
          "Last modified (submission)", "Last modified (grade)", "Feedback comments"]
WHEN = "Friday, 4 December 2026, 10:15 PM"


class LegacyName(zipfile.ZipInfo):
    """A member whose name is stored in a Windows code page without the UTF-8 flag (Explorer's zips)."""

    def __init__(self, name: str, encoding: str, **kw):
        super().__init__(name, **kw)
        self.raw = name.encode(encoding)

    def _encodeFilenameFlags(self):
        return self.raw, self.flag_bits & ~0x800


def flat(name: str, pid: int, file_name: str) -> str:
    return f"{name}_{pid}_assignsubmission_file_{file_name}"


def folder(name: str, pid: int, file_name: str, trailing: bool = True) -> str:
    return f"{name}_{pid}_assignsubmission_file{'_' if trailing else ''}/{file_name}"


def build_zip(members: list) -> bytes:
    """A ZIP of (name, bytes) or (ZipInfo, bytes) members, deflated like Moodle's."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            if isinstance(name, zipfile.ZipInfo):
                name.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(name, data)
    return buffer.getvalue()


def symlink(name: str, target: str):
    """A member that is a symbolic link (Unix mode in external_attr)."""
    info = zipfile.ZipInfo(name)
    info.external_attr = (0o120777 << 16)
    return info, target.encode()


def worksheet(rows: list, maximum: str = "100.00") -> bytes:
    """A grading worksheet: UTF-8 with BOM, Moodle's columns; rows are (participant id, full name, email, status)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for pid, name, email, status in rows:
        submitted = WHEN if status.startswith("Submitted") else "-"
        writer.writerow([f"Participant {pid}", name, email, status, "", maximum, "Yes", submitted, "-", ""])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
