"""The notebook that runs in the sandbox: the student's code cells, a fixed extractor of named answers, parameters.

Only the names the checks read enter the sandbox; their values come back as plain JSON lines tagged with a nonce.
"""
import ast
import inspect
import json
import secrets
import textwrap
from dataclasses import dataclass

from ..check import _kernel_side

MAX_VALUE_CHARS = 8 << 20            # one extracted value, as wire text


PREAMBLE = '''\
def __ch6_make_extract(B=dict(vars(__import__("builtins"))), out=__import__("sys").stdout, G=globals(),
                      shell=globals()["get_ipython"]()):
{kernel_side}
    plain, wire, describe, encode = _kernel_side(B)
    DICT, INT, KI = {{}}.__class__, (0).__class__, B["KeyboardInterrupt"]

    def extract(nonce, names):
        try:
            out.set_parent(shell.get_parent())      # even if the copy replaced sys.stdout
        except B["Exception"]:
            pass
        for i, key in B["enumerate"](names):
            try:
                if DICT.__contains__(G, key):
                    line = "v " + wire(encode(DICT.__getitem__(G, key)))
                else:
                    line = "e " + wire("not defined")
            except B["BaseException"] as err:
                if (0).__class__.__class__(err) is KI:
                    raise
                line = "e " + wire(describe(err))
            out.write(nonce + " " + INT.__repr__(i) + " " + line + "\\n")
        out.flush()
    return extract
__ch6_extract = __ch6_make_extract()
del __ch6_make_extract
'''.format(kernel_side=textwrap.indent(inspect.getsource(_kernel_side), "    "))


@dataclass
class Prepared:
    """The notebook that runs in the sandbox and where its parts are."""
    notebook: dict
    extract_at: list       # cell index of each exercise's extraction cell
    anchors: list          # cell index of each exercise's solution cell (None if the student deleted it)
    nonces: list
    origin: dict           # cell index -> the cell's number in the student's copy


def prepare(copy, exercise_list: list, parameters: dict) -> Prepared:
    """The student's code cells, test cells replaced by cells that extract the named answers, a preamble first."""
    import nbformat
    from papermill.parameterize import parameterize_notebook

    test_ids = {ex.grade_id for ex in exercise_list}
    cells, by_id = [], {}
    for number, cell in enumerate(copy.cells, 1):
        source, meta = cell.get("source"), cell.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        grade_id = (meta.get("nbgrader") if isinstance(meta.get("nbgrader"), dict) else {}).get("grade_id")
        tags = meta.get("tags") if isinstance(meta.get("tags"), list) else []
        if cell.get("cell_type") != "code" or type(source) is not str or "injected-parameters" in tags:
            continue                                      # a papermill run's parameters are replaced by ours
        if grade_id in test_ids or _only_checks(source):
            continue                                      # tests come from the source notebook, not the copy
        tags = ["parameters"] if "parameters" in tags else []
        new = nbformat.v4.new_code_cell(source, metadata={"ch6": {"cell": number}, "tags": tags})
        if isinstance(grade_id, str):
            by_id[grade_id] = len(cells)
        cells.append(new)
    nonces = [secrets.token_hex(16) for _ in exercise_list]
    positions, previous = [], 0
    for ex in exercise_list:
        previous = max(previous, by_id[ex.anchor] + 1 if ex.anchor in by_id else len(cells))
        positions.append(previous)
    ordered = [nbformat.v4.new_code_cell(PREAMBLE, metadata={"ch6": {"role": "preamble"}, "tags": []})]
    for index in range(len(cells) + 1):
        for k, at in enumerate(positions):
            if at == index:
                names = exercise_list[k].names                  # names only: no check text enters the sandbox
                mark = {"ch6": {"role": "extract", "exercise": k}, "tags": []}
                ordered.append(nbformat.v4.new_code_cell(f"__ch6_extract({nonces[k]!r}, {names!r})", metadata=mark))
        if index < len(cells):
            ordered.append(cells[index])
    nb = nbformat.v4.new_notebook(cells=ordered, metadata={"papermill": {}, "kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    nb = parameterize_notebook(nb, parameters, kernel_name="python3", language="python")
    return _locate(nb, exercise_list, by_id, nonces)


def _locate(nb, exercise_list: list, by_id: dict, nonces: list) -> Prepared:
    """Find the extraction, solution and student cells in the final notebook."""
    extract_at, origin = [None] * len(exercise_list), {}
    for index, cell in enumerate(nb.cells):
        mark = cell.metadata.get("ch6", {})
        if mark.get("role") == "extract":
            extract_at[mark["exercise"]] = index
        elif mark.get("cell"):
            origin[index] = mark["cell"]
    student_cells = sorted(origin)
    anchors = [student_cells[by_id[ex.anchor]] if ex.anchor in by_id else None for ex in exercise_list]
    return Prepared(nb, extract_at, anchors, nonces, origin)


def _only_checks(source: str) -> bool:
    """Is this cell made of check(...) calls only (a test cell that lost its metadata)?"""
    try:
        body = ast.parse(source).body
    except Exception:  # noqa: BLE001 - SyntaxError, RecursionError, ... on student text
        return False
    calls = [s for s in body if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call)
             and isinstance(s.value.func, ast.Name) and s.value.func.id == "check"]
    imports = [s for s in body if isinstance(s, ast.ImportFrom) and s.module == "ch6.check"]
    return bool(calls) and len(calls) + len(imports) == len(body)


def read_values(stdout: str, nonce: str, count: int) -> dict:
    """{check index: ("v", value) or ("e", error text)} from an extraction cell's stdout; other lines are ignored."""
    found = {}
    for line in stdout.splitlines():
        parts = line.split(" ", 3)
        if len(parts) != 4 or parts[0] != nonce or parts[2] not in ("v", "e") or not parts[1].isdecimal():
            continue
        index = int(parts[1]) if len(parts[1]) < 6 else count
        if index >= count or index in found:
            continue
        try:
            if len(parts[3]) > MAX_VALUE_CHARS:
                raise ValueError("too large")
            value = _unwire(json.loads(parts[3]))
        except (ValueError, RecursionError):
            found[index] = ("e", "the value is too large or could not be read")
            continue
        found[index] = (parts[2], value if parts[2] == "v" or type(value) is str else "error")
    return found


def _unwire(value):
    """Decode the hex strings of wire data (json.loads gives exact builtin types already)."""
    if type(value) is str:
        return bytes.fromhex(value).decode("utf-8", "surrogatepass")
    if type(value) is list:
        return [_unwire(v) for v in value]
    if type(value) is dict:
        return {_unwire(k): _unwire(v) for k, v in value.items()}
    return value
