"""The course site (python -m ch6.site.build) and the results dashboard (python -m ch6.results)."""
import functools
import re
import urllib.parse
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from IPython.core.formatters import DisplayFormatter

from ch6 import paths, results
from ch6.site import build as site

NOTEBOOKS = sorted(paths.NOTEBOOKS.glob("*.ipynb"))
CJK = re.compile("[\u4e00-\u9fff]")
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text("utf-8"), "html.parser")


@functools.lru_cache(maxsize=None)
def element_ids(path: Path) -> frozenset:
    return frozenset(e["id"] for e in soup(path).find_all(id=True))


def image_outputs(notebook: Path) -> int:
    nb = nbformat.read(str(notebook), as_version=4)
    return sum(1 for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {}))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    site.build(out)
    return out


def test_every_notebook_has_a_page_listed_in_the_index(built):
    index = soup(built / "index.html")
    linked = {a["href"] for a in index.select(".ch6-card h3 a")}
    assert NOTEBOOKS, "no notebooks under notebooks/"
    for nb in NOTEBOOKS:
        assert (built / f"{nb.stem}.html").exists(), nb.name
        assert f"{nb.stem}.html" in linked, f"index does not list {nb.name}"


def test_pages_have_no_ansi_or_progress_bar_debris(built):
    for page in built.glob("*.html"):
        text = page.read_text("utf-8")
        assert "\x1b[" not in text and "\b" not in text and "\r" not in text.replace("\r\n", ""), page.name


def test_pages_load_no_network_assets(built):
    for page in built.glob("*.html"):
        doc = soup(page)
        for tag, attr in (("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"), ("source", "src")):
            for element in doc.find_all(tag, attrs={attr: True}):
                assert not re.match(r"(https?:)?//", element[attr]), f"{page.name}: <{tag}> {element[attr]}"
        styles = " ".join(s.get_text() for s in doc.find_all("style"))
        assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", styles), f"{page.name}: remote CSS"


def test_local_links_and_anchors_resolve(built):
    for page in built.glob("*.html"):
        for element in soup(page).find_all(["a", "link", "img", "script"]):
            ref = element.get("href") or element.get("src")
            if not ref or re.match(r"(https?:|mailto:|data:)", ref):
                continue
            parts = urllib.parse.urlsplit(ref)
            target, fragment = parts.path, parts.fragment
            target_path = built / urllib.parse.unquote(target) if target else page
            assert target_path.exists(), f"{page.name}: broken link {ref}"
            if fragment and target_path.suffix == ".html":
                ids = element_ids(target_path)
                assert fragment in ids or urllib.parse.unquote(fragment) in ids, f"{page.name}: no anchor {ref}"


def test_figures_are_embedded_and_chinese_text_present(built):
    assert CJK.search(soup(built / "index.html").get_text())
    for nb in NOTEBOOKS:
        doc = soup(built / f"{nb.stem}.html")
        images = doc.select(".jp-RenderedImage img")
        assert len(images) == image_outputs(nb), nb.name
        assert all(img["src"].startswith("data:image/") for img in images), nb.name
        assert len(CJK.findall(doc.get_text())) > 50, f"{nb.name}: little or no Chinese text"
        assert doc.select("#ch6-toc-list li"), f"{nb.name}: empty table of contents"


def test_pages_with_formulas_load_the_local_mathjax(built):
    for nb in NOTEBOOKS:
        doc = soup(built / f"{nb.stem}.html")
        scripts = [s["src"] for s in doc.find_all("script", src=True)]
        assert scripts == ([site.MATHJAX] if site.has_math(nbformat.read(str(nb), as_version=4)) else []), nb.name
    assert (built / "assets" / "mathjax" / "MathJax.js").exists()


def test_page_shows_injected_parameters_as_a_box_and_replays_progress_bars(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 6-3-5 GRU 基準 (GRU baseline)\n\n用 GRU 預測\n溫度。\n\n## 學習目標 (Learning goals)\n- 一\n"),
        nbformat.v4.new_code_cell("epochs: int = 20  # 訓練週期", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell('# Parameters\nepochs = 1\ndata = "sample"\n',
                                  metadata={"tags": ["injected-parameters"]}),
        nbformat.v4.new_code_cell("fit()", outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="\r\x1b[1m1/8\x1b[0m loss: 0.3"),
            nbformat.v4.new_output("stream", name="stdout", text="\b" * 12 + "\r\x1b[1m8/8\x1b[0m loss: 0.2\n"),
            nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
            nbformat.v4.new_output("error", ename="ValueError", evalue="x", traceback=["\x1b[31mValueError\x1b[0m: x"]),
        ]),
    ]
    (tmp_path / "nb").mkdir()
    nbformat.write(nb, str(tmp_path / "nb" / "6-3-5_gru.ipynb"))
    site.build(tmp_path / "out", tmp_path / "nb")
    page = (tmp_path / "out" / "6-3-5_gru.html").read_text("utf-8")
    doc = BeautifulSoup(page, "html.parser")
    box = doc.select_one(".ch6-runwith")
    assert box and "epochs = 1" in box.get_text() and 'data = "sample"' in box.get_text()
    assert "# Parameters" not in doc.get_text()
    assert "8/8" in doc.get_text() and "1/8" not in doc.get_text() and "\b" not in page and "\x1b[" not in page
    assert len(doc.select(".jp-RenderedImage img[src^='data:image/png']")) == 1
    index = soup(tmp_path / "out" / "index.html")
    assert "6-3 循環神經網路的進階使用方法" in index.get_text()
    assert "用 GRU 預測溫度。" in index.select_one(".ch6-goal").get_text()


def test_closing_table_rows_travel_in_the_notebook(tmp_path, monkeypatch):
    monkeypatch.setenv("CH6_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("CH6_PROFILE", "sample")
    shown = results.lecture_vs_run("6-1-2", [("val_acc", 0.7502, 0.61234), ("shape", "(2, 3)", (2, 3))], tmp_path)
    data, metadata = DisplayFormatter().format(shown)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("t", outputs=[
        nbformat.v4.new_output("execute_result", data=data, metadata=metadata, execution_count=1)])]
    nbformat.write(nb, str(tmp_path / "6-1-2_x.ipynb"))
    record = results.from_notebook(tmp_path / "6-1-2_x.ipynb")
    assert record["profile"] == "sample" and "finished" not in record
    table = results.markdown([record])
    assert "| val_acc | 0.7502 | 0.6123 |" in table and "| shape | (2, 3) | (2, 3) |" in table
    assert (tmp_path / "results" / "6-1-2.json").exists()


def test_readme_block_and_lessons_line_from_a_known_record():
    record = {"notebook": "6-1-2", "file": "6-1-2_x.ipynb", "profile": "sample", "backend": "tensorflow",
              "data": "synthetic sample data (ch6.sample, size=small, seed=7) in data/sample-seed7; GloVe ...",
              "rows": [{"experiment": "val_acc", "lecture": 0.7502, "this_run": 0.5}],
              "lessons": [{"id": "6-1-2/embedding_learns", "claim": "c", "holds": False, "evidence": {"acc_20": 0.5}},
                          {"id": "6-4-3/conv1d_faster", "claim": "d", "holds": False,
                           "evidence": {"conv_epoch_s": 2.0, "lstm_epoch_s": 1.0, "gpu": 0}}]}
    block = results.readme_block([record])
    assert "lessons holding: 0 / 1 (not holding: 6-1-2/embedding_learns)" in block   # GPU-only one not counted
    assert ("| [6-1-2](notebooks/6-1-2_x.ipynb) | val_acc | 0.7502 | 0.5000 | sample (size=small, seed=7) | "
            "sample · tensorflow |") in block
    assert block.startswith(results.START) and block.endswith(results.END)


def test_replace_block_needs_exactly_one_marker_pair():
    text = f"intro\n{results.START}\nold\n{results.END}\noutro\n"
    assert results.replace_block(text, "NEW") == "intro\nNEW\noutro\n"
    with pytest.raises(ValueError):
        results.replace_block("no markers here", "NEW")


def test_readme_results_block_matches_the_committed_notebooks():
    readme = paths.REPO / "README.md"
    assert readme.exists(), "README.md is missing"
    text = readme.read_text("utf-8")
    if text.count(results.START) != 1 or text.count(results.END) != 1:
        pytest.fail(f"README.md needs one {results.START} ... {results.END} block (then run `make results`)")
    expected = results.readme_block(results.from_notebooks())
    assert results.replace_block(text, expected) == text, "README results table is stale: run `make results`"
