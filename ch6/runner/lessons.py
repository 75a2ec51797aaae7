"""``make lessons``: run the notebooks on sample data of several seeds and print which lessons hold on which seed.

``python -m ch6.runner.lessons --seeds 2026 7 99 [--nb 6-1-2,6-3-5] [--jobs 2] [--out benchmarks/lessons.md]``
"""
import argparse
import sys
import time
from pathlib import Path

from .. import lessons as rules
from .. import paths, results
from ..data import SEED
from . import execute


def ensure_sample(seed: int) -> Path:
    """The small sample data of ``seed``, generated first if it is not there."""
    folder = paths.sample_folder("small", seed)
    if not (folder / "MANIFEST.json").exists():
        from ..data import sample

        print(f"seed {seed}: generating {paths.shown(folder)}", flush=True)
        sample.build(folder, "small", seed)
    return folder


def run_seed(seed: int, nb: str, jobs: int, out: Path) -> list:
    """Execute the chosen notebooks (sample profile) on the seed's data into ``out``; return their records."""
    ensure_sample(seed)
    argv = ["--profile", "sample", "--data", paths.sample_name("small", seed), "--no-write-back", "--out", str(out),
            "--jobs", str(jobs)] + (["--nb", nb] if nb else [])
    execute.main(argv)
    return results.from_notebooks(out)


def table(by_seed: dict) -> str:
    """Markdown: one row per lesson, one column per seed (成立 / 不成立 and the evidence)."""
    seeds = list(by_seed)
    ids = [lid for lid in rules.LESSONS if any(lid in found for found in by_seed.values())]
    lines = ["| lesson | " + " | ".join(f"seed {s}" for s in seeds) + " |", "|---|" + "---|" * len(seeds)]
    for lid in ids:
        cells = []
        for seed in seeds:
            les = by_seed[seed].get(lid)
            if les is None:
                cells.append("—")
                continue
            evidence = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                 for k, v in les["evidence"].items())
            mark = results.HOLDS[les["holds"]] + ("" if rules.required(les) else " (GPU only)")
            cells.append(f"{mark}: {evidence}")
        lines.append(f"| `{lid}` | " + " | ".join(cells) + " |")
    totals = []
    for seed in seeds:
        holding, counted = rules.tally(list(by_seed[seed].values()))
        totals.append(f"{holding} / {counted}")
    lines.append("| **holding** | " + " | ".join(totals) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    """Command line: run each seed, print the lesson table, optionally save it."""
    parser = argparse.ArgumentParser(prog="python -m ch6.runner.lessons", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[SEED, 7, 99], help="sample-data seeds")
    parser.add_argument("--nb", default="", help="comma list of notebooks (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at once")
    parser.add_argument("--out", type=Path, help="also write the table (Markdown) to this file")
    args = parser.parse_args(argv)
    by_seed = {}
    started = time.perf_counter()
    for seed in args.seeds:
        records = run_seed(seed, args.nb, args.jobs, paths.BUILD / "lessons" / f"seed-{seed}")
        by_seed[seed] = {les["id"]: les for les in results.all_lessons(records)}
    text = table(by_seed)
    print(text, end="")
    if args.out:
        command = "python -m ch6.runner.lessons " + " ".join(argv if argv is not None else sys.argv[1:])
        header = (f"Lessons of SPEC §3a on sample data of several seeds (sample profile), "
                  f"measured {time.strftime('%Y-%m-%d')} with `{command}` in {time.perf_counter() - started:.0f} s.\n\n")
        args.out.write_text(header + text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
