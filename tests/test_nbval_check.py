"""The notebook check really compares ``# NBVAL_CHECK_OUTPUT`` cells with the committed outputs."""
import subprocess
import sys

import nbformat
import pytest

from ch6.runner import execute as run


def checked_pure_python_cell(nb):
    """The first checked cell that needs no imports (so the test kernel starts and ends fast)."""
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("# NBVAL_CHECK_OUTPUT") and "import" not in cell.source \
                and any(o.get("output_type") == "stream" for o in cell.outputs):
            return cell
    return None


def run_nbval(path):
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                           "--nbval-current-env", str(path)], capture_output=True, text=True, cwd=path.parent)


@pytest.mark.parametrize("corrupt", [False, True])
def test_checked_output_is_compared(tmp_path, corrupt):
    source = run.notebooks("6-1-1")[0]
    nb = nbformat.read(source, 4)
    cell = checked_pure_python_cell(nb)
    assert cell is not None, "6-1-1 should have a pure-Python checked cell with stored output"
    stream = next(o for o in cell.outputs if o.get("output_type") == "stream")
    if corrupt:
        stream["text"] = stream["text"].replace("1", "7", 1) + "tampered\n"
    nb.cells = [cell]
    path = tmp_path / "checked.ipynb"
    nbformat.write(nb, path)
    proc = run_nbval(path)
    if corrupt:
        assert proc.returncode != 0, proc.stdout
        assert "tampered" in proc.stdout or "mismatch" in proc.stdout.lower()
    else:
        assert proc.returncode == 0, proc.stdout[-2000:]
