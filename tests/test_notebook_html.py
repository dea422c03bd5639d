"""The tour notebook's HTML export in headless Chromium: every tree drawing
(CHAID and CART ``_repr_html_``) has a viewBox and shows every node box whole.

An SVG of fixed width without a ``viewBox`` is shrunk by the page's CSS
(``max-width: 100%``) without its content being scaled: the boxes at the
right are cut off. The test executes the notebook afresh (the drawing of the
code under test, not the committed outputs), renders it with nbconvert's
lab template, adds a script that writes the bounding boxes of every tree SVG
and of its node boxes into the page, and reads them back from
``chromium --dump-dom``. It skips when Chromium is not installed
(Debian's ``chromium`` package; ``.ci/run`` installs it).
"""

from __future__ import annotations

import html
import importlib.util
import json
import os
import pathlib
import re
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
TOUR = ROOT / "docs" / "notebooks" / "tour.ipynb"
CHROMIUM = os.environ.get("CIBLAGE_CHROMIUM", "/usr/bin/chromium")
# A laptop's notebook: the output area is narrower than a tree of many leaves.
WINDOW = (1024, 4000)
TOLERANCE = 0.5  # pixels (sub-pixel rounding of strokes)

# Runs at `load`: for every top-level SVG in an output area that holds boxes,
# its viewBox, its box, the part of it left visible by the ancestors that
# clip (overflow hidden/clip) up to the first scroll container (overflow
# auto/scroll: what overflows it is reached by scrolling, not hidden), and
# the box of every node (<rect>).
PROBE = """
<script>
window.addEventListener("load", function () {
  function box(r) { return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; }
  var out = [];
  document.querySelectorAll(".jp-OutputArea-output svg").forEach(function (svg) {
    if (svg.parentElement.closest("svg")) { return; }
    var rects = Array.prototype.slice.call(svg.querySelectorAll("rect"));
    if (!rects.length) { return; }
    var own = box(svg.getBoundingClientRect());
    var visible = box(svg.getBoundingClientRect());
    var scrollsX = false, scrollsY = false;
    for (var el = svg.parentElement; el && el !== document.documentElement; el = el.parentElement) {
      var cs = getComputedStyle(el), r = el.getBoundingClientRect();
      if (!scrollsX && (cs.overflowX === "hidden" || cs.overflowX === "clip")) {
        visible.left = Math.max(visible.left, r.left); visible.right = Math.min(visible.right, r.right);
      }
      if (!scrollsY && (cs.overflowY === "hidden" || cs.overflowY === "clip")) {
        visible.top = Math.max(visible.top, r.top); visible.bottom = Math.min(visible.bottom, r.bottom);
      }
      // Past a scroll container, the drawing is reached by scrolling it.
      scrollsX = scrollsX || cs.overflowX === "auto" || cs.overflowX === "scroll";
      scrollsY = scrollsY || cs.overflowY === "auto" || cs.overflowY === "scroll";
    }
    out.push({
      viewBox: svg.getAttribute("viewBox"),
      svg: own,
      visible: visible,
      nodes: rects.map(function (r) { return box(r.getBoundingClientRect()); }),
    });
  });
  var pre = document.createElement("pre");
  pre.id = "ciblage-svg-boxes";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def _runner():
    spec = importlib.util.spec_from_file_location("run_notebooks", ROOT / "scripts" / "run_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def chromium_dump(page: pathlib.Path, profile: pathlib.Path) -> str:
    """The DOM of ``page`` after its scripts ran, from headless Chromium,
    offline (every host name resolves to nothing: CDN scripts fail at once)."""
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--run-all-compositor-stages-before-draw",
        "--virtual-time-budget=10000",
        "--dump-dom",
        page.as_uri(),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, f"chromium failed ({done.returncode}): {done.stderr[-2000:]}"
    return done.stdout


def inside(inner: dict, outer: dict) -> bool:
    return (
        inner["left"] >= outer["left"] - TOLERANCE
        and inner["right"] <= outer["right"] + TOLERANCE
        and inner["top"] >= outer["top"] - TOLERANCE
        and inner["bottom"] <= outer["bottom"] + TOLERANCE
    )


@pytest.fixture(scope="module")
def tree_boxes(tmp_path_factory):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"headless Chromium not found at {CHROMIUM}: this check needs Debian's chromium package")
    run_notebooks = _runner()
    tmp = tmp_path_factory.mktemp("html")
    nb = run_notebooks.execute(TOUR, timeout=120)
    page = run_notebooks.to_html(nb)
    assert "</body>" in page
    page = page.replace("</body>", PROBE + "</body>", 1)
    path = tmp / "tour.html"
    path.write_text(page, encoding="utf-8")
    dom = chromium_dump(path, tmp / "profile")
    found = re.search(r'<pre id="ciblage-svg-boxes">(.*?)</pre>', dom, re.S)
    assert found, "the probe script did not run"
    return json.loads(html.unescape(found.group(1)))


def test_both_trees_are_drawn(tree_boxes):
    # The tour shows a CHAID and a CART tree.
    assert len(tree_boxes) >= 2, f"expected the CHAID and CART drawings, found {len(tree_boxes)} tree SVG(s)"


def test_every_tree_svg_has_a_viewbox(tree_boxes):
    for k, tree in enumerate(tree_boxes):
        assert tree["viewBox"], f"tree SVG {k} has no viewBox"
        assert len(tree["viewBox"].replace(",", " ").split()) == 4


def test_every_node_box_is_fully_visible(tree_boxes):
    assert tree_boxes
    for k, tree in enumerate(tree_boxes):
        svg, visible = tree["svg"], tree["visible"]
        assert svg["right"] - svg["left"] > 50 and svg["bottom"] - svg["top"] > 30, f"tree SVG {k} is not shown"
        assert tree["nodes"], f"tree SVG {k} has no node box"
        cut = [n for n in tree["nodes"] if not (inside(n, svg) and inside(n, visible))]
        assert not cut, (
            f"tree SVG {k}: {len(cut)} of {len(tree['nodes'])} node boxes cropped "
            f"(svg {svg}, visible {visible}, first cut {cut[0]})"
        )
