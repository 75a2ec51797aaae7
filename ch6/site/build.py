"""Render the executed notebooks into a static course site that works offline (nbconvert, no execution)."""
import argparse
import ast
import html
import re
import shutil
import sys
import time
from pathlib import Path

import jinja2
import nbformat
from bs4 import BeautifulSoup
from markupsafe import Markup
from nbconvert import HTMLExporter
from nbconvert.filters import markdown2html_mistune
from nbconvert.preprocessors import Preprocessor
from traitlets.config import Config

from .. import params, paths, results

#: Lecture sections (the outline of the chapter) that group the notebooks on the index page.
SECTIONS = {
    "6-1": "6-1 文件資料處理 (Working with text data)",
    "6-2": "6-2 循環神經網路 RNN (Understanding recurrent neural networks)",
    "6-3": "6-3 循環神經網路的進階使用方法 (Advanced use of recurrent neural networks)",
    "6-4": "6-4 使用卷積神經網路進行序列資料處理 (Sequence processing with convnets)",
}
CSS_NAME, ICON_NAME = "assets/ch6.css", "assets/icon.svg"
ICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1565c0"/>'
        '<text x="16" y="23" font-size="20" text-anchor="middle" fill="#fff" font-family="sans-serif">6</text></svg>')
MATHJAX = "assets/mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"  # local copy (jupyter-server-mathjax)
MATH = re.compile(r"\$|\\\(|\\\[|\\begin\{")
CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
CJK_BREAK = re.compile(f"(?<=[{CJK}])\n(?=[{CJK}])")
TOKEN = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|.", flags=re.S)
CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-ln-z]|\x1b\][^\x07]*\x07|[\x00-\x07\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]")

PAGE_TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{% if resources.ch6.math %}
<script type="text/x-mathjax-config">
MathJax.Hub.Config({
  tex2jax: {inlineMath: [["$", "$"], ["\\(", "\\)"]], displayMath: [["$$", "$$"], ["\\[", "\\]"]],
            processEscapes: true, processEnvironments: true},
  TeX: {equationNumbers: {autoNumber: "AMS", useLabelIds: true}},
  "HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null,
               linebreaks: {automatic: true}},
  displayAlign: "center", messageStyle: "none"
});
</script>
<script src="{{ resources.ch6.math }}"></script>
{% endif %}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}
<link rel="stylesheet" href="{{ resources.ch6.css }}">
<link rel="icon" href="{{ resources.ch6.icon }}" type="image/svg+xml">
{%- endblock html_head_css -%}
{%- block body_header -%}
<body class="jp-Notebook ch6-page" data-jp-theme-light="true" data-jp-theme-name="JupyterLab Light">
<header class="ch6-bar">
  <a href="index.html">← 目錄 (Contents)</a>
  <span class="ch6-bar-title">{{ resources.ch6.title }}</span>
</header>
<div class="ch6-layout">
<nav class="ch6-toc" aria-label="本頁目錄 (On this page)"><details open><summary>本頁目錄 (On this page)</summary>
<ol id="ch6-toc-list"></ol></details></nav>
<main>
{%- endblock body_header -%}
{%- block body_footer -%}
</main>
</div>
<footer class="ch6-bar ch6-pager">
  {%- if resources.ch6.prev %}<a rel="prev" href="{{ resources.ch6.prev.href }}">← {{ resources.ch6.prev.key }}</a>{% endif %}
  <a href="index.html">目錄 (Contents)</a>
  {%- if resources.ch6.next %}<a rel="next" href="{{ resources.ch6.next.href }}">{{ resources.ch6.next.key }} →</a>{% endif %}
</footer>
<script>if (matchMedia("(max-width: 800px)").matches) document.querySelector(".ch6-toc details").open = false;</script>
</body>
{%- endblock body_footer -%}
"""

INDEX_TEMPLATE = """<!DOCTYPE html>
<html lang="zh-Hant">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>第 6 章 文字與序列的深度學習 (Deep learning for text and sequences)</title>
<link rel="stylesheet" href="{{ css }}">
<link rel="icon" href="{{ icon }}" type="image/svg+xml">
</head>
<body class="ch6-index">
<header class="ch6-hero">
  <h1>第 6 章 應用於文字資料與序列資料的深度學習</h1>
  <p class="ch6-en">Chapter 6: deep learning for text and sequences (Keras 3)</p>
  <p>{{ pages|length }} 本已執行的筆記本 (executed notebooks)，依講義章節排列，每頁都保留程式、輸出與圖表。\
頁面最後的表格把講義的數字與這次執行的結果並列 (lecture vs this run)。</p>
</header>
<main>
{% for section, members in sections %}
<section>
<h2>{{ section }}</h2>
<ul class="ch6-cards">
{% for page in members %}
<li class="ch6-card">
  <h3><a href="{{ page.href }}">{{ page.title }}</a></h3>
  <p class="ch6-goal">{{ page.goal_html }}</p>
  {% if page.goals %}<details><summary>學習目標 (Learning goals)</summary>
  <ul>{% for goal in page.goals %}<li>{{ goal }}</li>{% endfor %}</ul></details>{% endif %}
  <p class="ch6-meta">{{ page.meta }}</p>
</li>
{% endfor %}
</ul>
</section>
{% endfor %}
<section id="results">
<h2>講義 vs 本次執行 (Lecture vs this run)</h2>
<p>由已提交的筆記本產生 (generated from the committed notebooks by <code>make results</code>)；
sample 設定檔用的是合成資料，數字不是講義的結果 (sample-profile figures come from synthetic data).</p>
<div class="ch6-scroll"><table class="ch6-results">
<thead><tr>{% for h in header %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in rows %}<tr{% if row.notebook %} class="ch6-group"{% endif %}>
  <td>{% if row.file %}<a href="{{ row.href }}">{{ row.notebook }}</a>{% endif %}</td>
  <td>{{ row.experiment }}</td><td>{{ row.lecture }}</td><td>{{ row['this run'] }}</td>
  <td>{{ row.data }}</td><td>{{ row.profile }}</td></tr>
{% endfor %}
</tbody></table></div>
</section>
</main>
<footer class="ch6-bar"><span>建置時間 (built) {{ built }}</span></footer>
</body>
</html>
"""

CSS = """/* Course site styles: local fonts only (CJK-capable stacks), readable on projector, laptop and phone. */
:root {
  --ch6-sans: system-ui, -apple-system, "Segoe UI", "Noto Sans TC", "Noto Sans CJK TC", "Source Han Sans TC",
    "PingFang TC", "Microsoft JhengHei", "Heiti TC", sans-serif;
  --ch6-mono: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", "Noto Sans Mono CJK TC",
    "Noto Sans CJK TC", "PingFang TC", "Microsoft JhengHei", monospace;
  --jp-ui-font-family: var(--ch6-sans);
  --jp-content-font-family: var(--ch6-sans);
  --jp-code-font-family: var(--ch6-mono);
  --jp-code-font-family-default: var(--ch6-mono);
  --jp-content-font-size1: 16px;
  --jp-code-font-size: 14px;
  --jp-content-line-height: 1.7;
  --ch6-accent: #1565c0;
}
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; font-family: var(--ch6-sans); line-height: 1.7; color: #1f2328; background: #fff; }
a { color: var(--ch6-accent); }
img, svg, video { max-width: 100%; height: auto; }
pre, code, kbd { font-family: var(--ch6-mono); }
pre { overflow-x: auto; }
.ch6-bar { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; padding: .6rem 1rem;
  background: #f6f8fa; border-bottom: 1px solid #d0d7de; font-size: 15px; }
.ch6-bar-title { font-weight: 600; }
.ch6-pager { border-top: 1px solid #d0d7de; border-bottom: 0; justify-content: space-between; margin-top: 2rem; }
.ch6-layout { display: grid; grid-template-columns: 16rem minmax(0, 1fr); gap: 1.5rem; max-width: 84rem;
  margin: 0 auto; padding: 0 1rem; }
.ch6-toc { position: sticky; top: 0; align-self: start; max-height: 100vh; overflow-y: auto; font-size: 14px;
  padding-top: 1rem; }
.ch6-toc summary { font-weight: 600; cursor: pointer; }
.ch6-toc ol { list-style: none; padding-left: 0; margin: .5rem 0; }
.ch6-toc li { margin: .25rem 0; }
.ch6-toc li.ch6-toc-h3 { padding-left: 1rem; }
.ch6-toc a { text-decoration: none; }
.ch6-page main { min-width: 0; padding: 1rem 0; }
.jp-Notebook.ch6-page { padding: 0; overflow: visible; --jp-cell-prompt-width: 76px; }
.jp-InputArea-editor, .jp-InputArea { overflow: visible; }
.jp-InputArea-editor .highlight pre, .jp-OutputArea-output pre { overflow-x: auto; white-space: pre;
  word-break: normal; overflow-wrap: normal; }
.jp-InputArea-editor, .jp-OutputArea-child, .jp-OutputArea-output, .jp-Cell-inputWrapper,
.jp-Cell-outputWrapper, .jp-InputArea, .jp-OutputArea { min-width: 0; max-width: 100%; }
.jp-OutputArea-output { overflow-x: auto; }
.jp-RenderedImage img { max-width: 100%; height: auto; }
.jp-RenderedMarkdown table, .jp-RenderedHTMLCommon table { display: block; overflow-x: auto; max-width: 100%; }
.jp-RenderedHTMLCommon { font-size: var(--jp-content-font-size1); line-height: 1.7; }
.jp-RenderedHTMLCommon code { font-size: 0.9em; }
.ch6-runwith { border: 1px solid #9ec5fe; background: #eef5ff; border-radius: 6px; padding: .5rem .8rem;
  margin: .5rem 0; font-size: 14px; }
.jp-RenderedHTMLCommon .ch6-runwith p { margin: 0 0 .3rem 0; }
.jp-RenderedHTMLCommon .ch6-runwith ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap;
  gap: .3rem .6rem; }
.ch6-runwith code { background: #fff; border: 1px solid #cfe2ff; border-radius: 4px; padding: 0 .3rem; }
.ch6-index main, .ch6-hero { max-width: 64rem; margin: 0 auto; padding: 0 1rem; }
.ch6-hero h1 { margin-bottom: .2rem; font-size: clamp(1.5rem, 5vw, 2.2rem); line-height: 1.3; }
.ch6-en { color: #57606a; margin-top: 0; }
.ch6-cards { list-style: none; padding: 0; display: grid; gap: 1rem;
  grid-template-columns: repeat(auto-fill, minmax(18rem, 1fr)); }
.ch6-card { border: 1px solid #d0d7de; border-radius: 8px; padding: .2rem 1rem .8rem; }
.ch6-card h3 { font-size: 1.05rem; }
.ch6-goal { margin: .3rem 0; }
.ch6-meta { color: #57606a; font-size: 13px; margin: .4rem 0 0; }
.ch6-scroll { overflow-x: auto; }
.ch6-results { border-collapse: collapse; font-size: 14px; min-width: 40rem; }
.ch6-results th, .ch6-results td { border: 1px solid #d0d7de; padding: .3rem .5rem; text-align: left;
  vertical-align: top; }
.ch6-results tr.ch6-group td { border-top: 2px solid #8c959f; }
@media (max-width: 800px) {
  .ch6-layout { display: block; padding: 0 .5rem; }
  .ch6-toc { position: static; max-height: none; }
  .ch6-toc details:not([open]) ol { display: none; }
  .jp-InputPrompt, .jp-OutputPrompt, .ch6-bar-title { display: none; }
  .jp-RenderedHTMLCommon h1 { font-size: 1.6rem; }
  .jp-RenderedHTMLCommon h2 { font-size: 1.3rem; }
  .jp-Cell { padding: 4px 0; }
  .jp-RenderedHTMLCommon { padding-right: 0; }
  :root { --jp-code-font-size: 13px; }
}
"""


class RunWithBox(Preprocessor):
    """Turn papermill's ``injected-parameters`` cell into a small "run with" box listing the values."""

    enabled = True

    def preprocess_cell(self, cell, resources, index):
        """Replace the injected cell by a Markdown cell holding the box (other cells pass through)."""
        if "injected-parameters" not in cell.metadata.get("tags", []):
            return cell, resources
        values = assignments(cell.source)
        items = "".join(f"<li><code>{html.escape(name)} = {html.escape(v)}</code></li>" for name, v in values)
        box = (f'<div class="ch6-runwith"><p><strong>本次執行的參數 (run with)</strong>：'
               f'由 papermill 注入，覆蓋上一格的預設值 (injected by papermill; they override the defaults above)</p>'
               f'<ul>{items}</ul></div>')
        return nbformat.v4.new_markdown_cell(box, metadata={"tags": ["injected-parameters"]}), resources


class CleanText(Preprocessor):
    """Make stored text read as the terminal showed it: apply \\r and \\b, drop non-colour control codes."""

    enabled = True

    def preprocess_cell(self, cell, resources, index):
        """Clean stream outputs and tracebacks; join Chinese lines broken inside a Markdown paragraph."""
        if cell.cell_type == "markdown":
            cell.source = join_cjk_lines(cell.source)
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                output.text = clean(output.text)
            elif output.output_type == "error":
                output.traceback = [clean(line) for line in output.traceback]
        return cell, resources


def assignments(source: str) -> list:
    """(name, value source) for each top-level assignment in a parameters cell."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [("(unparsed)", source.strip())]
    found = []
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            found.append((ast.unparse(target), ast.get_source_segment(source, node.value)))
    return found


def clean(text: str) -> str:
    """Replay carriage returns and backspaces line by line (colour codes are zero-width), drop other control codes."""
    lines = []
    for line in text.split("\n"):
        kept = []
        for token in TOKEN.findall(line.rstrip("\r").rsplit("\r", 1)[-1]):
            if token != "\b":
                kept.append(token)
                continue
            visible = next((i for i in range(len(kept) - 1, -1, -1) if not kept[i].startswith("\x1b")), None)
            if visible is not None:
                del kept[visible]
        lines.append(CONTROL.sub("", "".join(kept)))
    return "\n".join(lines)


def join_cjk_lines(markdown: str) -> str:
    """Remove line breaks between two Chinese characters (a browser shows them as spaces), outside code fences."""
    parts = re.split(r"(^```.*?^```)", markdown, flags=re.M | re.S)
    return "".join(p if p.startswith("```") else CJK_BREAK.sub("", p) for p in parts)


def page_info(notebook: Path) -> dict:
    """Key, title, one-paragraph goal and learning goals, read from the notebook's first Markdown cell."""
    nb = nbformat.read(str(notebook), as_version=4)
    first = next((c.source for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("# ")), "")
    title = re.search(r"^#\s+(.+)$", first, flags=re.M)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", first) if p.strip() and not p.lstrip().startswith("#")]
    goals_part = first.split("學習目標", 1)[1] if "學習目標" in first else ""
    goals = re.findall(r"^\s*[-*]\s+(.+)$", goals_part, flags=re.M)
    goal = join_cjk_lines(paragraphs[0]).replace("\n", " ") if paragraphs else ""
    key = params.notebook_key(notebook)
    return {"key": key, "stem": notebook.stem, "href": f"{notebook.stem}.html", "path": notebook,
            "title": title.group(1).strip() if title else notebook.stem, "goal": goal,
            "goal_html": inline_markdown(goal), "goals": [inline_markdown(g) for g in goals]}


def inline_markdown(text: str):
    """Markdown for one line, as HTML without the surrounding paragraph."""
    rendered = markdown2html_mistune(text).strip()
    return Markup(re.sub(r"^<p>(.*)</p>$", r"\1", rendered, flags=re.S))


def exporter() -> HTMLExporter:
    """nbconvert's lab HTML exporter with the page template, images embedded and no CDN scripts."""
    loader = jinja2.DictLoader({"ch6_page.html.j2": PAGE_TEMPLATE})
    config = Config({"CoalesceStreamsPreprocessor": {"enabled": True}})  # merge chunks so \r and \b replay
    exp = HTMLExporter(config=config, template_name="lab", extra_loaders=[loader], embed_images=True,
                       language_code="zh-Hant")
    exp.template_file = "ch6_page.html.j2"
    exp.register_preprocessor(RunWithBox(), enabled=True)
    exp.register_preprocessor(CleanText(), enabled=True)
    return exp


def has_math(nb) -> bool:
    """Whether any Markdown cell holds TeX (the page then loads the local MathJax)."""
    return any(c.cell_type == "markdown" and MATH.search(c.source) for c in nb.cells)


def copy_mathjax(out: Path) -> Path:
    """Copy MathJax 2 (shipped by the jupyter-server-mathjax package) into the site's assets."""
    import jupyter_server_mathjax

    target = out / Path(MATHJAX).parent
    shutil.copytree(Path(jupyter_server_mathjax.__file__).parent / "static", target, dirs_exist_ok=True)
    return target


def add_toc(page: str) -> str:
    """Fill the page's table of contents with links to its h2/h3 headings."""
    soup = BeautifulSoup(page, "html.parser")
    toc = soup.find(id="ch6-toc-list")
    for heading in soup.select("main h2[id], main h3[id]"):
        for anchor in heading.select("a.anchor-link"):
            anchor.extract()
        item = soup.new_tag("li", attrs={"class": f"ch6-toc-{heading.name}"})
        link = soup.new_tag("a", href=f"#{heading['id']}")
        link.string = heading.get_text(" ", strip=True)
        item.append(link)
        toc.append(item)
    return str(soup)


def render_page(info: dict, prev: dict, nxt: dict, exp: HTMLExporter) -> str:
    """One notebook as an HTML page (outputs as stored; nothing is executed)."""
    nb = nbformat.read(str(info["path"]), as_version=4)
    nb.metadata["title"] = info["title"]
    math = MATHJAX if has_math(nb) else ""
    resources = {"metadata": {"name": info["stem"], "path": str(info["path"].parent)},
                 "ch6": {"css": CSS_NAME, "icon": ICON_NAME, "title": info["title"], "prev": prev, "next": nxt,
                         "math": math}}
    body, _ = exp.from_notebook_node(nb, resources=resources)
    return add_toc(body)


def card_meta(record: dict, seconds) -> str:
    """One line under a notebook's card: profile, backend, data and wall time of the committed run."""
    if not record.get("profile"):
        return "尚無執行結果表 (no lecture-vs-run table yet)"
    parts = [f"設定檔 (profile) {record['profile']}", record.get("backend", ""),
             results.short_data(record.get("data"))]
    if seconds is not None:
        parts.append(f"執行時間 (wall time) {seconds:.0f} s")
    return " · ".join(p for p in parts if p)


def render_index(pages: list, records: list) -> str:
    """The index page: notebooks grouped by lecture section, then the results table."""
    by_key = {r["notebook"]: r for r in records}
    times = {}
    for profile in {r.get("profile") for r in records if r.get("profile")}:
        times.update(results.wall_times(profile))
    sections = {}
    for page in pages:
        card = {**page, "meta": card_meta(by_key.get(page["key"], {}), times.get(page["key"]))}
        prefix = "-".join(page["key"].split("-")[:2])
        sections.setdefault(SECTIONS.get(prefix, prefix), []).append(card)
    rows = [{**row, "href": f"{Path(row['file']).stem}.html"} for row in results.rows(records)]
    env = jinja2.Environment(autoescape=True)
    return env.from_string(INDEX_TEMPLATE).render(
        css=CSS_NAME, icon=ICON_NAME, pages=pages, sections=list(sections.items()), header=results.HEADER,
        rows=rows, built=time.strftime("%Y-%m-%d %H:%M"))


def write_assets(out: Path) -> list:
    """The stylesheet, the icon and MathJax, under ``out/assets``."""
    (out / CSS_NAME).parent.mkdir(parents=True, exist_ok=True)
    (out / CSS_NAME).write_text(CSS, "utf-8")
    (out / ICON_NAME).write_text(ICON, "utf-8")
    return [out / CSS_NAME, out / ICON_NAME, copy_mathjax(out)]


def build(out: Path, notebooks: Path = paths.NOTEBOOKS) -> list:
    """Write the site (index, one page per notebook, assets) into ``out``; return the paths written."""
    out = Path(out)
    written = write_assets(out)
    pages = [page_info(nb) for nb in sorted(Path(notebooks).glob("*.ipynb"))]
    exp = exporter()
    for i, page in enumerate(pages):
        prev, nxt = (pages[i - 1] if i > 0 else None), (pages[i + 1] if i + 1 < len(pages) else None)
        written.append(out / page["href"])
        written[-1].write_text(render_page(page, prev, nxt, exp), "utf-8")
    index = out / "index.html"
    index.write_text(render_index(pages, results.from_notebooks(notebooks)), "utf-8")
    return [index] + written


def student_notebooks(notebooks: Path, out: Path) -> Path:
    """The student edition of ``notebooks`` (lecture outputs, no solutions or hidden tests) written into ``out``."""
    from ..grader.student import student_edition

    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(Path(notebooks).glob("*.ipynb")):
        nbformat.write(student_edition(nbformat.read(path, as_version=4), path.name), str(out / path.name))
    return out


def main(argv=None) -> int:
    """Command line: ``python -m ch6.site.build [--out build/site] [--edition student|instructor]``."""
    parser = argparse.ArgumentParser(prog="python -m ch6.site.build", description=__doc__)
    parser.add_argument("--out", default=str(paths.BUILD / "site"), help="output folder (default build/site)")
    parser.add_argument("--notebooks", default=str(paths.NOTEBOOKS), help="folder of executed notebooks")
    parser.add_argument("--edition", choices=("student", "instructor"), default="student",
                        help="student (default): no solutions or hidden tests; instructor: the notebooks as they are")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    notebooks = Path(args.notebooks)
    if args.edition == "student":
        shutil.rmtree(paths.BUILD / "site-notebooks", ignore_errors=True)
        notebooks = student_notebooks(notebooks, paths.BUILD / "site-notebooks")
    pages = [p for p in build(Path(args.out), notebooks) if p.suffix == ".html"]
    print(f"wrote the {args.edition} edition: index + {len(pages) - 1} notebook pages to {args.out} in "
          f"{time.perf_counter() - start:.1f} s "
          f"(open {Path(args.out) / 'index.html'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
