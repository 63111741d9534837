import json
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import _runner_fakes as F  # noqa: E402

from runners.io import recording  # noqa: E402
from runners.execution.episode import (BrainOutputError, RunConfigError, decimate_neural,  # noqa: E402
                             run_episode, run_many)
from nervous_systems.brain import make_brain, register_brain  # noqa: E402


@pytest.fixture(autouse=True)
def fake_task():
    F.register()
    register_brain("nan_test", F.NaNBrain, "fakeworm")
    register_brain("recording_test", F.RecordingBrain, "fakeworm")
    yield


def test_baseline_brains_registered_for_any_organism():
    import gymnasium as gym
    space = gym.spaces.Box(0, 1, (95,), np.float32)
    null = make_brain("null", "celegans", None, space)
    null.reset(0)
    assert np.all(null.act(None) == 0) and null.act(None).shape == (95,)
    rnd = make_brain("random", "anything", None, space, smoothing=0.5)
    rnd.reset(3)
    a = np.stack([rnd.act(None) for _ in range(5)])
    rnd.reset(3)
    b = np.stack([rnd.act(None) for _ in range(5)])
    assert np.array_equal(a, b) and a.min() >= 0 and a.max() <= 1 and a.std() > 0
    with pytest.raises(TypeError, match="null"):
        make_brain("null", "celegans", None, space, lesion=["AIY"])


def test_run_episode_records_decimated_trajectory():
    r = run_episode(F.FAKE_TASK, "random", seed=1, duration=2.0)
    assert r.ok, r.error
    t = r.trajectory["t"]
    assert t[0] == 0 and abs(np.median(np.diff(t)) - 0.04) < 1e-9  # 25 Hz from 50 Hz control
    assert r.trajectory["centerline"].shape == (len(t), F.K, 2)
    assert r.trajectory["actions"].shape == (len(t), 95)
    assert np.isnan(r.trajectory["actions"][0]).all()  # reset sample: no action yet
    assert abs(r.sim_time_s - 2.0) < 1e-9
    assert r.features["centroid_speed"] > 0
    assert r.task_info["peak"] == [3.0, 0.0]


def test_neural_record_decimated_to_trajectory_rate():
    r = run_episode(F.FAKE_TASK, "recording_test", seed=0, duration=1.0)
    assert r.neural["v"].shape == (len(r.trajectory["t"]), 3)
    assert list(r.neural["names"]) == ["A", "B", "C"]
    assert np.allclose(r.neural["t"], r.trajectory["t"], atol=1e-3)
    # sample-and-hold picks the latest neural sample at or before each time
    out, _ = decimate_neural({"t": np.array([0, .5, 1.]), "v": np.array([1., 2., 3.])},
                             np.array([0.0, 0.6, 1.0]))
    assert out["v"].tolist() == [1.0, 2.0, 3.0]


def test_nan_action_fails_episode_with_clear_message(tmp_path):
    r = run_episode(F.FAKE_TASK, "nan_test", seed=5, duration=1.0)
    assert r.status == "failed"
    assert "nan_test" in r.error and "seed=5" in r.error and "control step 3" in r.error
    assert "BrainOutputError" in r.error and "BrainOutputError" in r.traceback


def test_diverged_episode_recorded_and_run_continues(tmp_path):
    s = run_many(F.FAKE_TASK, "random", episodes=3, seed=0, duration=1.0, out=tmp_path,
                 task_options={"diverge_seeds": [1]}, progress=False, log=lambda m: None)
    assert sorted(s.ran) == [0, 1, 2] and list(s.failed) == [1]
    rec = recording.read_json(tmp_path / "episodes" / "ep_0001.json")
    assert rec["status"] == "failed" and "BodyDivergedError" in rec["error"]
    assert "Traceback" in rec["traceback"]
    assert (tmp_path / "episodes" / "ep_0001.npz").exists()  # partial trajectory kept
    assert recording.read_json(tmp_path / "episodes" / "ep_0002.json")["status"] == "ok"


def test_run_many_atomic_and_resumable(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        run_many(F.FAKE_TASK, "random", episodes=5, seed=0, duration=1.0, out=tmp_path,
                 progress=False, log=lambda m: None, _stop_after=2)
    ep = tmp_path / "episodes"
    assert sorted(p.name for p in ep.glob("ep_*.json")) == ["ep_0000.json", "ep_0001.json"]
    assert not [p for p in ep.iterdir() if p.name.startswith(".")]  # no temp files left
    mtimes = {p.name: p.stat().st_mtime_ns for p in ep.glob("ep_000[01].*")}
    msgs = []
    s = run_many(F.FAKE_TASK, "random", episodes=5, seed=0, duration=1.0, out=tmp_path,
                 progress=False, log=msgs.append)
    assert s.skipped == [0, 1] and s.ran == [2, 3, 4]
    assert any("already finished" in m and "skipping" in m for m in msgs)
    assert {p.name: p.stat().st_mtime_ns for p in ep.glob("ep_000[01].*")} == mtimes
    run = recording.read_json(tmp_path / "run.json")
    for key in ("task", "brain", "config", "versions", "brain_info", "git_commit",
                "command_line", "reference", "task_spec"):
        assert key in run
    assert run["versions"]["numpy"] == np.__version__
    rec = recording.read_json(ep / "ep_0003.json")
    for key in ("features", "task_info", "config", "status", "wall_time_s", "sim_time_s"):
        assert key in rec
    json.dumps(rec, allow_nan=False)
    z = recording.load_npz(ep / "ep_0003.npz")
    assert {"t", "centerline", "nose", "concentration", "actions"} <= set(z)
    # a different configuration into the same folder is refused
    with pytest.raises(RunConfigError, match="different"):
        run_many(F.FAKE_TASK, "null", episodes=5, seed=0, duration=1.0, out=tmp_path,
                 progress=False, log=lambda m: None)


def test_config_errors_are_clear():
    with pytest.raises(RunConfigError, match="no brain 'nope'"):
        run_episode(F.FAKE_TASK, "nope", seed=0, duration=1.0)
    with pytest.raises(RunConfigError, match="task .fake/chemotaxiss."):
        run_episode("fake/chemotaxiss", "null", seed=0, duration=1.0)


def test_video_written(tmp_path):
    s = run_many(F.FAKE_TASK, "random", episodes=1, seed=0, duration=0.5, out=tmp_path,
                 video=True, progress=False, log=lambda m: None)
    rec = recording.read_json(tmp_path / "episodes" / "ep_0000.json")
    assert "video" in rec["files"] and (tmp_path / "episodes" / rec["files"]["video"]).exists()
