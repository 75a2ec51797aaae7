"""Open every page of the built site in headless Chromium: links, images, Chinese text, screenshots."""
import argparse
import contextlib
import functools
import http.server
import json
import shutil
import sys
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from .. import paths

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--lang=zh-TW"]
#: name -> (width, height, device pixel ratio, mobile emulation: honours the viewport meta)
SIZES = {"desktop": (1280, 800, 1, False), "phone": (390, 844, 2, True)}

TYPESET_JS = """
const done = arguments[arguments.length - 1];
if (!window.MathJax || !MathJax.Hub) { done(false); } else { MathJax.Hub.Queue(() => done(true)); }
"""
FACTS_JS = """
const cjk = (document.body.innerText.match(/[\\u4e00-\\u9fff]/g) || []).length;
const imgs = [...document.images];
const refs = [...document.querySelectorAll('a[href], img[src], link[href], script[src], iframe[src], source[src]')]
  .map(e => ({tag: e.tagName.toLowerCase(), url: e.href || e.src, raw: e.getAttribute('href') || e.getAttribute('src')}));
const failed = performance.getEntriesByType('resource')
  .filter(r => r.responseStatus >= 400 || !r.name.startsWith(location.origin)).map(r => r.name);
return {title: document.title, cjk: cjk, images: imgs.length,
        broken_images: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 80)),
        figures: document.querySelectorAll('.jp-RenderedImage img').length,
        math: document.querySelectorAll('.MathJax, .MathJax_Display, .MathJax_CHTML').length,
        math_errors: document.querySelectorAll('.MathJax_Error, merror, .mjx-merror').length,
        refs: refs, failed_resources: failed,
        page_width: document.documentElement.scrollWidth, viewport_width: window.innerWidth};
"""


def missing() -> str:
    """Why the browser check cannot run here ('' when Chromium, ChromeDriver and Selenium are installed)."""
    for tool, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not Path(tool).exists():
            return f"{tool} not found: apt-get install {package}"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed: pip install -r requirements.txt"
    return ""


@contextlib.contextmanager
def serve(folder: Path):
    """Serve ``folder`` on 127.0.0.1 (a free port) in a thread; yield the base URL."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            if not isinstance(sys.exc_info()[1], ConnectionError):  # the browser dropped a connection: fine
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def chromium():
    """Headless Debian Chromium through Debian's ChromeDriver, with a fresh throw-away profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="ch6-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@functools.lru_cache(maxsize=None)
def http_status(url: str) -> int:
    """The HTTP status of a local URL (fragment dropped)."""
    try:
        with urllib.request.urlopen(urllib.parse.urldefrag(url)[0], timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def resize(driver, size: str) -> None:
    """Emulate a viewport of the named size (phone: mobile emulation, so the viewport meta applies)."""
    width, height, ratio, mobile = SIZES[size]
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": ratio, "mobile": mobile})


def fragment_exists(driver, fragment: str) -> bool:
    """Whether the open page has an element the fragment points at (raw or percent-decoded id)."""
    return driver.execute_script(
        "const f = arguments[0]; return !!(document.getElementById(f) || document.getElementById(decodeURIComponent(f)) "
        "|| document.getElementsByName(f).length);", fragment)


def problems(driver, url: str, base: str, facts: dict) -> list:
    """Broken local links and images, external assets, failed requests, missing Chinese text."""
    found = [f"image not loaded: {src}" for src in facts["broken_images"]]
    found += [f"request failed or left 127.0.0.1: {name}" for name in facts["failed_resources"]]
    for ref in facts["refs"]:
        target = ref["url"]
        if target.startswith("data:"):
            continue
        if not target.startswith(base):
            if ref["tag"] != "a":
                found.append(f"external asset <{ref['tag']}> {target}")
            continue
        if http_status(target) != 200:
            found.append(f"broken link <{ref['tag']}> {ref['raw']} (HTTP {http_status(target)})")
        page, fragment = urllib.parse.urldefrag(target)
        if fragment and page == urllib.parse.urldefrag(url)[0] and not fragment_exists(driver, fragment):
            found.append(f"anchor not found: #{fragment}")
    if facts["cjk"] == 0:
        found.append("no Chinese text in the page")
    return found


def visit(driver, url: str, base: str, size: str, shots: Path) -> dict:
    """Load ``url`` at ``size``, collect facts and problems, save screenshots (top, and first figure)."""
    resize(driver, size)
    driver.get(url)
    driver.execute_async_script(TYPESET_JS)
    facts = driver.execute_script(FACTS_JS)
    facts["problems"] = problems(driver, url, base, facts)
    if facts["math_errors"]:
        facts["problems"].append(f"{facts['math_errors']} formulas failed to typeset")
    if facts["page_width"] > facts["viewport_width"] + 1:
        facts["problems"].append(f"page scrolls sideways at {size} width ({facts['page_width']} px)")
    stem = Path(urllib.parse.urlparse(url).path).stem or "index"
    facts["screenshots"] = [str(shots / f"{stem}-{size}.png")]
    driver.save_screenshot(facts["screenshots"][0])
    if facts["figures"]:
        driver.execute_script("document.querySelector('.jp-RenderedImage img').scrollIntoView({block: 'center'});")
        facts["screenshots"].append(str(shots / f"{stem}-{size}-figure.png"))
        driver.save_screenshot(facts["screenshots"][1])
    del facts["refs"]
    return {"url": url, "size": size, **facts}


def pages(site: Path) -> list:
    """The pages to open: the index first, then every other page of the site."""
    return ["index.html"] + sorted(p.name for p in site.glob("*.html") if p.name != "index.html")


def check(site: Path, shots: Path) -> list:
    """Open every page at every size; return one record per visit."""
    shots.mkdir(parents=True, exist_ok=True)
    records = []
    with serve(site) as base, chromium() as driver:
        for name in pages(site):
            for size in SIZES:
                records.append(visit(driver, base + urllib.parse.quote(name), base, size, shots))
    return records


def main(argv=None) -> int:
    """Command line: ``python -m ch6.site.browser [--site build/site] [--shots build/site-screenshots]``."""
    parser = argparse.ArgumentParser(prog="python -m ch6.site.browser", description=__doc__)
    parser.add_argument("--site", default=str(paths.BUILD / "site"))
    parser.add_argument("--shots", default=str(paths.BUILD / "site-screenshots"))
    args = parser.parse_args(argv)
    reason = missing()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    records = check(Path(args.site), Path(args.shots))
    (Path(args.shots) / "report.json").write_text(json.dumps(records, indent=1, ensure_ascii=False), "utf-8")
    bad = [(r["url"], r["size"], p) for r in records for p in r["problems"]]
    for url, size, problem in bad:
        print(f"FAIL {url} [{size}]: {problem}")
    print(f"{len(records)} page views ({len(records) // len(SIZES)} pages x {len(SIZES)} sizes), "
          f"{len(bad)} problems; screenshots in {args.shots}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
