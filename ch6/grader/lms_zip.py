"""Read a Moodle "Download all submissions" ZIP, or the folder it unzips to (untrusted input), per participant.

Both layouts Moodle writes are read: files ``<Full name>_<participant id>_assignsubmission_file_<file name>``
and folders ``<Full name>_<participant id>_assignsubmission_file[_]/<path>`` (with the trailing underscore up to
Moodle 4.0, without it from 4.1). Member names without the ZIP UTF-8 flag (Windows "Send to compressed folder")
are decoded as UTF-8, then cp950 (Big5, Taiwan), then cp437. Nothing is ever extracted with ``extractall``: each
member is checked (no absolute path, no ``..``, no link, bounded size and compression ratio) and only notebooks
and nested ZIPs are read, into memory, within the same bounds.
"""
import difflib
import io
import os
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

PARTICIPANT = re.compile(r"^(?P<name>.*?)_(?P<pid>\d+)_(?P<plugin>assign(?:submission|feedback)_[a-z]+)"
                         r"(?:_(?P<rest>.*))?$", re.S)
JUNK_PARTS = {"__MACOSX", ".ipynb_checkpoints", "Thumbs.db", "desktop.ini", ".DS_Store"}
UTF8_FLAG = 0x800
UNICODE_PATH_EXTRA = 0x7075             # Info-ZIP Unicode Path extra field (7-Zip, WinRAR)


@dataclass(frozen=True)
class Limits:
    """Bounds on what is read from an archive (sizes are uncompressed bytes)."""
    member: int = 64 << 20              # one file
    total: int = 4 << 30                # everything read from one upload, nested archives included
    ratio: int = 200                    # uncompressed / compressed, for members over 1 MiB
    members: int = 20_000               # entries in one archive


@dataclass
class Participant:
    """One participant's submission: their notebooks by distributed name, and what to tell them about it."""
    pid: str
    name: str
    candidates: list = field(default_factory=list)     # (shown path, file name, bytes)
    files: dict = field(default_factory=dict)          # distributed name -> bytes
    notes: list = field(default_factory=list)


@dataclass
class Upload:
    """What a Moodle ZIP held: participants by id, and the lines the summary must show."""
    participants: dict = field(default_factory=dict)
    refused: list = field(default_factory=list)         # unsafe members, never read
    unmatched: list = field(default_factory=list)       # members that name no participant
    read_bytes: int = 0


class ArchiveError(ValueError):
    """The upload cannot be read at all (not a ZIP, or too many members)."""


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's real name: Unicode Path extra field, UTF-8 flag, else UTF-8, cp950 (Big5), cp437 in turn."""
    unicode_path = _unicode_path_extra(info)
    if unicode_path is not None:
        return unicode_path.replace("\\", "/")
    if info.flag_bits & UTF8_FLAG:
        return info.filename.replace("\\", "/")
    raw = info.orig_filename.encode("cp437")
    for encoding in ("utf-8", "cp950", "cp437"):
        try:
            return raw.decode(encoding).replace("\\", "/")
        except UnicodeDecodeError:
            continue
    return info.filename.replace("\\", "/")


def _unicode_path_extra(info: zipfile.ZipInfo):
    """The UTF-8 name of an Info-ZIP Unicode Path extra field, if present and matching the stored name."""
    extra, at = info.extra, 0
    while at + 4 <= len(extra):
        kind, size = struct.unpack("<HH", extra[at:at + 4])
        body = extra[at + 4:at + 4 + size]
        if kind == UNICODE_PATH_EXTRA and len(body) > 5 and body[0] == 1:
            crc = struct.unpack("<L", body[1:5])[0]
            raw = info.orig_filename.encode("cp437", "replace") if not info.flag_bits & UTF8_FLAG else None
            if raw is None or zlib.crc32(raw) == crc:
                try:
                    return body[5:].decode("utf-8")
                except UnicodeDecodeError:
                    return None
        at += 4 + size
    return None


def unsafe(info: zipfile.ZipInfo, name: str, limits: Limits) -> str | None:
    """Why a member must not be read (absolute path, ``..``, a link or device, too big, too compressed), or None."""
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "absolute path"
    if any(part == ".." for part in name.split("/")):
        return "path with '..'"
    kind = stat.S_IFMT(info.external_attr >> 16)      # 0 when the writer stored no Unix mode (Windows)
    if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
        return "symbolic link" if kind == stat.S_IFLNK else "not a regular file"
    if info.file_size > limits.member:
        return f"larger than {limits.member >> 20} MiB uncompressed"
    if info.file_size > (1 << 20) and info.file_size > limits.ratio * max(info.compress_size, 1):
        return f"compression ratio over {limits.ratio}:1 (a zip bomb?)"
    return None


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> bytes:
    """The member's bytes, read in chunks and stopped at the per-member bound whatever its header claims."""
    chunks, size = [], 0
    with archive.open(info) as stream:
        while chunk := stream.read(1 << 16):
            size += len(chunk)
            if size > limits.member:
                raise ValueError(f"larger than {limits.member >> 20} MiB uncompressed")
            chunks.append(chunk)
    return b"".join(chunks)


def parse_path(name: str):
    """(participant id, full name, plugin, path inside the submission) for a Moodle member name, or None."""
    first, _, inner = name.partition("/")
    match = PARTICIPANT.match(first)
    if not match:
        return None
    rest = match["rest"] or ""
    path = "/".join(p for p in (rest, inner) if p)
    return match["pid"], match["name"].strip(), match["plugin"], path


def looks_like_moodle(folder) -> bool:
    """Is ``folder`` an unzipped Moodle download (entries named ``<name>_<id>_assignsubmission_...``)?"""
    return any(parse_path(p.name) for p in Path(folder).iterdir())


def is_junk(path: str) -> bool:
    """Folders and files that operating systems and Jupyter add (never a student's answer)."""
    parts = [p for p in path.split("/") if p]
    return not parts or any(p in JUNK_PARTS or p.startswith("._") or p.startswith("~$") for p in parts)


def read_upload(source, limits: Limits = Limits()) -> Upload:
    """Read a Moodle ZIP (a path or file object): every participant's notebooks and nested ZIPs, in memory."""
    upload = Upload()
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as err:
        raise ArchiveError(f"{source}: not a ZIP file Moodle wrote ({err})") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.members:
            raise ArchiveError(f"{source}: {len(infos)} entries (more than {limits.members}); refused")
        for info in infos:
            name = member_name(info)
            if not info.is_dir() and not is_junk(name):
                _member(name, unsafe(info, name, limits), info.file_size,
                        lambda info=info: read_member(archive, info, limits), upload, limits)
    return upload


def read_folder(folder, limits: Limits = Limits()) -> Upload:
    """Read an unzipped "Download all submissions" folder like the ZIP: no link is followed, sizes are bounded."""
    upload, root = Upload(), Path(folder)
    entries = sorted(p for p in root.rglob("*") if not p.is_dir() or p.is_symlink())
    if len(entries) > limits.members:
        raise ArchiveError(f"{folder}: {len(entries)} entries (more than {limits.members}); refused")
    for path in entries:
        name = path.relative_to(root).as_posix()
        if is_junk(name):
            continue
        info = path.lstat()
        why = ("symbolic link" if stat.S_ISLNK(info.st_mode) else "not a regular file"
               if not stat.S_ISREG(info.st_mode) else f"larger than {limits.member >> 20} MiB"
               if info.st_size > limits.member else None)
        _member(name, why, info.st_size, lambda path=path: read_file(path, limits), upload, limits)
    return upload


def read_file(path: Path, limits: Limits) -> bytes:
    """A regular file's bytes, never through a link, stopped at the per-member bound."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise ValueError("not a regular file")
        data = f.read(limits.member + 1)
    if len(data) > limits.member:
        raise ValueError(f"larger than {limits.member >> 20} MiB")
    return data


def _member(name: str, why, size: int, read, upload: Upload, limits: Limits) -> None:
    """File one top-level entry under its participant, or refuse it, or list it as naming no participant."""
    escapes = bool(why) and why.startswith(("absolute", "path"))      # such a name names no participant either
    parsed = None if escapes else parse_path(name)
    if why:
        upload.refused.append(f"refused {name!r}: {why}; not extracted")
        if parsed:
            upload.participants.setdefault(parsed[0], Participant(parsed[0], parsed[1])).notes.append(
                f"refused {parsed[3]!r}: {why} (檔案不安全，未讀取)")
        return
    if parsed is None:
        upload.unmatched.append(f"ignored {name!r}: no Moodle participant id in its name")
        return
    pid, full_name, plugin, path = parsed
    person = upload.participants.setdefault(pid, Participant(pid, full_name))
    if plugin != "assignsubmission_file":
        person.notes.append(f"ignored {path or name!r} ({plugin}): only file submissions are graded")
        return
    _take(read, size, path, person, upload, limits, depth=0)


def _take(read, size: int, path: str, person: Participant, upload: Upload, limits: Limits, depth: int) -> None:
    """Keep a notebook's bytes; open a nested ZIP (one level); note anything else."""
    file_name = PurePosixPath(path).name
    lower = file_name.lower()
    if not lower.endswith((".ipynb", ".zip")):
        person.notes.append(f"ignored {path!r}: not a notebook (.ipynb)")
        return
    if depth > 0 and lower.endswith(".zip"):
        person.notes.append(f"ignored {path!r}: a ZIP inside a ZIP inside the submission is not opened")
        return
    if upload.read_bytes + size > limits.total:
        upload.refused.append(f"refused {person.name} / {path!r}: the upload is over {limits.total >> 20} MiB "
                              "uncompressed; not extracted")
        return
    try:
        data = read()
    except (ValueError, zipfile.BadZipFile, zlib.error, OSError, EOFError) as err:
        upload.refused.append(f"refused {person.name} / {path!r}: {err}; not extracted")
        return
    upload.read_bytes += len(data)
    if lower.endswith(".ipynb"):
        person.candidates.append((path, file_name, data))
    else:
        _take_nested(data, path, person, upload, limits)


def _take_nested(data: bytes, outer: str, person: Participant, upload: Upload, limits: Limits) -> None:
    """The notebooks of a ZIP the student uploaded, under the same checks as the outer archive."""
    try:
        nested = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        person.notes.append(f"ignored {outer!r}: not a readable ZIP")
        return
    with nested:
        infos = nested.infolist()
        if len(infos) > limits.members:
            upload.refused.append(f"refused {person.name} / {outer!r}: {len(infos)} entries; not extracted")
            return
        for info in infos:
            name = member_name(info)
            if info.is_dir() or is_junk(name):
                continue
            why = unsafe(info, name, limits)
            if why:
                upload.refused.append(f"refused {person.name} / {outer}!{name!r}: {why}; not extracted")
                continue
            _take(lambda info=info: read_member(nested, info, limits), info.file_size, f"{outer}/{name}", person,
                  upload, limits, depth=1)


# ------------------------------------------------------------------------------ which file is which notebook

def notebook_key(name: str) -> str:
    """``6-1-1`` for ``6-1-1_one_hot_encoding.ipynb`` (the part before the first underscore)."""
    return name.split("_", 1)[0]


def _key_in(key: str, file_name: str) -> bool:
    return re.search(rf"(?<![\d-]){re.escape(key)}(?![\d])", file_name) is not None


def assignment_notebooks(upload: Upload, names) -> list:
    """The distributed notebooks this upload is about: those whose name, or key (6-1-1), some file carries."""
    found = set()
    for person in upload.participants.values():
        for _, file_name, _ in person.candidates:
            if file_name in names:
                found.add(file_name)
            else:
                keyed = [n for n in names if _key_in(notebook_key(n), file_name)]
                if len(keyed) == 1:
                    found.add(keyed[0])
    return [n for n in names if n in found]


def match_files(person: Participant, wanted: list) -> None:
    """Fill ``person.files`` from the candidates: exact distributed names first, then unambiguous renames."""
    by_name = {}
    for shown, file_name, data in person.candidates:
        by_name.setdefault(file_name, []).append((shown, data))
    leftovers = []
    for file_name, copies in by_name.items():
        if file_name in wanted:
            if len({data for _, data in copies}) > 1:
                person.notes.append(f"{len(copies)} different files named {file_name!r}: none was graded; "
                                    "submit only one (只能繳交一份)")
                continue
            person.files[file_name] = copies[0][1]
            if "/" in copies[0][0]:
                person.notes.append(f"found {file_name} at {copies[0][0]!r}")
        else:
            leftovers += [(shown, file_name, data) for shown, data in copies]
    missing = [n for n in wanted if n not in person.files and n not in by_name]
    guesses = {shown: _guess(file_name, missing, len(leftovers)) for shown, file_name, _ in leftovers}
    for shown, file_name, data in leftovers:
        guess = guesses[shown]
        if guess and list(guesses.values()).count(guess) == 1:
            person.files[guess] = data
            person.notes.append(f"graded {shown!r} as {guess} (renamed file; 檔名與發下的不同，請保留原檔名)")
        else:
            person.notes.append(f"ignored {shown!r}: could not tell which notebook it is "
                                f"(檔名需與發下的相同: {', '.join(wanted)})")


def _guess(file_name: str, missing: list, leftovers: int) -> str | None:
    """The one missing notebook a renamed file stands for: by key (6-1-1), by close name, or the only one left."""
    keyed = [n for n in missing if _key_in(notebook_key(n), file_name)]
    if len(keyed) == 1:
        return keyed[0]
    if keyed:
        return None
    close = difflib.get_close_matches(file_name, missing, n=2, cutoff=0.6)
    if len(close) == 1:
        return close[0]
    if len(missing) == 1 and leftovers == 1:
        return missing[0]
    return None
