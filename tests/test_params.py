"""The parameter check: profiles match the notebooks, bad values give one clear line."""
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from ch6 import params, paths
from ch6.runner import execute as run

NOTEBOOKS = run.notebooks()
SPECS = {params.notebook_key(nb): run.spec(nb) for nb in NOTEBOOKS}


@pytest.mark.parametrize("profile", ["ci", "sample", "full"])
def test_profiles_only_use_known_parameters(profile):
    params.check_profile(profile, SPECS)


def test_every_notebook_has_a_tagged_parameters_cell_with_data():
    for nb in NOTEBOOKS:
        cells = [c for c in nbformat.read(nb, 4).cells if "parameters" in c.metadata.get("tags", [])]
        assert len(cells) == 1, nb.name
        assert "data" in SPECS[params.notebook_key(nb)], nb.name


def test_sample_profile_equals_the_notebook_defaults():
    import papermill

    for nb in NOTEBOOKS:
        defaults = {k: v["default"] for k, v in papermill.inspect_notebook(str(nb)).items()}
        for name, value in params.profile_parameters("sample", nb, SPECS[params.notebook_key(nb)]).items():
            assert defaults[name] == repr(value).replace("'", '"'), (nb.name, name)


SPEC = {"data": "str", "epochs": "int", "rate": "float", "flag": "bool", "out_dir": "str"}


@pytest.mark.parametrize("values, message", [
    ({"epoch": 3}, "unknown parameter 'epoch'"),
    ({"epochs": "3"}, "epochs must be int, got str '3'"),
    ({"epochs": 2.5}, "epochs must be int"),
    ({"epochs": True}, "epochs must be int"),
    ({"epochs": -1}, "epochs must be a non-negative number, got -1"),
    ({"rate": float("nan")}, "rate must be a non-negative number"),
    ({"flag": 1}, "flag must be bool"),
    ({"out_dir": "/no/such/folder"}, "out_dir: path '/no/such/folder' does not exist"),
    ({"data": "/no/such/data"}, "data folder /no/such/data does not exist"),
])
def test_bad_values_raise_one_line(values, message):
    with pytest.raises(params.ParameterError) as err:
        params.validate(values, SPEC, "nb")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_good_values_pass():
    params.validate({"epochs": 0, "rate": 1, "flag": False, "data": "sample", "out_dir": ""}, SPEC)


def _namespace(source):
    """Run a parameters cell the way IPython does (module-level code with annotations)."""
    namespace = {"In": [], "Out": {}, "get_ipython": None}
    exec(compile(source, "<cell>", "exec"), namespace)
    namespace.pop("__builtins__")
    return namespace


def test_check_reads_annotated_parameters_and_finds_unknown_injected_names():
    ns = _namespace('data: str = "sample"\nepochs: int = 3\n')
    ns.update({"np": __import__("numpy"), "params": params, "helper": len})  # the setup cell's imports are no parameters
    assert params.check(ns, "nb") is None                  # valid: nothing to say
    ns["epoch"] = 1  # a misspelled name injected by papermill
    with pytest.raises(params.ParameterError, match="nb: unknown parameter 'epoch'"):
        params.check(ns, "nb")
    ns = _namespace('data: str = "nowhere"\n')
    with pytest.raises(params.ParameterError, match="make sample"):
        params.check(ns, "nb")


def test_runner_rejects_a_bad_profile_with_one_line(tmp_path):
    bad = paths.PARAMS / "zz-test-bad.yaml"
    bad.write_text("notebooks:\n  6-1-1:\n    no_such_parameter: 1\n", encoding="utf-8")
    try:
        proc = subprocess.run([sys.executable, "-m", "ch6.runner", "--profile", "zz-test-bad", "--nb", "6-1-1",
                               "--out", str(tmp_path)], capture_output=True, text=True)
    finally:
        bad.unlink()
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "unknown parameter 'no_such_parameter'" in proc.stderr


def test_data_override_replaces_the_profiles_data_before_it_is_checked(tmp_path):
    # the full profile names data/real, which a clone without `make data` lacks; --data replaces it first
    values = params.profile_parameters("full", NOTEBOOKS[0], SPECS[params.notebook_key(NOTEBOOKS[0])],
                                       {"data": str(tmp_path)})
    assert values["data"] == str(tmp_path) and values["n_reviews"] == 25000
    with pytest.raises(params.ParameterError, match="with data='/no/such/folder'"):
        params.profile_parameters("full", NOTEBOOKS[0], SPECS[params.notebook_key(NOTEBOOKS[0])],
                                  {"data": "/no/such/folder"})


def test_failed_execution_leaves_the_committed_copy_untouched(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("data: str = 'sample'", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("raise RuntimeError('boom')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    src = tmp_path / "9-9_broken.ipynb"
    nbformat.write(nb, src)
    before = src.read_bytes()
    result = run.execute(src, {"data": "sample"}, tmp_path / "out", write_back=True, timeout=60)
    assert not result["ok"] and "boom" in result["error"]
    assert src.read_bytes() == before


def test_runner_starts_the_longest_notebooks_first(tmp_path):
    chosen = [Path(f"notebooks/{name}.ipynb") for name in ("a", "b", "c", "new")]
    assert run.longest_first(chosen, tmp_path) == chosen                      # no earlier run: keep the order
    (tmp_path / "timings.json").write_text(json.dumps({"notebooks": [
        {"notebook": "a", "seconds": 10.0}, {"notebook": "b", "seconds": 99.0}, {"notebook": "c", "seconds": 50.0}]}))
    assert [nb.stem for nb in run.longest_first(chosen, tmp_path)] == ["new", "b", "c", "a"]
    (tmp_path / "timings.json").write_text("{not json")
    assert run.longest_first(chosen, tmp_path) == chosen
