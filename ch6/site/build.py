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
TEMPLATES = Path(__file__).parent / "templates"      # page and index templates, stylesheet, icon
MATHJAX = "assets/mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"  # local copy (jupyter-server-mathjax)
MATH = re.compile(r"\$|\\\(|\\\[|\\begin\{")
CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
CJK_BREAK = re.compile(f"(?<=[{CJK}])\n(?=[{CJK}])")
TOKEN = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|.", flags=re.S)
CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-ln-z]|\x1b\][^\x07]*\x07|[\x00-\x07\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]")


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
    loader = jinja2.FileSystemLoader(TEMPLATES)
    config = Config({"CoalesceStreamsPreprocessor": {"enabled": True}})  # merge chunks so \r and \b replay
    exp = HTMLExporter(config=config, template_name="lab", extra_loaders=[loader], embed_images=True,
                       language_code="zh-Hant")
    exp.template_file = "notebook_page.html.j2"
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
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    lessons = results.lessons_line(records) if results.all_lessons(records) else ""
    return env.get_template("site_index.html.j2").render(
        css=CSS_NAME, icon=ICON_NAME, pages=pages, sections=list(sections.items()), header=results.HEADER,
        rows=rows, lessons=lessons, built=time.strftime("%Y-%m-%d %H:%M"))


def write_assets(out: Path) -> list:
    """The stylesheet, the icon and MathJax, under ``out/assets``."""
    (out / CSS_NAME).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(TEMPLATES / "ch6.css", out / CSS_NAME)
    shutil.copyfile(TEMPLATES / "icon.svg", out / ICON_NAME)
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
