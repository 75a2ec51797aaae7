"""The built site in a real browser (headless Debian Chromium): links, images, Chinese text, screenshots."""
from pathlib import Path

import nbformat
import pytest

from ch6 import paths
from ch6.site import browser as browser_check
from ch6.site import build as site

pytestmark = pytest.mark.skipif(bool(browser_check.missing()), reason=browser_check.missing() or "ok")


def figures(notebook: Path) -> int:
    nb = nbformat.read(str(notebook), as_version=4)
    return sum(1 for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {}))


def test_every_page_opens_cleanly_at_desktop_and_phone_width(tmp_path):
    out = tmp_path / "site"
    site.build(out)
    expected = {f"{nb.stem}.html": figures(nb) for nb in paths.NOTEBOOKS.glob("*.ipynb")}
    visits = browser_check.check(out, paths.BUILD / "site-screenshots")
    assert len(visits) == (len(expected) + 1) * len(browser_check.SIZES)
    assert [(v["url"], v["size"], v["problems"]) for v in visits if v["problems"]] == []
    for visit in visits:
        page = visit["url"].rsplit("/", 1)[-1]
        assert visit["cjk"] > 50, f"{page}: little or no Chinese text"
        assert visit["figures"] == expected.get(page, 0), f"{page}: figures shown vs stored"
        for shot in visit["screenshots"]:
            assert Path(shot).stat().st_size > 10_000, shot
