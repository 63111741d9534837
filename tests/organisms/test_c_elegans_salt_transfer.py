"""organisms.c_elegans.tools.salt_transfer: the slope, lag and size of each neuron's salt-following part."""

from __future__ import annotations

import numpy as np
import pytest


def _write_run(tmp_path, n_animals=4, lag_s=1.0, slope=3.0):
    ep_dir = tmp_path / "run" / "episodes"
    ep_dir.mkdir(parents=True)
    dt = 0.04
    t = np.arange(0, 120, dt)
    for i in range(n_animals):
        rng = np.random.default_rng(i)
        # a slowly wandering concentration (random walk, smoothed) as a crawling worm meets it
        c = 50 + np.cumsum(rng.normal(0, 0.2, t.size))
        c = np.convolve(c, np.ones(250) / 250, mode="same")   # slow next to the 2 s smoothing
        dc = np.gradient(np.convolve(c, np.ones(25) / 25, mode="same"), dt)
        k = int(round(lag_s / dt))
        follower = np.zeros_like(t)
        follower[k:] = slope * dc[:-k]
        follower += 2.0 * np.sin(2 * np.pi * 0.5 * t)   # the undulation, which the smoothing removes
        deaf = rng.normal(0, 1.0, t.size)
        v = np.stack([follower, deaf], axis=1).astype(np.float32)
        np.savez(ep_dir / f"ep_{i:04d}.npz", t=t, concentration=c, neural_v=v,
                 neural_names=np.array(["AIBL", "AVAL"]))
    return tmp_path / "run"


def test_a_follower_has_its_slope_and_lag_and_a_deaf_neuron_has_none(tmp_path):
    from organisms.c_elegans.tools.salt_transfer import transfer_of_run
    res = transfer_of_run(_write_run(tmp_path), ["AIBL", "AVAL"])
    f, d = res["neurons"]["AIBL"], res["neurons"]["AVAL"]
    assert res["n"] == 4
    assert np.allclose(f[:, 2], 1.0)              # the lag found
    assert np.all(f[:, 1] > 0.9)                  # correlation after the undulation is smoothed away
    assert np.allclose(f[:, 0], 3.0, rtol=0.15)   # mV per mM/s
    assert np.all(np.abs(d[:, 1]) < 0.3)


def test_table_and_errors_name_the_file_or_neuron(tmp_path, capsys):
    from organisms.c_elegans.tools.salt_transfer import main
    run = _write_run(tmp_path)
    assert main([str(run), "--neurons", "AIBL"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| AIBL |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "1.0" and 2.5 < float(cells[2].split()[0]) < 3.3 and "4 animals" in out
    assert main([str(run), "--neurons", "XYZ"]) == 2
    err = capsys.readouterr().err
    assert "XYZ" in err and err.count("\n") == 1
    assert main([str(tmp_path / "nothing")]) == 2
    assert "nothing" in capsys.readouterr().err
    bad = tmp_path / "bad" / "episodes"
    bad.mkdir(parents=True)
    np.savez(bad / "ep_0000.npz", t=np.arange(10.0))
    assert main([str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err
    assert "ep_0000.npz" in err and "neural_v" in err
    with pytest.raises(SystemExit):
        main([str(run), "--episodes", "0"])
