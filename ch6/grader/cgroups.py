"""Per-copy cgroups (v1 or v2, where the host lets us create them): memory, pids and an equal CPU share."""
import os
import secrets
import signal
import time
from pathlib import Path

_MiB = 1 << 20


def places() -> dict:
    """{controller: folder under which this process may create a child group} for memory, pids and cpu."""
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
            for name in CONTROLLERS:
                if name in options.split(",") and name in own:
                    places[name] = Path(mount) / own[name].lstrip("/")
        elif fstype == "cgroup2" and "unified" in own:
            base = Path(mount) / own["unified"].lstrip("/")
            try:
                enabled = (base / "cgroup.subtree_control").read_text().split()
            except OSError:
                continue
            for name in set(enabled) & set(CONTROLLERS):
                places.setdefault(name, base)
    return {name: path for name, path in places.items() if os.access(path, os.W_OK)}


CONTROLLERS = ("memory", "pids", "cpu")
_V1 = {"memory": {"memory.limit_in_bytes": "group_memory"}, "pids": {"pids.max": "tasks"},
       "cpu": {"cpu.shares": 1024}}            # every copy the same share, however many processes it forks
_V2 = {"memory": {"memory.max": "group_memory", "memory.swap.max": 0}, "pids": {"pids.max": "tasks"},
       "cpu": {"cpu.weight": 100}}


def make(limits) -> list:
    """Create this job's cgroup(s) with the memory and pids limits; [] where that is not possible."""
    made = {}
    token = f"ch6-grade-{secrets.token_hex(6)}"
    for name, base in places().items():
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


def _group_limit(limits, name: str) -> int:
    """The cgroup's limits: all processes' memory, the tmpfs scratch (it is memory too) and the runner; tasks."""
    return limits.memory + limits.disk + 512 * _MiB if name == "group_memory" else getattr(limits, name)


def pids(group: Path) -> list:
    try:
        return [int(x) for x in (group / "cgroup.procs").read_text().split()]
    except OSError:
        return []


def oom_killed(group: Path) -> bool:
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


def remove(groups: list) -> None:
    """Remove the job's groups, killing what is left in them."""
    for group in groups:
        for _ in range(50):
            try:
                group.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                for pid in pids(group):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.05)
