"""``make bench``: the saved results file and the README's summary of it."""
import json

from ch6 import paths
from ch6.bench import suite as bench


def made_up_report():
    """A results file with round numbers, so that the summary's text can be checked literally."""
    return {
        "measured": "2026-01-02 03:04:05", "command": "python -m ch6.bench --jobs 2",
        "machine": {"platform": "Linux-x", "cpus": 2, "keras": "3.15.1", "backend": "tensorflow", "device": "CPU"},
        "data_preparation": [{"task": "Jena CSV parse", "size": "10 rows", "lecture_loop_s": 3.0, "ch6_s": 0.25,
                              "ratio": 12.0}],
        "suites": [{"profile": "ci", "jobs": 2, "wall_seconds": 100.4, "ok": True, "target_seconds": 180},
                   {"profile": "sample", "jobs": 2, "wall_seconds": 0, "ok": False, "target_seconds": 1200}],
    }


def test_summary_renders_each_figure_against_its_target():
    text = bench.summary(made_up_report())
    assert text.splitlines()[0] == ("Measured 2026-01-02 03:04:05 with `python -m ch6.bench --jobs 2` on Linux-x, "
                                    "2 CPUs; Keras 3.15.1 (tensorflow backend).")
    assert "| (a) Jena CSV parse, 10 rows | 3.00 s → 0.250 s, **12.0×** | ≥ 10× |" in text
    assert "| (b) ci profile, all eleven, jobs=2 | **100 s** | ≤ 180 s |" in text
    assert "| (c) sample profile, all eleven, jobs=2 | **failed** | ≤ 1200 s |" in text
    assert "(d)" not in text                                   # no estimate in this report: no row for it


def test_makespan_of_nothing_and_of_one_job():
    assert bench.makespan([], 2) == 0
    assert bench.makespan([7.5], 2) == 7.5


def committed_report():
    return json.loads((paths.REPO / "benchmarks" / "results.json").read_text(encoding="utf-8"))


def test_results_file_says_how_and_where_it_was_measured():
    report = committed_report()
    assert report["command"].startswith("python -m ch6.bench")
    assert {"python", "keras", "backend", "cpus"} <= set(report["machine"])
    assert all(r["ratio"] > 0 for r in report["data_preparation"])
    assert all(len(s["notebooks"]) == 11 for s in report["suites"] if s["ok"])


def test_readme_bench_block_matches_the_results_file():
    readme = (paths.REPO / "README.md").read_text("utf-8")
    block = readme[readme.index(bench.BENCH_START):readme.index(bench.BENCH_END) + len(bench.BENCH_END)]
    assert block == bench.readme_block(committed_report()), "README bench block is stale: run `make bench`"


def test_summary_states_each_target():
    text = bench.summary(committed_report())
    report = committed_report()
    assert len(text.splitlines()) == 4 + len(report["data_preparation"]) + len(report["suites"]) + \
        ("full_estimate" in report) + len(bench.smoke.summary_lines(report))
