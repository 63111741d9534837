"""The worm's backward-mechanism diagnostics: command-state spectrum and evoked-backward helpers."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from organisms.c_elegans.tools.command_state import command_signal, main as command_main, spectrum_shares
from organisms.c_elegans.tools.evoked_backward import parse_seeds, tail_off_params


def test_spectrum_shares_tell_a_rhythm_from_slow_states():
    dt = 0.04
    t = np.arange(0, 60, dt)
    rhythm = spectrum_shares(np.sin(2 * np.pi * 0.8 * t), dt)
    assert rhythm["band_0.5_2Hz"] > 0.95 and abs(rhythm["peak_Hz"] - 0.8) < 0.05 and rhythm["autocorr_s"] < 0.3
    states = np.where((t // 15) % 2 == 0, 1.0, -1.0)          # 15 s dwell on each side
    slow = spectrum_shares(states - states.mean(), dt)
    assert slow["slow_lt_0.2Hz"] > 0.9 and slow["autocorr_s"] > 3


def test_command_signal_reads_an_episode_file_and_names_a_missing_neuron(tmp_path, capsys):
    t = np.arange(0, 10, 0.04)
    names = np.array(["AVAL", "AVAR", "AVBL", "AVBR"])
    v = np.stack([np.sin(t), np.sin(t), -np.sin(t), -np.sin(t)], axis=1)
    good = tmp_path / "ep_0001.npz"
    np.savez(good, neural_t=t, neural_v=v, neural_names=names)
    d, dt = command_signal(good)
    assert abs(dt - 0.04) < 1e-9 and np.allclose(d, 2 * np.sin(t[t > 2]) - np.mean(2 * np.sin(t[t > 2])))
    bad = tmp_path / "ep_0002.npz"
    np.savez(bad, neural_t=t, neural_v=v[:, :2], neural_names=names[:2])
    assert command_main([str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "AVBL" in err and err.count("\n") == 1


def test_evoked_backward_seed_range_and_tail_off_copy(tmp_path):
    assert parse_seeds("1000-1007") == (1000, 8) and parse_seeds("5") == (5, 1)
    with pytest.raises(SystemExit, match="--seeds"):
        parse_seeds("10-2")
    path = tail_off_params(tmp_path)
    doc = yaml.safe_load(path.read_text())
    assert doc["parameters"]["bridge.tail_stretch.gain_mV"]["value"] == 0.0


def test_evoked_backward_judges_uninstalled_fits_by_their_files(tmp_path):
    from organisms.c_elegans.tools.evoked_backward import conditions, main

    fits = tmp_path / "fits"
    conds = dict((label, args) for label, args, _ in conditions([2], fits))
    assert f"params={fits / 'connectome' / 'fitted_params.yaml'}" in conds["connectome"]
    assert f"params={fits / 'shuffled-2' / 'fitted_params.yaml'}" in conds["shuffled 2"]
    assert "--lesion" in conds["connectome, no A class (VA, DA lesioned)"]
    installed = dict((label, args) for label, args, _ in conditions([2]))
    assert not any(a.startswith("params=") for a in installed["connectome"])
    with pytest.raises(SystemExit, match="no .*connectome/fitted_params.yaml"):
        main(["--fits", str(fits), "--out", str(tmp_path / "o")])



def test_animal_spread_reads_runs_and_counts_only_crawling_animals(tmp_path):
    import json

    from organisms.c_elegans.tools.animal_spread import crawling, spread, table
    eps = tmp_path / "run" / "episodes"
    eps.mkdir(parents=True)
    speeds = [0.20, 0.22, 0.24, 0.01]                       # the last animal does not crawl
    for i, v in enumerate(speeds):
        f = {"centroid_speed": v, "undulation_frequency": 0.3, "wavelength": 0.6,
             "forward_fraction": 1.0 if v > 0.05 else 0.5}
        (eps / f"ep_{i}.json").write_text(json.dumps({"status": "ok", "features": f}))
    s = spread(np.array(speeds))
    assert s["n"] == 4 and abs(s["sd"] - np.std(speeds, ddof=1)) < 1e-12
    assert s["sd_ci"][0] <= s["sd"] <= s["sd_ci"][1]
    out = table([tmp_path / "run"])
    assert "| 3/4 |" in out and "Ramot 2008" in out
    assert crawling([{"forward_fraction": 0.95, "centroid_speed": 0.04}]) == 0
    with pytest.raises(SystemExit, match="no episodes"):
        table([tmp_path])


def test_an_animal_with_undefined_features_does_not_crawl():
    from organisms.c_elegans.tools.animal_spread import crawling

    assert crawling([{"forward_fraction": None, "centroid_speed": 0.1},
                     {"forward_fraction": 0.95, "centroid_speed": None},
                     {"forward_fraction": 0.95, "centroid_speed": 0.1}]) == 1
