"""``python -m ch6.grader SUBMISSIONS --out OUT --jobs N [--scheduler URL] [--force]`` (``make grade``)."""
import argparse
import os
import sys
from pathlib import Path

from .. import params, paths
from . import sandbox
from .exercises import AuthoringError
from .gradebook import summary
from .pipeline import grade_all


def main(argv=None) -> int:
    """Grade every student folder of SUBMISSIONS into OUT/grades.csv and OUT/feedback/<student>.md."""
    parser = argparse.ArgumentParser(prog="python -m ch6.grader", description=main.__doc__)
    parser.add_argument("submissions", type=Path, help="one folder per student (folder name = student id)")
    parser.add_argument("--out", type=Path, default=paths.BUILD / "grades", help="grades.csv and feedback/ go here")
    parser.add_argument("--jobs", type=int, default=1, help="copies graded at once on this machine")
    parser.add_argument("--scheduler", help="Dask scheduler address (tcp://host:port): grade on that cluster")
    parser.add_argument("--force", action="store_true", help="re-grade copies that did not change")
    parser.add_argument("--profile", default="ci", help="parameter profile name or YAML file (default: ci)")
    parser.add_argument("--source", type=Path, default=paths.NOTEBOOKS, help="the source notebooks")
    parser.add_argument("--cell-timeout", type=int, help="seconds per cell (default: from the reference run)")
    parser.add_argument("--wall", type=int, help="seconds per copy (default: from the reference run)")
    parser.add_argument("--memory", type=float, default=sandbox.Limits.memory / (1 << 30),
                        help="GiB of data per process")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a folder")
    if not args.scheduler and sandbox.isolation() == "fallback":
        print(sandbox.FALLBACK_WARNING, file=sys.stderr)
    limits = None
    if args.cell_timeout or args.wall:
        limits = sandbox.Limits(cell_timeout=args.cell_timeout or sandbox.Limits.cell_timeout,
                                wall=args.wall or sandbox.Limits.wall, memory=int(args.memory * (1 << 30)))
    try:
        report = grade_all(args.submissions, args.out, jobs=max(1, args.jobs), scheduler=args.scheduler,
                           force=args.force, profile=args.profile, source=args.source, limits=limits)
    except (AuthoringError, params.ParameterError, paths.DataNotFound) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: grades.csv was not changed (finished copies are cached)", file=sys.stderr)
        os._exit(130)                   # now: the running sandboxes die with this process
    print(summary(report))
    if not args.scheduler:
        print("isolation on this machine: " + "; ".join(sandbox.measures()))
    print(f"wrote {args.out / 'grades.csv'} and {args.out / 'feedback'}/")
    return 0
