"""Shared file knowledge: atomic writes, SHA-256 digests and the runner's timings file."""
import hashlib
import io
import json
import os
import secrets
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path


def sha256_file(path: Path) -> str:
    """SHA-256 hex digest of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> str:
    """Write ``data`` to ``path`` through a temporary file in the same folder; return its SHA-256."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)                       # mkstemp makes 0600; data files are for every reader
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return hashlib.sha256(data).hexdigest()


def write_text_atomic(path: Path, text: str) -> str:
    """Write UTF-8 ``text`` atomically (see ``write_atomic``); return its SHA-256."""
    return write_atomic(path, text.encode("utf-8"))


@contextmanager
def replacing(target: Path):
    """Write to a temporary file beside ``target``; it takes ``target``'s name only if the block succeeds."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.part")
    try:
        with open(tmp, "xb") as f:
            yield f
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def zip_bytes(members: dict) -> bytes:
    """A deflated zip of ``{name: bytes}`` with the same bytes on every run (fixed dates, mode 0644)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


TIMINGS = "timings.json"


def read_timings(folder: Path) -> dict:
    """The runner's ``timings.json`` in ``folder`` ({} when absent or unreadable)."""
    try:
        return json.loads((Path(folder) / TIMINGS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_timings(folder: Path, summary: dict) -> None:
    """Save the runner's summary as ``folder/timings.json``."""
    write_text_atomic(Path(folder) / TIMINGS, json.dumps(summary, indent=2))
