"""Execute one untrusted notebook in a sandbox and stream back what each cell did, as JSON lines.

Host side, ``run()``: bubblewrap (or, where it cannot run, a weaker fallback) with an unprivileged uid, rlimits,
a per-job cgroup where the host allows one, a scrubbed environment, a size-limited scratch folder and a wall-clock
limit; every process of the job is killed at the end. Sandbox side, ``main()`` (``python -m ch6.grader.sandbox``): reads
the job on stdin, executes it with nbclient and writes events to a pipe that the kernel cannot reach.
"""
import argparse
import ctypes
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

TIMEOUT_ENAME = "CellTimeout"        # ename of a cell that nbclient interrupted after the per-cell timeout
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
    inner = [sys.executable, "-m", "ch6.grader.sandbox"] + (["--uid", str(uid)] if uid else [])
    job = json.dumps({"notebook": notebook, "keep": keep, "cell_timeout": limits.cell_timeout,
                      "output": limits.output}).encode()
    start = time.monotonic()
    cgroups, scratch = _make_cgroups(limits), None
    try:
        if mode == "bubblewrap":
            command, env, cwd = _bwrap_command(limits, binds) + inner, {"PATH": "/usr/bin:/bin"}, "/"
        else:
            scratch = _make_scratch(uid)
            command, env, cwd = inner, _scrubbed_env(scratch), scratch
        out, err, timed_out = _supervise(_launcher(limits, uid, cgroups) + command, env, cwd, job, limits,
                                         uid, cgroups)
        oom = any(_oom_killed(group) for group in cgroups)
    finally:
        _remove_cgroups(cgroups)
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    events = _parse_events(out)
    last = events[-1] if events else {}
    failed = last.get("kind") == "fail" and last.get("index") is None      # before any cell: not the copy's doing
    ended = ("done" if last.get("kind") == "done" else "timeout" if timed_out or last.get("kind") == "stuck"
             else "memory" if oom else "failed" if failed else "crashed")
    return Outcome(events, ended, mode, round(time.monotonic() - start, 2), err.decode("utf-8", "replace")[-2000:],
                   uid)


def _supervise(command: list, env: dict, cwd: str, job: bytes, limits: Limits, uid, cgroups: list):
    """Start the sandbox, feed it the job, wait up to the wall-clock limit, kill what is left; (out, err, timed_out)."""
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, cwd=cwd, start_new_session=True)
    out, err = _Reader(proc.stdout, 4 * limits.output), _Reader(proc.stderr, 64 * 1024)
    threading.Thread(target=_feed, args=(proc.stdin, job), daemon=True).start()
    try:
        proc.wait(timeout=limits.wall)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        _kill_everything(proc, uid, cgroups)
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
    found.append("own uid per copy (RLIMIT_NPROC counts)" if _own_uids(isolation())
                 else "runs under the grader's uid (RLIMIT_NPROC is shared; kill(-1) would reach the grader)")
    groups = _cgroup_places()
    found.append(f"cgroup limits: {', '.join(sorted(groups))}" if groups else "cgroup limits: not available")
    found.append("rlimits: CPU, DATA, AS, FSIZE, NPROC, NOFILE, CORE; wall-clock and per-cell timeouts")
    return found


def _bwrap_command(limits: Limits, binds: list) -> list:
    """bwrap arguments: read-only system and Python, nothing of the repository but ch6, a tmpfs scratch."""
    cmd = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
           "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if os.geteuid() != 0:
        cmd.append("--unshare-user")
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


def _launcher(limits: Limits, uid, cgroups: list) -> list:
    """A tiny exec wrapper that sets the rlimits and joins the cgroups, then becomes the sandbox (no preexec_fn)."""
    tasks = limits.tasks if uid else limits.tasks + _tasks_of_uid(os.getuid())
    rlimits = {"RLIMIT_CPU": limits.wall * (os.cpu_count() or 1), "RLIMIT_DATA": limits.memory,
               "RLIMIT_AS": 4 * limits.memory, "RLIMIT_FSIZE": limits.disk, "RLIMIT_NPROC": tasks,
               "RLIMIT_NOFILE": 4096, "RLIMIT_CORE": 0}
    spec = {"rlimits": rlimits, "cgroups": [str(g / "cgroup.procs") for g in cgroups]}
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


def _kill_everything(proc, uid, cgroups: list) -> None:
    """SIGKILL the sandbox's process group, its cgroups and (as root) every process of its uid; reap it."""
    for _ in range(100):
        pids = set()
        for group in cgroups:
            pids.update(_cgroup_pids(group))
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


# cgroups: per-job memory and pids limits where the host lets us create groups (root on cgroup v1 or v2)

def _cgroup_places() -> dict:
    """{controller: folder under which this process may create a child group} for memory and pids."""
    if os.geteuid() != 0:
        return {}
    places = {}
    own = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, names, path = line.split(":", 2)
        for name in names.split(",") if names else ["unified"]:
            own[name] = path
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        fstype, _, options = right.split()[:3]
        mount = left.split()[4]
        if fstype == "cgroup":
            for name in ("memory", "pids"):
                if name in options.split(",") and name in own:
                    places[name] = Path(mount) / own[name].lstrip("/")
        elif fstype == "cgroup2" and "unified" in own:
            base = Path(mount) / own["unified"].lstrip("/")
            try:
                enabled = (base / "cgroup.subtree_control").read_text().split()
            except OSError:
                continue
            for name in set(enabled) & {"memory", "pids"}:
                places.setdefault(name, base)
    return {name: path for name, path in places.items() if os.access(path, os.W_OK)}


_V1 = {"memory": {"memory.limit_in_bytes": "group_memory"}, "pids": {"pids.max": "tasks"}}
_V2 = {"memory": {"memory.max": "group_memory", "memory.swap.max": 0}, "pids": {"pids.max": "tasks"}}


def _make_cgroups(limits: Limits) -> list:
    """Create this job's cgroup(s) with the memory and pids limits; [] where that is not possible."""
    made = {}
    token = f"ch6-grade-{secrets.token_hex(6)}"
    for name, base in _cgroup_places().items():
        group = base / token
        v2 = (base / "cgroup.subtree_control").exists()
        try:
            if group not in made.values():
                group.mkdir()
            for file, value in (_V2 if v2 else _V1)[name].items():
                value = _group_limit(limits, value) if isinstance(value, str) else value
                (group / file).write_text(str(value))
            made[name] = group
        except OSError:
            continue
    return sorted(set(made.values()))


def _group_limit(limits: Limits, name: str) -> int:
    """The cgroup's limits: all processes' memory, the tmpfs scratch (it is memory too) and the runner; tasks."""
    return limits.memory + limits.disk + 512 * _MiB if name == "group_memory" else getattr(limits, name)


def _cgroup_pids(group: Path) -> list:
    try:
        return [int(x) for x in (group / "cgroup.procs").read_text().split()]
    except OSError:
        return []


def _oom_killed(group: Path) -> bool:
    """Did the kernel's OOM killer act inside this job's memory cgroup?"""
    for file in ("memory.events", "memory.oom_control"):
        try:
            text = (group / file).read_text()
        except OSError:
            continue
        counts = dict(line.split() for line in text.splitlines() if len(line.split()) == 2)
        if int(counts.get("oom_kill", 0)) > 0:
            return True
    return False


def _remove_cgroups(groups: list) -> None:
    for group in groups:
        for _ in range(50):
            try:
                group.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                for pid in _cgroup_pids(group):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.05)


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


# --------------------------------------------------------------------------------------------- sandbox side

def main(argv=None) -> None:
    """Sandbox entry point: drop privileges, hide the result channel from the kernel, execute, report."""
    parser = argparse.ArgumentParser(prog="python -m ch6.grader.sandbox", description=main.__doc__)
    parser.add_argument("--uid", type=int, help="the unprivileged uid to become (when started as root)")
    args = parser.parse_args(argv)
    job = json.loads(sys.stdin.buffer.read())
    _drop_privileges(args.uid)
    import nbclient  # noqa: F401 - fail here, while stderr still reaches the grader's log
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")      # dup() is close-on-exec: the kernel never gets it
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    _execute(job, channel)


def _drop_privileges(uid) -> None:
    """Become the job's uid (when started as root), forbid new privileges and become undumpable.

    Undumpable: the kernel (same uid) cannot ptrace this process or open its /proc fds and memory.
    """
    if uid and os.getuid() == 0:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    libc = ctypes.CDLL(None, use_errno=True)
    if hasattr(libc, "prctl"):
        libc.prctl(38, 1, 0, 0, 0)     # PR_SET_NO_NEW_PRIVS
        libc.prctl(4, 0, 0, 0, 0)      # PR_SET_DUMPABLE = 0


def _execute(job: dict, channel) -> None:
    """Run every cell with nbclient; after each code cell write one event line; end with done/stuck/dead/fail."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    keep, started, current = set(job["keep"]), {}, [None]

    def emit(event):
        channel.write(json.dumps(event) + "\n")
        channel.flush()

    def on_execute(cell, cell_index, **_):
        started[cell_index], current[0] = time.monotonic(), cell_index

    async def on_executed(cell, cell_index, execute_reply, **_):
        content = (execute_reply or {}).get("content", {})
        error = None
        if content.get("status") == "error":
            error = {"ename": str(content.get("ename"))[:200], "evalue": str(content.get("evalue"))[:500]}
        event = {"kind": "cell", "index": cell_index, "error": error,
                 "seconds": round(time.monotonic() - started.get(cell_index, time.monotonic()), 3)}
        if cell_index in keep:
            event["stdout"] = "".join(o.get("text", "") for o in cell.outputs
                                      if o.get("output_type") == "stream" and o.get("name") == "stdout")
        emit(event)
        if error and error["ename"] == TIMEOUT_ENAME and not await _responsive(client.kc):
            raise _Stuck()

    class Client(NotebookClient):
        """nbclient that stores only what grading reads: the stdout of kept cells (capped)."""
        kept_bytes = {}

        def output(self, outs, msg, display_id, cell_index):
            if msg["msg_type"] == "stream" and cell_index in keep:
                size = self.kept_bytes.get(cell_index, 0)
                if size <= job["output"]:
                    self.kept_bytes[cell_index] = size + len(str(msg["content"].get("text", "")))
                    return super().output(outs, msg, display_id, cell_index)
            return None

    client = Client(nbformat.from_dict(job["notebook"]), timeout=job["cell_timeout"], interrupt_on_timeout=True,
                    error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": f"cell ran over {job['cell_timeout']} s",
                                      "traceback": []},
                    allow_errors=True, kernel_name="python3", startup_timeout=120, shutdown_kernel="immediate",
                    resources={"metadata": {"path": os.getcwd()}}, on_cell_execute=on_execute,
                    on_cell_executed=on_executed)
    try:
        client.execute()
        emit({"kind": "done"})
    except _Stuck:
        emit({"kind": "stuck", "index": current[0]})
    except DeadKernelError:
        emit({"kind": "dead", "index": current[0]})
    except Exception as err:  # noqa: BLE001 - any failure is reported, never raised into the void
        emit({"kind": "fail", "index": current[0], "message": f"{type(err).__name__}: {err}"[:500]})


class _Stuck(Exception):
    """The kernel ignored the interrupt after a timeout: every later cell would only time out too."""


async def _responsive(kc, wait: float = 5.0) -> bool:
    """Does the kernel answer a kernel_info request within ``wait`` seconds (i.e. is it idle again)?"""
    from queue import Empty

    msg_id = kc.kernel_info()
    deadline = time.monotonic() + wait
    while (left := deadline - time.monotonic()) > 0:
        try:
            reply = await kc.shell_channel.get_msg(timeout=left)
        except Empty:
            return False
        if reply.get("parent_header", {}).get("msg_id") == msg_id:
            return True
    return False


if __name__ == "__main__":
    main()
