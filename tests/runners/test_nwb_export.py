"""`cgym export nwb`: a real worm episode exported as NWB, checked by nwbinspector and read back."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

pynwb = pytest.importorskip("pynwb", reason="NWB export needs the optional extra [nwb] (pynwb)")
nwbinspector = pytest.importorskip("nwbinspector", reason="needs the optional extra [nwb] (nwbinspector)")

from runners.io import nwb as nwb_export  # noqa: E402


@pytest.fixture(scope="module")
def worm_run(tmp_path_factory):
    from runners.execution.episode import run_many
    out = tmp_path_factory.mktemp("nwb") / "run"
    # 3.2 s at 100 Hz: more samples (321) than neurons (302) and muscles (95), so that the
    # recording is long enough for nwbinspector's time-first orientation heuristic
    run_many("celegans/chemotaxis", "connectome", episodes=1, duration=3.2, record_rate_hz=100,
             brain_options={"record_dt": 0.01}, out=out, progress=False, log=lambda m: None)
    return out


def _export_with_cli(run_dir, out):
    parser = argparse.ArgumentParser(prog="cgym")
    nwb_export.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["export", "nwb", str(run_dir), "--out", str(out)])
    assert args.func(args) == 0


def test_export_passes_nwbinspector_and_reads_back(worm_run, tmp_path):
    out = tmp_path / "nwb"
    _export_with_cli(worm_run, out)
    path = out / "ep_0000.nwb"
    assert path.is_file()
    messages = list(nwbinspector.inspect_nwbfile(nwbfile_path=path))
    serious = [m for m in messages if m.importance != nwbinspector.Importance.BEST_PRACTICE_SUGGESTION]
    assert serious == [], [(m.importance.name, m.check_function_name, m.message) for m in serious]

    arrays = dict(np.load(worm_run / "episodes" / "ep_0000.npz", allow_pickle=False))
    run = json.loads((worm_run / "run.json").read_text())
    T, N = arrays["neural_v"].shape
    assert N == 302 and T > N
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        f = io.read()
        assert f.subject.species == "Caenorhabditis elegans" and f.subject.sex == "XX"
        assert f.session_start_time.isoformat() == run["created"]
        cfg = json.loads(f.experiment_description)
        assert cfg["brain"] == "connectome" and cfg["task"] == "celegans/chemotaxis"
        misc = f.processing["misc"]
        names = list(misc["neurons"]["neuron_name"].data[:])
        assert names == [str(n) for n in arrays["neural_names"]]
        v = misc["model_v"]
        once = np.r_[True, np.diff(arrays["neural_t"]) > 0]   # each recorded sample once
        assert T >= once.sum() > N
        assert v.data.shape == (once.sum(), N) and v.unit == "volts" and v.conversion == pytest.approx(1e-3)
        np.testing.assert_allclose(v.data[:], arrays["neural_v"][once])
        beh = f.processing["behavior"]
        assert beh["centerline"].data.shape == arrays["centerline"].shape
        assert beh["actions"].data.shape == arrays["actions"].shape == (len(arrays["t"]), 95)
        nose = beh["Position"]["nose"]
        np.testing.assert_allclose(nose.data[:], arrays["nose"])
        assert nose.conversion == pytest.approx(1e-3)          # mm -> m
        assert beh["concentration"].data.shape == arrays["concentration"].shape
        # regular sampling is stored as a rate (NWB best practice), irregular as timestamps
        assert beh["actions"].rate == pytest.approx(100.0) and beh["actions"].timestamps is None
        t_v = v.timestamps[:] if v.timestamps is not None else v.starting_time + np.arange(len(v.data)) / v.rate
        np.testing.assert_allclose(t_v, arrays["neural_t"][once], atol=1e-9)


def test_not_a_run_folder_is_one_line(tmp_path):
    with pytest.raises(nwb_export.ExportError, match="not a run folder"):
        nwb_export.export_run(tmp_path)


def test_damaged_npz_is_named(worm_run, tmp_path):
    import shutil
    run = tmp_path / "run"
    shutil.copytree(worm_run, run, ignore=shutil.ignore_patterns("nwb"))
    (run / "episodes" / "ep_0000.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(nwb_export.ExportError, match=r"ep_0000\.npz: cannot read"):
        nwb_export.export_run(run, tmp_path / "out", log=lambda m: None)


def test_fly_like_record_gets_one_table_per_name_set(tmp_path):
    """Populations and descending commands (the fly brain's record) label their own series."""
    run = tmp_path / "run"
    (run / "episodes").mkdir(parents=True)
    T = 120
    t = np.arange(T) * 0.01
    rng = np.random.default_rng(0)
    np.savez_compressed(run / "episodes" / "ep_0003.npz", t=t, actions=rng.random((T, 57)).astype(np.float32),
                        thorax_xyz=rng.random((T, 3)), heading=rng.random(T),
                        neural_t=t, neural_rates=rng.random((T, 16)), neural_commands=rng.random((T, 6)),
                        neural_populations=np.array([f"pop{i}" for i in range(16)]),
                        neural_command_names=np.array([f"cmd{i}" for i in range(6)]),
                        neural_unit=np.array("Hz"))
    cfg = {"task": "drosophila/grooming", "organism": "drosophila", "brain": "connectome",
           "record_rate_hz": 100}
    (run / "run.json").write_text(json.dumps({"task": "drosophila/grooming", "brain": "connectome",
                                              "config": cfg, "created": "2026-01-02T03:04:05+00:00"}))
    (run / "episodes" / "ep_0003.json").write_text(json.dumps(
        {"seed": 3, "status": "ok", "config": cfg, "files": {"npz": "ep_0003.npz"}}))
    (path,) = nwb_export.export_run(run, tmp_path / "out", log=lambda m: None)
    serious = [m for m in nwbinspector.inspect_nwbfile(nwbfile_path=path)
               if m.importance != nwbinspector.Importance.BEST_PRACTICE_SUGGESTION]
    assert serious == [], [(m.check_function_name, m.message) for m in serious]
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        f = io.read()
        assert f.subject.species == "Drosophila melanogaster"
        misc = f.processing["misc"]
        assert list(misc["populations"]["label"].data[:]) == [f"pop{i}" for i in range(16)]
        assert list(misc["command_names"]["label"].data[:]) == [f"cmd{i}" for i in range(6)]
        assert misc["model_rates"].unit == "Hz" and "'populations' table" in misc["model_rates"].description
        assert "'command_names' table" in misc["model_commands"].description
        assert f.processing["behavior"]["Position"]["thorax_xyz"].conversion == pytest.approx(1e-2)  # cm
