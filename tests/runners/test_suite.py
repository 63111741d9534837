"""`cgym suite`: the benchmark registry, plug-in brains through the entry point, the cgym.suite/1
board (Markdown, JSON, merge) and the HTML page in a real headless browser."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from runners import suite
from tasks.benchmarks import BENCHMARKS, BenchmarkSpec, register_benchmark

FAKE_BENCH = "fakeworm/neural"


def fake_benchmark(brain, brain_options, out, *, seeds, quick=False, progress=True):
    """A fast neural-style benchmark with a figure: the model value is the brain name's length."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    out = Path(out)
    (out / "fig").mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [0, len(brain)])
    ax.set_xlabel("x")
    fig.tight_layout()
    fig.savefig(out / "fig" / "f.png", dpi=60)
    plt.close(fig)
    v = float(len(brain))
    return {"schema": "cgym.benchmark/1", "benchmark": FAKE_BENCH, "brain": brain,
            "brain_info": {"text": brain}, "labels": [],
            "rows": [{"metric": "m", "label": "name length", "unit": "letters", "model": v,
                      "ci": [v, v], "reference": 5.0, "ceiling": None, "score": v - 5,
                      "n": len(seeds), "verdict": "pass" if v >= 5 else "fail",
                      "source": "test"}],
            "notes": ["fake"], "figures": ["fig/f.png"]}


@pytest.fixture
def fake_organism(monkeypatch):
    sys.path.insert(0, str(Path(__file__).parent))
    import _runner_fakes                # the fake task of organism "fakeworm"
    _runner_fakes.register()
    import runners.scoring.scorecard as sc
    real = sc.load_reference_library
    monkeypatch.setattr(sc, "load_reference_library",
                        lambda name: _runner_fakes.fake_library() if name == "fake_reference" else real(name))
    register_benchmark(BenchmarkSpec(FAKE_BENCH, "fakeworm", "neural",
                                     f"{__name__}:fake_benchmark", "fake"))
    yield "fakeworm"
    BENCHMARKS.pop(FAKE_BENCH, None)


def test_registry_rejects_bad_specs():
    with pytest.raises(ValueError, match="kind"):
        register_benchmark(BenchmarkSpec("x/y", "celegans", "vibes", "a:b", ""))
    with pytest.raises(ValueError, match="module:function"):
        register_benchmark(BenchmarkSpec("x/y", "celegans", "neural", "nocolon", ""))


def test_worm_suite_lists_its_behaviour_task_and_the_atlas():
    names = {s.name: s.kind for s in suite.load_benchmarks("celegans")}
    assert names["celegans/chemotaxis"] == "behaviour" and names["celegans/atlas"] == "neural"


def test_every_registered_benchmark_run_function_resolves():
    """A registered run string that names no function fails here, not in the middle of a suite."""
    from runners.io.recording import load_callable
    for org in ("celegans", "zebrafish", "drosophila"):
        for spec in suite.load_benchmarks(org):
            assert callable(load_callable(spec.run)), spec


def _plugin_on_path(tmp_path, monkeypatch):
    """A plug-in package made visible to importlib.metadata: a dist-info with entry_points.txt."""
    site = tmp_path / "site"
    (site / "cgym_testplug-0.1.dist-info").mkdir(parents=True)
    (site / "cgym_testplug-0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: cgym-testplug\nVersion: 0.1\n")
    (site / "cgym_testplug-0.1.dist-info" / "entry_points.txt").write_text(
        "[cgym.brains]\ntestplug = cgym_testplug:make_brain\n")
    src = Path(__file__).resolve().parents[2] / "examples" / "plugin_brain" / "cgym_plugin_brain" / "__init__.py"
    (site / "cgym_testplug.py").write_text(src.read_text())
    monkeypatch.syspath_prepend(str(site))
    import nervous_systems.brain as nb
    monkeypatch.setattr(nb, "_ENTRY_POINTS_LOADED", False)
    return site


def test_plugin_brain_appears_and_runs_with_no_code_change(tmp_path, monkeypatch, fake_organism):
    _plugin_on_path(tmp_path, monkeypatch)
    assert "testplug" in suite.available_brains("celegans")
    board = suite.run_suite(fake_organism, ["testplug", "null"], tmp_path / "s", episodes=5,
                            duration=1.0, quick=True, progress=False, log=lambda *_: None)
    got = {(r["benchmark"], r["brain"]): r for r in board["results"]}
    assert set(got) == {("fake/chemotaxis", "testplug"), ("fake/chemotaxis", "null"),
                        (FAKE_BENCH, "testplug"), (FAKE_BENCH, "null")}
    beh = got[("fake/chemotaxis", "testplug")]
    assert beh.get("status") == "ok" and beh["rows"], beh.get("error")
    assert all(r["verdict"] in ("pass", "fail", "insufficient data", "not distinguishable")
               for r in beh["rows"])
    assert got[(FAKE_BENCH, "testplug")]["rows"][0]["verdict"] == "pass"   # 8 letters >= 5
    assert got[(FAKE_BENCH, "null")]["rows"][0]["verdict"] == "fail"
    md = (tmp_path / "s" / "suite.md").read_text()
    assert "| `testplug` |" in md and "{'" not in md
    # the board says which brains the behaviour benchmark tells apart
    assert "`testplug` vs `null`:" in md
    data = json.loads((tmp_path / "s" / "suite.json").read_text())
    assert data["schema"] == "cgym.suite/1"
    # the figures of each result are under the board's folder
    for r in data["results"]:
        for f in r["figures"]:
            assert (tmp_path / "s" / f).exists()


def test_boards_from_two_machines_merge(tmp_path, fake_organism):
    a = suite.run_suite(fake_organism, ["null"], tmp_path / "a", episodes=1, duration=0.5,
                        quick=True, only=[FAKE_BENCH], progress=False, log=lambda *_: None)
    b = suite.run_suite(fake_organism, ["random"], tmp_path / "b", episodes=1, duration=0.5,
                        quick=True, only=[FAKE_BENCH], progress=False, log=lambda *_: None)
    m = suite.merge_boards([tmp_path / "a" / "suite.json", tmp_path / "b" / "suite.json"])
    assert {r["brain"] for r in m["results"]} == {"null", "random"} and len(m["machines"]) == 2
    assert a["schema"] == b["schema"] == m["schema"] == "cgym.suite/1"
    (tmp_path / "bad.json").write_text(json.dumps({"schema": "other/9"}))
    with pytest.raises(suite.SuiteError, match="schema"):
        suite.merge_boards([tmp_path / "a" / "suite.json", tmp_path / "bad.json"])


def test_unknown_brain_or_benchmark_is_one_clear_line(tmp_path, fake_organism):
    with pytest.raises(suite.SuiteError, match="unknown brain"):
        suite.run_suite(fake_organism, ["nosuch"], tmp_path, progress=False)
    with pytest.raises(suite.SuiteError, match="unknown benchmark"):
        suite.run_suite(fake_organism, ["null"], tmp_path, only=["x/y"], progress=False)


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


def check_page_in_browser(html_path: Path, screenshot: Path | None = None) -> str:
    """Load the page in headless Chromium; return the DOM after load (the page's own script
    writes 'CGYM-IMAGES n BROKEN k' once every image has loaded or failed)."""
    exe = _chromium()
    base = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
            "--virtual-time-budget=5000", "--enable-logging=stderr", "--v=0"]
    dom = subprocess.run(base + ["--dump-dom", html_path.resolve().as_uri()], capture_output=True,
                         text=True, timeout=120)
    if screenshot is not None:
        subprocess.run(base + [f"--screenshot={screenshot}", "--window-size=1400,1800",
                               html_path.resolve().as_uri()], capture_output=True, timeout=120)
    return dom.stdout + "\n" + dom.stderr


@pytest.mark.skipif(_chromium() is None, reason="no headless Chromium (apt-get install chromium; "
                    ".ci/run installs it)")
def test_html_page_loads_and_every_image_renders(tmp_path, fake_organism):
    suite.run_suite(fake_organism, ["null", "random"], tmp_path / "s", episodes=1, duration=0.5,
                    quick=True, only=[FAKE_BENCH], progress=False, log=lambda *_: None)
    out = check_page_in_browser(tmp_path / "s" / "suite.html")
    assert "CGYM-IMAGES 2 BROKEN 0" in out, out[-2000:]
    # no console error: Chromium logs page console messages as "CONSOLE" lines on stderr
    console = [ln for ln in out.splitlines() if "CONSOLE" in ln]
    assert not [ln for ln in console if "rror" in ln or "Uncaught" in ln], console
    # a broken image is caught
    page = (tmp_path / "s" / "suite.html").read_text().replace("fig/f.png", "fig/missing.png", 1)
    (tmp_path / "s" / "broken.html").write_text(page)
    assert "BROKEN 1" in check_page_in_browser(tmp_path / "s" / "broken.html")
    # and a script error would show as a console line (the check can fail)
    page = (tmp_path / "s" / "suite.html").read_text().replace("</body>", "<script>nosuchfn()</script></body>")
    (tmp_path / "s" / "err.html").write_text(page)
    assert "nosuchfn" in check_page_in_browser(tmp_path / "s" / "err.html")
