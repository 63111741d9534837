"""cgym sweep: sweep files, resume, failed episodes, killed workers, process pool vs Dask."""

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

sys.path.insert(0, os.path.dirname(__file__))  # _sweep_hooks, for the workers too

from runners.io import recording  # noqa: E402
from runners.cli import main  # noqa: E402
from runners.execution.sweep import compare_sweeps, run_sweep, sweep_run_dirs  # noqa: E402
from runners.execution.sweep_spec import SweepError, parse_sweep  # noqa: E402

TASK = "celegans/chemotaxis"
MINIMAL = """
task: celegans/chemotaxis
brains: [null, random]
seeds: [1, 2]
duration: 5
"""


def small(duration=0.4, seeds=(0, 1), brains=("null", "random")):
    return parse_sweep({"task": TASK, "brains": list(brains), "seeds": list(seeds),
                        "duration": duration, "wcon": False}, "test.yaml")


def episode_files(out: Path, suffix: str) -> list[Path]:
    return sorted(out.glob(f"*/episodes/ep_*{suffix}"))


def statuses(out: Path) -> dict:
    recs = [recording.read_json(p) for p in episode_files(out, ".json")]
    return {(r["config"]["brain"], r["seed"]): r["status"] for r in recs}


# ------------------------------------------------------------------ sweep files

def test_minimal_sweep_file_of_the_issue():
    spec = parse_sweep(yaml.safe_load(MINIMAL), "min.yaml")
    assert [c.brain for c in spec.conditions] == ["null", "random"]  # YAML null → "null" brain
    assert spec.seeds == [1, 2] and spec.n_episodes == 4
    assert all(c.duration == 5.0 for c in spec.conditions)
    # the episode hash covers the whole config and the seed
    c = spec.conditions[0]
    assert c.episode_hash(1) != c.episode_hash(2)
    assert c.episode_hash(1) != spec.conditions[1].episode_hash(1)


def test_grid_and_list_forms():
    spec = parse_sweep({"task": TASK, "seeds": {"start": 10, "count": 3},
                        "brains": ["connectome", {"brain": "connectome", "name": "AIY-lesion",
                                                  "options": {"lesion": ["AIY"]}}],
                        "grid": {"task_options.medium": ["agar", "water"]},
                        "conditions": [{"brain": "reflex", "duration": 2}]}, "g.yaml")
    assert spec.seeds == [10, 11, 12]
    assert len(spec.conditions) == 2 * 2 + 1
    assert spec.conditions[2].brain_options == {"lesion": ["AIY"]}
    assert {c.task_options.get("medium") for c in spec.conditions[:4]} == {"agar", "water"}
    assert spec.conditions[-1].duration == 2.0
    names = spec.dir_names()
    assert len(set(names)) == 5 and names[2].startswith("AIY-lesion__medium=agar__")


@pytest.mark.parametrize("data, match", [
    ({"task": TASK, "brains": ["null"], "seed": [1]}, "unknown key 'seed'.*Did you mean seeds"),
    ({"task": TASK, "brains": ["null"], "seeds": 4}, "seeds must be"),
    ({"task": TASK, "brains": ["null"], "seeds": [1], "grid": {"brain_option.x": [1]}},
     "grid: unknown key 'brain_option.x'.*brain_options.KEY"),
    ({"task": TASK, "brains": [{"brain": "null", "opts": {}}], "seeds": [1]},
     r"brains\[0\]: unknown key 'opts'.*options"),
    ({"task": TASK, "brains": ["null"], "seeds": [1], "duration": -1}, "duration must be > 0"),
    ({"task": TASK, "brains": ["null", "null"], "seeds": [1]}, "repeats condition 0"),
    ({"brains": ["null"], "seeds": [1]}, "missing key 'task'"),
])
def test_sweep_file_errors_name_file_and_key(data, match):
    with pytest.raises(SweepError, match=match):
        parse_sweep(data, "bad.yaml")


@pytest.mark.parametrize("data, match", [
    ({"task": TASK, "brains": ["nul"], "seeds": [1]}, "condition 'nul__.*Did you mean null"),
    ({"task": "celegans/chemotaxi", "brains": ["null"], "seeds": [1]},
     "unknown task.*Did you mean celegans/chemotaxis"),
    ({"task": TASK, "brains": ["null"], "brain_options": {"lesion": ["AIY"]}, "seeds": [1]},
     "condition 'null__lesion=AIY__.*lesion"),
])
def test_unknown_brain_task_option_fail_before_any_episode(tmp_path, data, match):
    with pytest.raises(SweepError, match=match):
        run_sweep(parse_sweep(data, "bad.yaml"), tmp_path / "out", workers=0, progress=False)
    assert not episode_files(tmp_path / "out", ".json")


def test_cli_sweep_error_exit_code(tmp_path, capsys):
    f = tmp_path / "s.yaml"
    f.write_text("task: celegans/chemotaxis\nbrains: [null]\nseeds: [1]\nduratoin: 1\n")
    assert main(["sweep", str(f), "--out", str(tmp_path / "o"), "--workers", "0"]) == 2
    assert "unknown key 'duratoin'" in capsys.readouterr().err


# ------------------------------------------------------------------ resume, failures, scoring

def test_resume_after_interruption_runs_each_episode_once(tmp_path):
    out = tmp_path / "sweep"
    spec = small(seeds=(0, 1, 2))
    with pytest.raises(KeyboardInterrupt):
        run_sweep(spec, out, workers=0, progress=False, _stop_after=2)
    first = {p.name: p.stat().st_mtime_ns for p in episode_files(out, ".json")}
    assert len(first) == 2
    s = run_sweep(spec, out, workers=0, progress=False)
    assert (s.n_skipped, s.n_ran, s.n_ok) == (2, 4, 6)
    after = {p.name: p.stat().st_mtime_ns for p in episode_files(out, ".json")}
    assert len(after) == 6 and all(after[k] == v for k, v in first.items())  # not rewritten
    assert len(episode_files(out, ".npz")) == 6
    assert set(statuses(out).values()) == {"ok"}
    again = run_sweep(spec, out, workers=0, progress=False)
    assert (again.n_skipped, again.n_ran) == (6, 0)
    # files are named by seed + hash of config and seed
    for p in episode_files(out, ".json"):
        rec = recording.read_json(p)
        assert p.stem.endswith(rec["config"]["sweep"]["episode_hash"][:12])


def test_failed_episode_recorded_with_traceback_and_sweep_goes_on(tmp_path, capsys):
    out = tmp_path / "sweep"
    spec = small(seeds=(0, 1))
    s = run_sweep(spec, out, workers=0, progress=False, episode_hook="_sweep_hooks:fail_one")
    assert (s.n_ok, s.n_failed) == (3, 1)
    st = statuses(out)
    assert st[("random", 1)] == "failed" and st[("null", 1)] == "ok"
    rec = recording.read_json(next(p for p in episode_files(out, ".json")
                                   if recording.read_json(p)["status"] == "failed"))
    assert "injected failure" in rec["error"] and "fail_one" in rec["traceback"]
    row = s.rows[[n for n in s.rows if n.startswith("random")][0]]
    assert (row.ok, row.failed) == (1, 1)
    assert "failed" in s.table()
    # a rerun keeps the failure; --retry-failed redoes it
    assert run_sweep(spec, out, workers=0, progress=False).n_ran == 0
    r = run_sweep(spec, out, workers=0, progress=False, retry_failed=True)
    assert (r.n_ran, r.n_failed) == (1, 0) and set(statuses(out).values()) == {"ok"}
    assert len(episode_files(out, ".json")) == 4


def test_score_accepts_sweep_folder_and_groups_by_brain(tmp_path, capsys):
    out = tmp_path / "sweep"
    f = tmp_path / "s.yaml"
    f.write_text("task: celegans/chemotaxis\nbrains: [null, random]\nseeds: [0, 1]\n"
                 "duration: 0.4\nwcon: false\n")
    assert main(["sweep", str(f), "--out", str(out), "--workers", "0", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "4 episode(s) run" in printed and "total" in printed
    assert len(sweep_run_dirs(out)) == 2
    assert main(["score", str(out), "--no-figures", "--reps", "5"]) == 0
    card = json.loads((out / "scorecard" / "scorecard.json").read_text())
    assert set(card["tasks"][0]["aggregates"]) == {"null", "random"}


# ------------------------------------------------------------------ executors

def _check_exactly_once(out: Path, spec) -> None:
    jsons, npzs = episode_files(out, ".json"), episode_files(out, ".npz")
    assert len(jsons) == len(npzs) == spec.n_episodes
    assert sorted(statuses(out)) == sorted((c.brain, s) for c in spec.conditions
                                           for s in spec.seeds)
    assert set(statuses(out).values()) == {"ok"}
    assert not list(out.glob("*/episodes/.*"))  # no temporary files left


def test_killed_worker_retried_and_pool_matches_dask(tmp_path):
    """A worker SIGKILLed mid-episode (once per sweep) on the process pool and on a Dask
    LocalCluster: every episode ends up on disk exactly once, and the two sweeps' saved
    trajectories are bit-for-bit identical (same seeds → same episodes, whichever worker and
    attempt ran them)."""
    pytest.importorskip("distributed", reason="Dask sweeps need the optional extra [dask]")
    spec = small(duration=0.6, seeds=(0, 1, 2))
    pool, dask = tmp_path / "pool", tmp_path / "dask"
    s1 = run_sweep(spec, pool, workers=2, progress=False, episode_hook="_sweep_hooks:kill_once")
    assert (pool / ".killed_once").exists()
    assert s1.n_ok == spec.n_episodes and sum(r.retried for r in s1.rows.values()) >= 1
    assert s1.pool_rebuilds >= 1
    _check_exactly_once(pool, spec)
    s2 = run_sweep(spec, dask, dask_local=2, progress=False,
                   episode_hook="_sweep_hooks:kill_once")
    assert (dask / ".killed_once").exists() and s2.n_ok == spec.n_episodes
    assert "Dask LocalCluster (2 worker" in s2.executor
    _check_exactly_once(dask, spec)
    for out in (pool, dask):  # the killed episode was redone by another process
        killed = [recording.read_json(p) for p in episode_files(out, ".json")
                  if p.name.startswith("ep_0001") and "random" in p.parent.parent.name]
        assert len(killed) == 1 and killed[0]["status"] == "ok"
        assert killed[0]["config"]["sweep"]["worker_pid"] != int((out / ".killed_once").read_text())
    assert [r for r in map(recording.read_json, episode_files(pool, ".json"))
            if r["config"]["sweep"]["attempt"] == 2]  # resubmitted by the sweep on the pool
    cmp = compare_sweeps(pool, dask)
    assert cmp["common"] == spec.n_episodes and cmp["identical"] == spec.n_episodes, cmp
    assert cmp["max_abs_diff"] == 0.0


def test_example_sweep_files_parse():
    from runners.execution.sweep_spec import load_sweep
    ex = Path(__file__).resolve().parents[2] / "runners" / "examples"
    must = load_sweep(ex / "worm_sweep.yaml")
    assert [c.brain for c in must.conditions] == ["connectome", "shuffled", "null"]
    assert must.n_episodes == 24
    lesions = load_sweep(ex / "worm_lesion_sweep.yaml")
    assert [c.label for c in lesions.conditions][1:] == ["AIY-lesion", "AWC-lesion", "ASE-lesion",
                                                          "reflex-baseline"]
    assert lesions.conditions[-1].task_options == {"medium": "agar"}


@pytest.mark.slow
def test_sweep_on_a_running_dask_scheduler(tmp_path):
    """--scheduler ADDRESS: a cluster this process did not start (the worker plugin path)."""
    distributed = pytest.importorskip("distributed", reason="Dask sweeps need the optional extra [dask]")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster:
        s = run_sweep(small(), tmp_path / "out", scheduler=cluster.scheduler_address,
                      progress=False)
    assert s.executor.startswith("Dask scheduler tcp://") and s.n_ok == 4
    _check_exactly_once(tmp_path / "out", small())


def test_every_committed_sweep_file_parses():
    """The sweep files the READMEs run (organisms/*/sweeps/**) are valid sweep specs: a typo in a
    key, a seed block or a grid fails here, not hours into a run."""
    from runners.execution.sweep_spec import load_sweep
    root = Path(__file__).resolve().parents[2]
    files = sorted(root.glob("organisms/*/sweeps/**/*.yaml"))
    assert len(files) > 50
    for f in files:
        spec = load_sweep(f)
        assert spec.conditions and spec.seeds, f
