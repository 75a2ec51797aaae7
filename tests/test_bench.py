"""``make bench``: the saved results file and the README's summary of it."""
import json

from ch6 import paths
from ch6.bench import suite as bench


def committed_report():
    return json.loads((paths.REPO / "benchmarks" / "results.json").read_text(encoding="utf-8"))


def test_results_file_holds_every_part_with_its_command():
    report = committed_report()
    assert report["command"].startswith("python -m ch6.bench")
    assert {"python", "keras", "backend", "cpus"} <= set(report["machine"])
    assert len(report["data_preparation"]) == 4 and all(r["ratio"] > 0 for r in report["data_preparation"])
    assert [s["profile"] for s in report["suites"]] == ["ci", "sample"]
    assert all(s["ok"] and len(s["notebooks"]) == 11 for s in report["suites"])
    est = report["full_estimate"]
    assert {nb["notebook"] for nb in est["notebooks"]} >= {"6-3-5", "6-3-8"} and est["sequential_s"] > 0


def test_readme_bench_block_matches_the_results_file():
    readme = (paths.REPO / "README.md").read_text("utf-8")
    block = readme[readme.index(bench.BENCH_START):readme.index(bench.BENCH_END) + len(bench.BENCH_END)]
    assert block == bench.readme_block(committed_report()), "README bench block is stale: run `make bench`"


def test_summary_states_each_target():
    text = bench.summary(committed_report())
    for needle in ("(a) Jena CSV parse", "(b) ci profile", "(c) sample profile", "(d) full profile", "≥ 10×",
                   "≤ 180 s", "≤ 600 s", "≤ 15 min"):
        assert needle in text, needle
