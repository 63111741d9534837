"""A truncated episode .json, a corrupt .npz and a killed run's .tmp files: named, set aside,
re-run on resume; the scorecard names and skips a corrupt trajectory (no silent fallback)."""

from __future__ import annotations

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import _runner_fakes as F  # noqa: E402

from runners.execution.episode import run_many  # noqa: E402


@pytest.fixture
def run_dir(tmp_path):
    F.register()
    out = tmp_path / "run"
    run_many(F.FAKE_TASK, "random", episodes=3, seed=0, duration=0.5, out=out, progress=False,
             log=lambda m: None)
    return out


def _damage(ep_dir):
    js = ep_dir / "ep_0001.json"
    js.write_text(js.read_text()[: len(js.read_text()) // 2])         # cut mid-write
    npz = ep_dir / "ep_0002.npz"
    raw = bytearray(npz.read_bytes())
    raw[40:200] = b"\xff" * 160                                        # damaged bytes
    npz.write_bytes(bytes(raw))
    stale = [ep_dir / ".ep_0003.npz.a1b2c3.tmp", ep_dir.parent / ".run.json.zz9.tmp"]
    for p in stale:
        p.write_bytes(b"half a file")
    return js, npz, stale


def test_resume_sets_damaged_episodes_aside_and_runs_them_again(run_dir):
    ep_dir = run_dir / "episodes"
    js, npz, stale = _damage(ep_dir)
    lines = []
    s = run_many(F.FAKE_TASK, "random", episodes=3, seed=0, duration=0.5, out=run_dir,
                 progress=False, log=lines.append)
    assert sorted(s.ran) == [1, 2] and s.skipped == [0]
    warnings = [m for m in lines if m.startswith("warning:")]
    assert len(warnings) == 2, lines
    assert any(str(js) in w and "JSONDecodeError" in w and "corrupt" in w for w in warnings)
    assert any(str(npz) in w and "unreadable trajectory file" in w for w in warnings)
    corrupt = sorted(p.name for p in (ep_dir / "corrupt").iterdir())
    assert "ep_0001.json" in corrupt and "ep_0002.npz" in corrupt and "ep_0002.json" in corrupt
    for seed in (1, 2):                                                # re-run, readable again
        rec = json.loads((ep_dir / f"ep_{seed:04d}.json").read_text())
        assert rec["status"] == "ok"
    assert not any(p.exists() for p in stale)


def test_scorecard_names_and_skips_a_corrupt_trajectory(run_dir, capsys):
    from runners.scoring.scorecard import load_run
    _, npz, _ = _damage(run_dir / "episodes")
    run = load_run(run_dir)
    assert sorted(e["seed"] for e in run.episodes) == [0]              # 1: bad json, 2: bad npz
    err = capsys.readouterr().err
    assert str(npz) in err and "left out of this scorecard" in err
    assert all(e["features_source"] == "re-extracted from trajectory" for e in run.episodes)
