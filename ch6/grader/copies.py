"""Reading SUBMISSIONS: student folders (every entry accounted for), their copies, safely (no links, no blocking)."""
import os
import re
import stat
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path

MAX_COPY_BYTES = 20 << 20            # a bigger .ipynb is not read


class Unreadable(ValueError):
    """A submitted file that is not a notebook we can run; the message says why, for the student."""


@dataclass(frozen=True)
class Student:
    """One student folder: ``folder`` is its name on disk, ``id`` the printable student id."""
    folder: str
    id: str


def read_copy(data: bytes):
    """Parse a submitted .ipynb (any nbformat version nbformat reads, upgraded to v4)."""
    import nbformat

    if not data.strip():
        raise Unreadable("the file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable("the file is not UTF-8 text") from None
    try:
        nb = nbformat.reads(text, as_version=4)
        cells = list(nb.cells)
    except Exception as err:  # noqa: BLE001 - nbformat raises many kinds on malformed input
        raise Unreadable(f"not a Jupyter notebook ({type(err).__name__})") from None
    if not all(isinstance(c, dict) for c in cells):
        raise Unreadable("not a Jupyter notebook (malformed cells)")
    return nb


def read_submission(path: Path):
    """(bytes, None) for a regular file of sane size with one link, else (None, why); never follows a link or blocks."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None, "not submitted"
    except OSError as err:
        return None, "is a symbolic link" if os.path.islink(path) else f"cannot be opened ({err.strerror})"
    try:
        info = os.fstat(fd)                             # before fdopen: that raises on a folder
        if stat.S_ISDIR(info.st_mode):
            return None, "is a folder, not a notebook file"
        if not stat.S_ISREG(info.st_mode):
            return None, "is not a regular file"
        if info.st_nlink != 1:
            return None, "is a hard link to another file (re-upload the notebook itself)"
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(MAX_COPY_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_COPY_BYTES:
        return None, f"is larger than {MAX_COPY_BYTES >> 20} MiB"
    return data, None


def printable(name: str) -> str:
    """A folder name as text: UTF-8, else Big5/CP950 (as unzip leaves Taiwanese names), else escaped bytes."""
    raw = os.fsencode(name)
    for encoding in ("utf-8", "cp950"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = raw.decode("utf-8", "backslashreplace")
    return re.sub(r"[\x00-\x1f\x7f\u2028\u2029]", "?", text)


def students(submissions: Path, exclude: Path | None = None):
    """(student folders with unique printable ids, [(entry, why skipped)]): every entry is one or the other."""
    found, skipped, taken = [], [], set()
    for entry in sorted(os.scandir(submissions), key=lambda e: os.fsencode(e.name)):
        shown = printable(entry.name)
        if entry.is_symlink():
            skipped.append((shown, "a symbolic link, not a folder (skipped)"))
        elif not entry.is_dir(follow_symlinks=False):
            skipped.append((shown, "a file, not a student folder (skipped)"))
        elif entry.name.startswith("."):
            skipped.append((shown, "a hidden folder (name starts with '.'; skipped)"))
        elif exclude is not None and Path(entry.path).resolve() == Path(exclude).resolve():
            skipped.append((shown, "the output folder (skipped)"))
        else:
            unique, n = shown, 1
            while unique in taken:
                n += 1
                unique = f"{shown}~{n}"
            taken.add(unique)
            found.append(Student(entry.name, unique))
    return found, skipped


def stray_files(folder: Path, names) -> list:
    """Notes about entries of a student folder that are not a distributed notebook name."""
    notes = []
    try:
        entries = sorted(os.listdir(folder), key=os.fsencode)
    except OSError as err:
        return [f"the folder cannot be listed ({err.strerror})"]
    for entry in entries:
        if entry not in names and not entry.startswith("."):
            shown = printable(entry)
            guess = get_close_matches(shown, list(names), n=1, cutoff=0.6)
            hint = f"; did you mean {guess[0]}? (檔名需與發下的相同)" if guess else ""
            notes.append(f"ignored {shown!r}: not the file name of a chapter notebook{hint}")
    return notes
