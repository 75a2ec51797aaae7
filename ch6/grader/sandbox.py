"""The security boundary: execute one untrusted notebook in a sandbox and read back what each cell did.

``run()``: bubblewrap (or a weaker fallback) with its own uid, rlimits, per-copy cgroups (``cgroups``), a scrubbed
environment, a size-limited scratch folder and a wall-clock limit; every process of the copy is killed at the end.
What runs inside is ``ch6.grader.inside``.
"""
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import cgroups
from .inside import TIMEOUT_ENAME  # noqa: F401 - part of this module's interface

SANDBOX_TMP = "/tmp"                 # the only writable place inside bubblewrap (a size-limited tmpfs)
SANDBOX_HOME = "/tmp/home"
UID_BASE, UID_SPAN = 1_800_000_000, 1 << 24   # each job runs under its own unused uid (when graded as root)
_MiB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Resource limits for one notebook copy."""
    cell_timeout: int = 300      # seconds per cell (nbclient interrupts the kernel, then moves on)
    wall: int = 1200             # seconds for the whole copy, kernel start included
    memory: int = 4 << 30        # bytes of data per process (RLIMIT_DATA); the cgroup adds disk + 512 MiB
    disk: int = 256 * _MiB       # bytes the copy may write (tmpfs size; RLIMIT_FSIZE per file)
    tasks: int = 512             # processes + threads (RLIMIT_NPROC of the job's uid; cgroup pids.max)
    output: int = 4 * _MiB       # bytes of stdout kept per extraction cell; events read back: 4x


@dataclass
class Outcome:
    """What came back from one sandboxed run."""
    events: list                 # one dict per executed code cell, then a final done/stuck/dead/fail event
    ended: str                   # done | timeout | memory | crashed | failed (could not start the notebook)
    isolation: str               # bubblewrap | fallback
    seconds: float
    log: str                     # the tail of the sandbox's own stderr (bwrap or runner start-up errors)
    uid: int | None = None       # the copy's own uid, when it had one


# --------------------------------------------------------------------------------------------- host side

def run(notebook: dict, keep: list, limits: Limits, binds: list) -> Outcome:
    """Execute ``notebook`` (nbformat v4 dict) in a fresh sandbox; ``keep``: cell indexes whose stdout comes back."""
    mode = isolation()
    uid = UID_BASE + secrets.randbelow(UID_SPAN) if _own_uids(mode) else None
    inner = [sys.executable, "-m", "ch6.grader.inside"] + (["--uid", str(uid)] if uid else [])
    job = json.dumps({"notebook": notebook, "keep": keep, "cell_timeout": limits.cell_timeout,
                      "output": limits.output}).encode()
    start = time.monotonic()
    groups, scratch, args = cgroups.make(limits), None, None
    try:
        if mode == "bubblewrap":
            args = _args_file(_bwrap_command(limits, binds)[1:] + ["--setenv", "CH6_PYTHON", inner[0]])
            command = ["bwrap", "--args", str(args.fileno()), "/bin/sh", "-c", 'exec "$CH6_PYTHON" "$@"', "sh"]
            command, env, cwd = command + inner[1:], {"PATH": "/usr/bin:/bin"}, "/"    # no host path on its cmdline
        else:
            scratch = _make_scratch(uid)
            command, env, cwd = inner, _scrubbed_env(scratch), scratch
        out, err, timed_out = _supervise(_launcher(limits, uid, groups) + command, env, cwd, job, limits,
                                         uid, groups, [args.fileno()] if args else [])
        oom = any(cgroups.oom_killed(group) for group in groups)
    finally:
        cgroups.remove(groups)
        if args:
            args.close()
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    events = _parse_events(out)
    last = events[-1] if events else {}
    failed = last.get("kind") == "fail" and last.get("index") is None      # before any cell: not the copy's doing
    ended = ("done" if last.get("kind") == "done" else "timeout" if timed_out or last.get("kind") == "stuck"
             else "memory" if oom else "failed" if failed else "crashed")
    return Outcome(events, ended, mode, round(time.monotonic() - start, 2), err.decode("utf-8", "replace")[-2000:],
                   uid)


def _args_file(args: list):
    """bwrap's arguments in an unlinked temp file (NUL-separated, for ``--args FD``)."""
    f = tempfile.TemporaryFile()
    f.write(b"".join(os.fsencode(a) + b"\0" for a in args))
    f.seek(0)
    return f


def _supervise(command: list, env: dict, cwd: str, job: bytes, limits: Limits, uid, groups: list, fds=()):
    """Start the sandbox, feed it the job, wait up to the wall-clock limit, kill what is left; (out, err, timed_out)."""
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, cwd=cwd, start_new_session=True, pass_fds=tuple(fds))
    out, err = _Reader(proc.stdout, 4 * limits.output), _Reader(proc.stderr, 64 * 1024)
    threading.Thread(target=_feed, args=(proc.stdin, job), daemon=True).start()
    try:
        proc.wait(timeout=limits.wall)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        _kill_everything(proc, uid, groups)
    out.join(5), err.join(5)
    return out.data(), err.data(), timed_out


@lru_cache(maxsize=1)
def isolation() -> str:
    """``bubblewrap`` when bwrap can build the sandbox on this host, else ``fallback`` (with a loud warning)."""
    probe = _bwrap_command(Limits(), []) + ["/bin/true"] if shutil.which("bwrap") else None
    try:
        ok = probe is not None and subprocess.run(probe, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return "bubblewrap" if ok else "fallback"


@lru_cache(maxsize=2)
def _own_uids(mode: str) -> bool:
    """Can each copy run under its own uid? As root yes, unless (fallback only) Python is unreadable to others."""
    if os.geteuid() != 0:
        return False
    if mode == "bubblewrap":
        return True                     # the sandbox sees Python through its own read-only mounts
    probe = "import os; os.setgroups([]); os.setresgid({0}, {0}, {0}); os.setresuid({0}, {0}, {0}); import nbclient"
    try:
        return subprocess.run([sys.executable, "-c", probe.format(UID_BASE)], capture_output=True,
                              cwd="/", timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


FALLBACK_WARNING = """
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!! bubblewrap (bwrap) cannot run here: grading falls back to a WEAKER sandbox.                      !!
!! Copies still get rlimits, a scrubbed environment, a fresh temp folder, a process-group kill and, !!
!! as root, cgroup limits and their own uid (if Python is readable to it). But they CAN reach the   !!
!! network and read every world-readable file, the solutions included.                              !!
!! Install Debian's `bubblewrap` package (apt-get install bubblewrap) and allow user namespaces.    !!
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
"""


def measures() -> list:
    """The isolation measures this host gives a graded copy, in words (for the summary and feedback)."""
    found = [f"sandbox: {isolation()}"]
    if isolation() == "bubblewrap":
        found.append("namespaces: pid, net (loopback only), ipc, uts, mount (read-only system, no repo/notebooks)")
        found.append("writable: only a size-limited tmpfs (/tmp, HOME); the data folder is mounted read-only")
    else:
        found.append("writable: a fresh temp folder (per-file size limit only); no namespaces, network open")
    if _own_uids(isolation()):
        found.append("own uid per copy (RLIMIT_NPROC counts)")
    else:
        found.append("runs under the grader's uid (RLIMIT_NPROC is shared with the grader's processes"
                     + ("; kill(-1) would reach the grader)" if isolation() == "fallback" else ")"))
    groups = cgroups.places()
    found.append(f"cgroup limits: {', '.join(sorted(groups))}" if groups else "cgroup limits: not available "
                 "(no memory cap beyond rlimits, no pids cap beyond RLIMIT_NPROC, no fair CPU share)")
    found.append("no new user namespaces: seccomp filter" + (" + bwrap --disable-userns" if os.geteuid() != 0
                                                             and _bwrap_has("--disable-userns") else ""))
    found.append("rlimits: CPU, DATA, AS, FSIZE, NPROC, NOFILE, CORE; wall-clock and per-cell timeouts")
    return found


def _bwrap_command(limits: Limits, binds: list) -> list:
    """bwrap arguments: read-only system and Python, nothing of the repository but ch6, a tmpfs scratch."""
    cmd = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
           "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if os.geteuid() != 0:
        cmd.append("--unshare-user")
        if _bwrap_has("--disable-userns"):
            cmd.append("--disable-userns")            # and the seccomp filter of ch6.grader.inside, as root too
    for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/", top)
        if host.is_symlink():
            cmd += ["--symlink", os.readlink(host), str(host)]
        elif host.is_dir():
            cmd += ["--ro-bind", str(host), str(host)]
    cmd += ["--ro-bind", "/usr", "/usr"]
    for etc in ("/etc/ld.so.cache", "/etc/fonts", "/etc/localtime"):
        if os.path.exists(etc):
            cmd += ["--ro-bind", etc, etc]
    cmd += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(limits.disk), "--tmpfs", SANDBOX_TMP,
            "--perms", "0777", "--dir", SANDBOX_HOME]
    made = {"/", "/usr", SANDBOX_TMP, SANDBOX_HOME}
    for path in _python_paths() + [str(p) for p in binds]:
        cmd += _parents(path, made) + ["--ro-bind", path, path]
    cmd += ["--chdir", SANDBOX_HOME, "--clearenv"]
    for name, value in _scrubbed_env(SANDBOX_HOME).items():
        cmd += ["--setenv", name, value]
    return cmd


@lru_cache(maxsize=4)
def _bwrap_has(option: str) -> bool:
    try:
        return option in subprocess.run(["bwrap", "--help"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False


def _parents(path: str, made: set) -> list:
    """``--dir`` arguments (mode 0755) for the not yet created parents of a bind destination."""
    args = []
    for parent in reversed(Path(path).parents):
        if str(parent) not in made:
            made.add(str(parent))
            args += ["--perms", "0755", "--dir", str(parent)]
    return args


def _python_paths() -> list:
    """What the sandbox needs of Python: the interpreter, the virtualenv and the ch6 package (read-only)."""
    package = Path(__file__).resolve().parent.parent      # the whole ch6 package
    found = [sys.base_prefix, sys.prefix, str(Path(sys.executable).resolve().parent.parent)]
    if not package.is_relative_to(sys.prefix):
        found.append(str(package))
    unique = []
    for path in sorted(set(found), key=len):
        if not path.startswith("/usr") and not any(Path(path).is_relative_to(p) for p in unique):
            unique.append(path)
    return unique


def _scrubbed_env(home: str) -> dict:
    """The whole environment of a graded copy: nothing of the grader's (no tokens, no DATA_DIR)."""
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": home, "TMPDIR": home,
           "LANG": "C.UTF-8", "TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0"}
    if os.environ.get("KERAS_BACKEND"):
        env["KERAS_BACKEND"] = os.environ["KERAS_BACKEND"]
    return env


def _make_scratch(uid) -> str:
    """A fresh private folder for the fallback sandbox, owned by the job's uid."""
    scratch = tempfile.mkdtemp(prefix="ch6-grade-")
    if uid:
        os.chown(scratch, uid, uid)
    return scratch


_LAUNCH = """
import ctypes, json, os, resource, signal, sys
spec = json.loads(sys.argv[1])
if hasattr(ctypes.CDLL(None), "prctl"):
    ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)       # PR_SET_PDEATHSIG: die with the grader
for name, value in spec["rlimits"].items():
    resource.setrlimit(getattr(resource, name), (value, value))
for procs in spec["cgroups"]:
    with open(procs, "w") as f:
        f.write(str(os.getpid()))
os.umask(0o022)
os.execvp(sys.argv[2], sys.argv[2:])
"""


def _launcher(limits: Limits, uid, groups: list) -> list:
    """A tiny exec wrapper that sets the rlimits and joins the cgroups, then becomes the sandbox (no preexec_fn)."""
    tasks = limits.tasks if uid else limits.tasks + _tasks_of_uid(os.getuid())
    rlimits = {"RLIMIT_CPU": limits.wall * (os.cpu_count() or 1), "RLIMIT_DATA": limits.memory,
               "RLIMIT_AS": 4 * limits.memory, "RLIMIT_FSIZE": limits.disk, "RLIMIT_NPROC": tasks,
               "RLIMIT_NOFILE": 4096, "RLIMIT_CORE": 0}
    spec = {"rlimits": rlimits, "cgroups": [str(g / "cgroup.procs") for g in groups]}
    return [sys.executable, "-I", "-S", "-c", _LAUNCH, json.dumps(spec)]


def _tasks_of_uid(uid: int) -> int:
    """How many tasks (threads) ``uid`` runs now: RLIMIT_NPROC counts them all."""
    return sum(len(_threads(pid)) for pid in _pids_of_uid(uid))


def _pids_of_uid(uid: int) -> list:
    """Process ids whose real uid is ``uid`` (from /proc)."""
    found = []
    if not os.path.isdir("/proc"):
        return found
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                status = Path(entry.path, "status").read_text()
            except OSError:
                continue
            line = next((x for x in status.splitlines() if x.startswith("Uid:")), "Uid: -1")
            if int(line.split()[1]) == uid:
                found.append(int(entry.name))
    return found


def _threads(pid: int) -> list:
    try:
        return os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []


def _feed(pipe, data: bytes) -> None:
    """Write the job to the sandbox's stdin (in a thread: a sandbox that never reads must not block us)."""
    try:
        pipe.write(data)
        pipe.close()
    except OSError:
        pass


class _Reader(threading.Thread):
    """Drain a pipe in the background, keeping at most ``cap`` bytes."""

    def __init__(self, pipe, cap: int):
        super().__init__(daemon=True)
        self.pipe, self.cap, self.chunks, self.size = pipe, cap, [], 0
        self.start()

    def run(self):
        while chunk := self.pipe.read1(1 << 16):
            if self.size < self.cap:
                self.chunks.append(chunk[: self.cap - self.size])
                self.size += len(self.chunks[-1])

    def data(self) -> bytes:
        return b"".join(self.chunks)


def _kill_everything(proc, uid, groups: list) -> None:
    """SIGKILL the sandbox's process group, its cgroups and (as root) every process of its uid; reap it."""
    for _ in range(100):
        pids = set()
        for group in groups:
            pids.update(cgroups.pids(group))
        if uid:
            pids.update(_pids_of_uid(uid))
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    proc.wait()


def _parse_events(data: bytes) -> list:
    """The runner's JSON lines; a torn or foreign line is dropped."""
    events = []
    for line in data.decode("utf-8", "replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and isinstance(event.get("kind"), str):
            events.append(event)
    return events


