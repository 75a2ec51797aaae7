"""The Makefile is the user interface: every target is listed by `make help` and expands to the right command."""
import re
import subprocess

import pytest

from ch6 import paths

MAKEFILE = (paths.REPO / "Makefile").read_text(encoding="utf-8")
TARGETS = re.findall(r"^([a-z][a-z-]*):.*?## ", MAKEFILE, flags=re.M)


def dry_run(*args) -> str:
    """The commands ``make -n`` would run (nothing is executed)."""
    proc = subprocess.run(["make", "-n", "-C", str(paths.REPO), *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_help_lists_every_documented_target():
    listed = re.findall(r"^  make (\S+)", subprocess.run(["make", "-s", "-C", str(paths.REPO), "help"],
                                                         capture_output=True, text=True).stdout, flags=re.M)
    assert listed == TARGETS and len(TARGETS) >= 15
    phony = set(re.search(r"^\.PHONY: (.*)$", MAKEFILE, flags=re.M).group(1).split())
    assert set(TARGETS) <= phony


@pytest.mark.parametrize("args, expected", [
    (["notebooks", "NB=6-3-5", "PROFILE=ci"], r"-m ch6\.runner --profile ci --jobs 2 --nb 6-3-5"),
    (["notebooks", "DATA=sample-full", "PROFILE=full"], r"-m ch6\.runner --profile full .*--data sample-full"),
    (["sample", "SEED=7"], r"-m ch6\.data\.sample --size small --seed 7"),
    (["sample", "SIZE=full"], r"-m ch6\.data\.sample --size full"),
    (["lessons", "SEEDS=1 2"], r"-m ch6\.runner\.lessons --seeds 1 2 --jobs 2"),
    (["test-notebooks", "NB=6-1-1"], r"-m ch6\.runner --profile ci --prepare-only --out build/ci-6-1-1 --nb 6-1-1"),
    (["results"], r"-m ch6\.results --readme README\.md"),
    (["html"], r"-m ch6\.site\.build --out build/site"),
    (["bench"], r"-m ch6\.bench --jobs 2 --readme README\.md"),
    (["student"], r"-m ch6\.grader\.student"),
    (["grade", "SUBMISSIONS=subs", "JOBS=3"], r"-m ch6\.grader subs --out build/grades --jobs 3"),
])
def test_target_expands_to_its_command(args, expected):
    assert re.search(expected, dry_run(*args)), f"make -n {' '.join(args)} does not run {expected}"


def test_grade_without_submissions_says_how_to_call_it():
    proc = subprocess.run(["make", "-s", "-C", str(paths.REPO), "grade", "SUBMISSIONS="], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode != 0 and "usage: make grade SUBMISSIONS=" in proc.stdout + proc.stderr
