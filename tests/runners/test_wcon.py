import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import _runner_fakes as F  # noqa: E402

from runners.io.wcon import read_wcon, trajectory_to_wcon, validate_wcon, write_wcon  # noqa: E402


def _traj(T=30, K=7):
    rng = np.random.default_rng(0)
    t = np.arange(T) * 0.04
    cl = rng.normal(size=(T, K, 2)).astype(np.float32)
    conc = rng.uniform(size=T)
    conc[3] = np.nan
    return {"t": t, "centerline": cl, "concentration": conc}


def test_wcon_round_trip(tmp_path):
    tr = _traj()
    p = write_wcon(tmp_path / "ep.wcon", tr, worm_id="7", task_info={"plate_radius": 30.0})
    obj = json.loads(p.read_text())       # plain JSON, readable by any parser
    assert obj["units"]["t"] == "s" and obj["units"]["x"] == "mm" and obj["units"]["y"] == "mm"
    rec = obj["data"][0]
    assert rec["id"] == "7" and len(rec["t"]) == 30 and len(rec["x"]) == 30
    assert len(rec["x"][0]) == 7 and rec["head"] == "L"
    assert rec["@cgym"]["concentration"][3] is None          # NaN -> null
    back = read_wcon(p)["data"][0]
    assert back["centerline"].shape == (30, 7, 2)
    assert np.allclose(back["t"], tr["t"])
    assert np.allclose(back["centerline"], tr["centerline"], atol=1e-5)
    assert np.isnan(back["concentration"][3])


def test_wcon_valid_against_spec_required_fields():
    obj = trajectory_to_wcon(_traj())
    assert validate_wcon(obj) == []
    assert "units" in obj and "data" in obj
    for k in ("t", "x", "y"):
        assert isinstance(obj["units"][k], str)
    for rec in obj["data"]:
        assert {"id", "t", "x", "y"} <= set(rec)
        assert all(len(x) == len(y) for x, y in zip(rec["x"], rec["y"]))
    # every custom quantity written has a unit
    assert "concentration" in obj["units"]
    # the validator catches what the spec forbids
    assert validate_wcon({"data": []})
    assert validate_wcon({"units": {"t": "s", "x": "mm"}, "data": []})
    bad = json.loads(json.dumps(obj))
    del bad["data"][0]["id"]
    assert any("id" in p for p in validate_wcon(bad))
    bad = json.loads(json.dumps(obj))
    bad["data"][0]["x"][2] = bad["data"][0]["x"][2][:-1]
    assert any("differ in size" in p for p in validate_wcon(bad))


def test_episode_writes_wcon(tmp_path):
    F.register()
    from runners.execution.episode import run_many
    run_many(F.FAKE_TASK, "random", episodes=1, seed=0, duration=0.5, out=tmp_path,
             progress=False, log=lambda m: None)
    w = read_wcon(tmp_path / "episodes" / "ep_0000.wcon")
    assert w["data"][0]["centerline"].shape[1:] == (F.K, 2)
