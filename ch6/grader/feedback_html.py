"""One student's feedback as a small self-contained HTML page (readable on a phone), from the grader's results.

Every piece of text is escaped; the page has no script and loads nothing. Visible checks show what they expected
(read from the source notebook's test cells, which the student's copy shows too); hidden checks show only their
points, never their names, code or answers.
"""
import ast
import html
from pathlib import Path

STATUS = {
    "ok": "已評分 (graded)",
    "missing": "未繳交或檔名不符 (not submitted under the distributed file name)",
    "unreadable": "檔案無法讀取 (the file is not a notebook that can be run)",
    "unanswered": "尚未作答 (the solution cell still raises NotImplementedError)",
    "error": "程式錯誤 (a cell before these tests raised an error)",
    "timeout": "執行逾時 (ran over the time limit)",
    "memory": "記憶體不足 (ran out of memory)",
    "crashed": "核心中止 (the kernel died before these tests ran)",
    "not_run": "測試未執行 (the tests did not run)",
    "grader_error": "評分程式錯誤，老師會處理 (the grader failed on this copy; your instructor will look at it)",
}
STYLE = """
body{font-family:system-ui,-apple-system,"Noto Sans TC","Microsoft JhengHei",sans-serif;margin:0;padding:1rem;
line-height:1.5;color:#1b1b1b;background:#fff;max-width:46rem}
h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.15rem;margin:1.4rem 0 .3rem;border-bottom:1px solid #ccc}
h3{font-size:1rem;margin:1rem 0 .2rem}.total{font-size:1.3rem;font-weight:bold}
ul{padding-left:1.2rem;margin:.3rem 0}li{margin:.2rem 0}code,pre{font-family:ui-monospace,monospace;font-size:.9em;
background:#f3f3f3;border-radius:3px;overflow-wrap:anywhere;white-space:pre-wrap}pre{padding:.4rem;margin:.3rem 0}
.ok{color:#106b21}.bad{color:#a4161a}.muted{color:#555;font-size:.9em}
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'"


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _num(x) -> str:
    return f"{x:g}"


def expectations(source: Path) -> dict:
    """{(notebook file name, exercise): {check name: what it expects}} for the visible checks of ``source``."""
    import nbformat

    found = {}
    for path in sorted(Path(source).glob("*.ipynb")):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 - a source we cannot read just gets no expectations
            continue
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader") or {}
            if cell.cell_type == "code" and meta.get("grade") and isinstance(meta.get("grade_id"), str):
                visible = cell.source.split("### BEGIN HIDDEN TESTS")[0]
                found[(path.name, meta["grade_id"].removesuffix("-tests"))] = _visible_checks(visible)
    return found


def _visible_checks(source: str) -> dict:
    """{check name: criterion in words} for the ``check(...)`` calls of a test cell's visible part."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    found = {}
    for stmt in tree.body:
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if not (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "check" and call.args
                and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)):
            continue
        try:
            keywords = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
        except ValueError:
            continue
        found[call.args[0].value] = describe(keywords)
    return found


def describe(criterion: dict) -> str:
    """A check's criterion in words: 'equal to [2, 11]', 'within 0.001 of 0.5', 'a number in [0, 1]'."""
    def short(value):
        text = repr(value)
        return text if len(text) <= 120 else text[:117] + "..."

    if "equals" in criterion:
        return f"equal to {short(criterion['equals'])} (同型別 same type)"
    if "close" in criterion:
        return f"within {criterion.get('tol', 1e-6)} of {short(criterion['close'])}"
    if "between" in criterion:
        lo, hi = criterion["between"]
        return f"a number in [{lo}, {hi}]"
    if "isa" in criterion:
        return f"a value of type {criterion['isa']}"
    return ""


def render(title: str, results: list, notes: list = (), expected: dict | None = None) -> str:
    """The HTML page for one student: total, file notes, then per notebook and exercise what happened."""
    expected = expected or {}
    total = sum(ex["score"] for r in results for ex in r["exercises"])
    best = sum(ex["max_score"] for r in results for ex in r["exercises"])
    parts = ["<!DOCTYPE html>", '<html lang="zh-Hant"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
             f"<title>評分回饋 (Grading feedback): {_e(title)}</title><style>{STYLE}</style></head><body>",
             f"<h1>評分回饋 (Grading feedback)</h1><p>{_e(title)}</p>",
             f'<p class="total">總分 (Total): {_num(total)} / {_num(best)}</p>']
    if notes:
        parts.append("<h2>繳交的檔案 (Your files)</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
    for result in results:
        parts += _notebook(result, expected)
    parts.append('<p class="muted">隱藏測試只顯示得分，不顯示內容 (hidden tests show their points only).</p>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _notebook(result: dict, expected: dict) -> list:
    got = sum(ex["score"] for ex in result["exercises"])
    most = sum(ex["max_score"] for ex in result["exercises"])
    parts = [f"<h2>{_e(result['notebook'])}: {_num(got)} / {_num(most)}</h2>"]
    if result.get("notes"):
        parts.append("<p>執行紀錄 (what happened when your notebook ran):</p>")
        parts.append("<pre>" + "\n".join(_e(n) for n in result["notes"]) + "</pre>")
    for ex in result["exercises"]:
        parts += _exercise(ex, expected.get((result["notebook"], ex["name"]), {}), result.get("notes") or [])
    return parts


def _exercise(ex: dict, expected: dict, run_notes: list) -> list:
    good = ex["status"] == "ok"
    parts = [f"<h3>{_e(ex['name'])}: {_num(ex['score'])} / {_num(ex['max_score'])}</h3>",
             f'<p class="{"ok" if good else "bad"}">{_e(STATUS.get(ex["status"], ex["status"]))}</p>']
    if ex["status"] == "error":
        first = next((n for n in run_notes if " raised " in n), None)
        if first:
            parts.append(f"<p>你的錯誤 (your error): <code>{_e(first)}</code></p>")
    items = []
    hidden_got = hidden_max = 0
    for check in ex.get("checks", []):
        if check.get("hidden"):
            hidden_got += check["points"]
            hidden_max += check["max_points"]
            continue
        mark = '<span class="ok">✓</span>' if check["passed"] else '<span class="bad">✗</span>'
        line = f"{mark} {_e(check['name'])} ({_num(check['points'])}/{_num(check['max_points'])})"
        want = expected.get(check["name"])
        if want:
            line += f"<br><span class=\"muted\">預期 (expected): {_e(want)}</span>"
        if check.get("reason") and not check["passed"]:
            line += f"<br><code>{_e(check['reason'])}</code>"
        items.append(f"<li>{line}</li>")
    if hidden_max:
        items.append(f"<li>隱藏測試 (hidden tests): {_num(hidden_got)} / {_num(hidden_max)}</li>")
    if items:
        parts.append("<ul>" + "".join(items) + "</ul>")
    return parts
