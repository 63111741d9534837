"""Damaged episode files are named and set aside; a killed run's temporary files are removed."""

from __future__ import annotations

import json

import numpy as np
import pytest

from runners.io.episode_files import (list_episode_records, npz_problem, remove_stale_tmp,
                                      set_aside)


def _episode(ep_dir, seed, status="ok"):
    stem = ep_dir / f"ep_{seed:04d}"
    np.savez_compressed(stem.with_suffix(".npz"), t=np.linspace(0, 1, 500), x=np.random.default_rng(seed).normal(size=(500, 3)))
    stem.with_suffix(".wcon").write_text("{}")
    stem.with_suffix(".json").write_text(json.dumps({"seed": seed, "status": status}))
    return stem


@pytest.fixture
def run_dir(tmp_path):
    ep = tmp_path / "episodes"
    ep.mkdir()
    for s in range(3):
        _episode(ep, s)
    return tmp_path


def test_truncated_json_is_named_set_aside_and_left_out(run_dir):
    bad = run_dir / "episodes" / "ep_0001.json"
    bad.write_text(bad.read_text()[:9])
    warnings = []
    recs = list_episode_records(run_dir, warn=warnings.append)
    assert [r["seed"] for r in recs] == [0, 2]
    assert len(warnings) == 1 and str(bad) in warnings[0] and "JSONDecodeError" in warnings[0]
    assert "moved ep_0001.json, ep_0001.npz, ep_0001.wcon" in warnings[0]
    corrupt = run_dir / "episodes" / "corrupt"
    assert sorted(p.name for p in corrupt.iterdir()) == ["ep_0001.json", "ep_0001.npz", "ep_0001.wcon"]
    assert not (run_dir / "episodes" / "ep_0001.npz").exists()


def test_corrupt_npz_is_found_when_asked(run_dir):
    npz = run_dir / "episodes" / "ep_0002.npz"
    raw = bytearray(npz.read_bytes())
    raw[len(raw) // 2: len(raw) // 2 + 64] = b"\0" * 64          # damage inside the data
    npz.write_bytes(bytes(raw))
    assert npz_problem(npz) and npz_problem(run_dir / "episodes" / "ep_0000.npz") is None
    assert [r["seed"] for r in list_episode_records(run_dir)] == [0, 1, 2]   # not checked
    warnings = []
    assert [r["seed"] for r in list_episode_records(run_dir, check_npz=True, warn=warnings.append)] == [0, 1]
    assert str(npz) in warnings[0] and "unreadable trajectory file" in warnings[0]


def test_set_aside_keeps_earlier_casualties(run_dir):
    ep = run_dir / "episodes"
    set_aside(ep / "ep_0000.json", "test", warn=lambda m: None)
    _episode(ep, 0)
    set_aside(ep / "ep_0000.json", "test again", warn=lambda m: None)
    names = sorted(p.name for p in (ep / "corrupt").iterdir())
    assert "ep_0000.json" in names and "ep_0000.1.json" in names


def test_stale_tmp_files_are_removed_and_nothing_else(run_dir):
    ep = run_dir / "episodes"
    stale = [ep / ".ep_0003.npz.k2j3h.tmp", ep / ".ep_0003.mp4.tmp.mp4", run_dir / ".run.json.x8.tmp"]
    for p in stale:
        p.write_bytes(b"half")
    keep = sorted(p.name for p in ep.iterdir())
    removed = remove_stale_tmp(run_dir)
    assert sorted(removed) == sorted(stale) and not any(p.exists() for p in stale)
    assert sorted(p.name for p in ep.iterdir() if not p.name.startswith(".")) == \
        [n for n in keep if not n.startswith(".")]


def test_read_json_names_the_file(tmp_path):
    from runners.io.recording import read_json
    bad = tmp_path / "run.json"
    bad.write_text('{"task": "celegans/chem')
    with pytest.raises(json.JSONDecodeError, match=r"run\.json: not valid JSON \(Unterminated string"):
        read_json(bad)
