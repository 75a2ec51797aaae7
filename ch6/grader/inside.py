"""Inside the sandbox (``python -m ch6.grader.inside``): drop privileges, block new user namespaces, run the notebook.

Reads the job on stdin, executes it with nbclient and writes one JSON line per cell to a pipe the kernel cannot reach.
"""
import argparse
import ctypes
import json
import os
import sys
import time

TIMEOUT_ENAME = "CellTimeout"        # ename of a cell that nbclient interrupted after the per-cell timeout


def main(argv=None) -> None:
    """Sandbox entry point: drop privileges, hide the result channel from the kernel, execute, report."""
    parser = argparse.ArgumentParser(prog="python -m ch6.grader.inside", description=main.__doc__)
    parser.add_argument("--uid", type=int, help="the unprivileged uid to become (when started as root)")
    args = parser.parse_args(argv)
    job = json.loads(sys.stdin.buffer.read())
    os.environ.pop("CH6_PYTHON", None)
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
    no_user_namespaces(libc)


# seccomp: no new user namespaces (unshare/clone with CLONE_NEWUSER, setns), no clone3 (glibc falls back to clone,
# whose flags a filter can read), no 32-bit or x32 system calls. x86_64 only; elsewhere bwrap --disable-userns.
_X86_64, _NR = 0xC000003E, {"unshare": 272, "clone": 56, "clone3": 435, "setns": 308}
_CLONE_NEWUSER, _EPERM, _ENOSYS = 0x10000000, 1, 38


def _filter() -> bytes:
    """The classic BPF program (struct sock_filter[]) of the seccomp filter."""
    import struct

    allow, errno = 0x7FFF0000, 0x00050000
    prog = [
        (0x20, 0, 0, 4),                                  # A = arch
        (0x15, 1, 0, _X86_64),                            # x86_64 -> next rule
        (0x06, 0, 0, errno | _ENOSYS),                    # other ABIs: ENOSYS
        (0x20, 0, 0, 0),                                  # A = nr
        (0x35, 0, 1, 0x40000000),                         # x32 -> ENOSYS
        (0x06, 0, 0, errno | _ENOSYS),
        (0x15, 0, 1, _NR["clone3"]),
        (0x06, 0, 0, errno | _ENOSYS),
        (0x15, 0, 1, _NR["setns"]),
        (0x06, 0, 0, errno | _EPERM),
        (0x15, 1, 0, _NR["unshare"]),
        (0x15, 0, 3, _NR["clone"]),
        (0x20, 0, 0, 16),                                 # A = low 32 bits of args[0] (the flags)
        (0x45, 0, 1, _CLONE_NEWUSER),                     # flags & CLONE_NEWUSER
        (0x06, 0, 0, errno | _EPERM),
        (0x06, 0, 0, allow),
    ]
    return b"".join(struct.pack("HBBI", *ins) for ins in prog)


def no_user_namespaces(libc) -> bool:
    """Install the seccomp filter on this process and all it starts; False where it cannot be (not x86_64)."""
    import platform

    if platform.machine() != "x86_64" or not hasattr(libc, "prctl"):
        return False
    code = _filter()
    buffer = ctypes.create_string_buffer(code)

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    program = Program(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    return libc.prctl(22, 2, ctypes.byref(program), 0, 0) == 0      # PR_SET_SECCOMP, SECCOMP_MODE_FILTER


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
