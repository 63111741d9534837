"""Reference libraries: loading, hashing, validation errors, sampling."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from tasks.reference import (
    KINDS,
    ReferenceLibraryError,
    list_references,
    load_reference,
)

BUNDLED = "celegans_chemotaxis_v1"

GOOD = {
    "library": "test_lib",
    "version": "0.1",
    "entries": [
        {
            "id": "speed",
            "description": "d",
            "unit": "mm/s",
            "kind": "samples",
            "values": [0.1, 0.2, 0.3, 0.25],
            "source": {"citation": "A 2000", "title": "t", "doi": "10.1000/xyz"},
        },
        {
            "id": "freq",
            "description": "d",
            "unit": "Hz",
            "kind": "normal",
            "mean": 0.3,
            "sem": 0.02,
            "n_animals": 16,
            "source": {"citation": "B 2001", "title": "t", "doi": "10.1000/abc"},
        },
        {
            "id": "ibi",
            "description": "d",
            "unit": "s",
            "kind": "lognormal",
            "median": 0.8,
            "gsd": 1.5,
            "n_animals": 18,
            "source": {"citation": "C 2002", "title": "t", "doi": "10.1000/def"},
        },
        {
            "id": "disp",
            "description": "d",
            "unit": "mm",
            "kind": "gamma",
            "mean": 2.5,
            "sd": 1.0,
            "n_animals": 18,
            "source": {"citation": "C 2002", "title": "t", "doi": "10.1000/def"},
        },
        {
            "id": "ci",
            "description": "d",
            "unit": "1",
            "kind": "population",
            "threshold": {"op": ">=", "value": 0.5},
            "source": {"citation": "D 1993", "title": "t", "doi": "10.1000/ghi"},
        },
    ],
}


def _write(tmp_path: Path, data, name="lib.yaml") -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    return p


def _copy():
    return yaml.safe_load(yaml.safe_dump(GOOD))


def test_bundled_library_loads():
    assert BUNDLED in list_references()
    lib = load_reference(BUNDLED)
    assert lib.version == "1.0.0" and lib.name == "celegans_chemotaxis"
    assert len(lib.content_hash) == 64
    for mid in ("centroid_speed", "undulation_frequency", "wavelength", "rms_curvature",
                "posture_variance_top4", "reversal_rate", "pirouette_klinokinesis_index",
                "weathervane_slope", "chemotaxis_index"):
        e = lib.get(mid)
        assert e.kind in KINDS and e.unit and e.source["citation"]
        assert e.doi or e.provisional
    assert lib.get("centroid_speed").mean == pytest.approx(0.219)
    assert lib.get("undulation_frequency").sd == pytest.approx(0.02 * math.sqrt(11))
    assert lib.get("chemotaxis_index").check(0.6) is True
    assert lib.get("chemotaxis_index").check(0.4) is False
    assert lib.get("rms_curvature").provisional
    assert "rms_curvature" not in [e.id for e in lib.scored_entries()]
    with pytest.raises(KeyError):
        lib.get("nope")


def test_hash_is_stable_and_tracks_content(tmp_path):
    a = load_reference(_write(tmp_path, GOOD, "a.yaml"))
    b = load_reference(_write(tmp_path, GOOD, "b.yaml"))
    assert a.content_hash == b.content_hash
    assert load_reference(BUNDLED).content_hash == load_reference(BUNDLED).content_hash
    # formatting / comments do not change the canonical hash ...
    p = tmp_path / "c.yaml"
    p.write_text("# a comment\n" + yaml.safe_dump(GOOD, sort_keys=True, indent=4))
    assert load_reference(p).content_hash == a.content_hash
    # ... a changed number does
    d = _copy()
    d["entries"][1]["mean"] = 0.31
    assert load_reference(_write(tmp_path, d, "d.yaml")).content_hash != a.content_hash


def _expect_error(tmp_path, data, *fragments):
    p = _write(tmp_path, data)
    with pytest.raises(ReferenceLibraryError) as ei:
        load_reference(p)
    msg = str(ei.value)
    assert str(p) in msg
    for frag in fragments:
        assert frag in msg, msg
    return msg


def test_missing_field_names_file_and_entry(tmp_path):
    d = _copy()
    del d["entries"][1]["unit"]
    _expect_error(tmp_path, d, "'freq'", "unit")


def test_unknown_kind(tmp_path):
    d = _copy()
    d["entries"][2]["kind"] = "weibull"
    _expect_error(tmp_path, d, "'ibi'", "unknown kind", "weibull")


def test_missing_doi(tmp_path):
    d = _copy()
    del d["entries"][0]["source"]["doi"]
    _expect_error(tmp_path, d, "'speed'", "DOI")
    d["entries"][0]["source"]["doi"] = "not-a-doi"
    _expect_error(tmp_path, d, "'speed'", "not a DOI")


def test_provisional_may_lack_doi_but_needs_notes(tmp_path):
    d = _copy()
    del d["entries"][4]["source"]["doi"]
    d["entries"][4]["status"] = "provisional"
    _expect_error(tmp_path, d, "'ci'", "notes")
    d["entries"][4]["notes"] = "primary source not found"
    lib = load_reference(_write(tmp_path, d))
    assert lib.get("ci").provisional


def test_parametric_needs_n_and_parameters(tmp_path):
    d = _copy()
    del d["entries"][1]["n_animals"]
    _expect_error(tmp_path, d, "'freq'", "n_animals")
    d = _copy()
    del d["entries"][3]["sd"]
    _expect_error(tmp_path, d, "'disp'", "gamma")
    d = _copy()
    d["entries"][4].pop("threshold")
    _expect_error(tmp_path, d, "'ci'", "population")


def test_duplicate_ids_and_top_level(tmp_path):
    d = _copy()
    d["entries"][1]["id"] = "speed"
    _expect_error(tmp_path, d, "'speed'", "duplicate")
    d = _copy()
    del d["version"]
    _expect_error(tmp_path, d, "version")


def test_sample_reproducible_and_shaped(tmp_path):
    lib = load_reference(_write(tmp_path, GOOD))
    for mid in ("speed", "freq", "ibi", "disp"):
        e = lib.get(mid)
        a = e.sample(50, np.random.default_rng(7))
        b = e.sample(50, np.random.default_rng(7))
        assert a.shape == (50,) and np.array_equal(a, b)
        assert e.sample(50, 7).tolist() == a.tolist()  # int seed works too
    with pytest.raises(TypeError):
        lib.get("ci").sample(5, 0)


def test_samples_kind_returns_the_samples(tmp_path):
    e = load_reference(_write(tmp_path, GOOD)).get("speed")
    vals = sorted([0.1, 0.2, 0.3, 0.25])
    assert sorted(e.sample(4, 0).tolist()) == vals
    assert set(e.sample(2, 0).tolist()) <= set(vals)
    big = e.sample(10, 0)
    assert big.size == 10 and set(vals) <= set(big.tolist())
    assert e.n_animals == 4


def test_parametric_moments(tmp_path):
    lib = load_reference(_write(tmp_path, GOOD))
    rng = np.random.default_rng(0)
    freq = lib.get("freq")
    assert freq.sd == pytest.approx(0.08)  # 0.02 * sqrt(16)
    x = freq.sample(200_000, rng)
    assert x.mean() == pytest.approx(0.3, abs=2e-3) and x.std() == pytest.approx(0.08, rel=0.02)
    ibi = lib.get("ibi").sample(200_000, rng)
    assert np.median(ibi) == pytest.approx(0.8, rel=0.02)
    disp = lib.get("disp")
    y = disp.sample(200_000, rng)
    assert y.mean() == pytest.approx(2.5, rel=0.02) and y.std() == pytest.approx(1.0, rel=0.03)
    assert disp.mean == pytest.approx(2.5) and disp.sd == pytest.approx(1.0)
