"""tasks/optomotor/random_dots_reference.py and its derivation: wild-type larvae in the random-dot paradigm."""

import json

import pytest
import yaml

from tasks.optomotor import random_dots_reference as R
from tasks.optomotor.tools import derive_random_dots_reference as D


def test_the_bundled_csv_matches_its_pinned_hash_and_provenance():
    prov = yaml.safe_load((R.DATA / "PROVENANCE_random_dots.yaml").read_text())
    assert prov["output_sha256"] == R.SHA256
    assert prov["source"]["commit"] == D.SOURCE_COMMIT
    assert {f["path"]: f["sha256"] for f in prov["source"]["files"]} == D.SOURCE_SHA256
    rows = R.load()
    assert len(rows) == prov["rows"]
    assert {r["experiment"] for r in rows} == set(D.EXPERIMENTS.values())   # no surrogate (model) data


def test_summary_is_a_rising_psychometric_and_chronometric_curve():
    s = R.summary()
    assert s["n_experiments"] == 7 and s["coherence"] == [0.0, 0.25, 0.5, 1.0]
    p = [a["mean"] for a in s["p_correct"]]
    assert p[0] == pytest.approx(0.5, abs=0.02)               # no motion signal at 0 %
    assert p == sorted(p) and p[-1] > 0.7
    rate = [a["mean"] for a in s["bout_rate_hz"]]
    assert rate == sorted(rate)                                # bouts come faster with more coherent motion
    for a in s["p_correct"] + s["bout_rate_hz"]:
        assert a["lo"] <= a["mean"] <= a["hi"] and a["n"] == 7
    after = R.after_motion(s, 0.5)
    assert [(b["since_lo_s"], b["since_hi_s"]) for b in after] == [(0.0, 2.0), (2.0, 4.0)]
    assert after[0]["mean"] > after[1]["mean"] > 0.5           # the bias decays after the motion stops
    assert [b["since_lo_s"] for b in R.build_up(s, 0.5)] == [0.0, 2.0, 4.0, 6.0, 8.0]


def test_a_changed_csv_is_refused_with_its_name(tmp_path):
    bad = tmp_path / "bahl_lab_random_dots_wt.csv"
    bad.write_bytes(R.CSV.read_bytes().replace(b"50.2043", b"60.2043"))
    with pytest.raises(ValueError, match="bahl_lab_random_dots_wt.csv: sha256"):
        R.load(bad)


def test_derivation_checks_the_source_hash_and_keeps_only_wild_type(tmp_path):
    out_dir = tmp_path / "tyler_analysis" / "analysis_output"
    out_dir.mkdir(parents=True)
    for f in D.SOURCE_FILES:
        (tmp_path / f).write_text("{}")
    with pytest.raises(SystemExit, match="analysis_output1.txt: sha256 .* is not the pinned"):
        D.read_source(tmp_path)

    def entry(gen, idx, value):
        return {"gen": gen, "fileIndex": idx, "output": [gen, [[value] * 4, [1.0] * 4]]}

    def binned(gen, idx, value):
        return {"gen": gen, "fileIndex": idx, "output": [gen, [[[value] * 8] * 4, [[1.0] * 8] * 4]]}

    data = {}
    for key in ("twoAa", "oneA", "twoAb"):
        data[key] = [entry(g, i, 50.0 if g == "wt" else 99.0) for i in range(10) for g in ("wt", "het", "hom")]
    data["twoB"] = [binned(g, i, 50.0 if g == "wt" else 99.0) for i in range(10) for g in ("wt", "het", "hom")]
    rows = D.derive(json.loads(json.dumps(data)))
    assert len(rows) == 7 * (3 * 4 + 4 * 8)
    assert {r["mean"] for r in rows} == {50.0}                 # het / hom rows never enter
    data["oneA"] = [e for e in data["oneA"] if not (e["gen"] == "wt" and e["fileIndex"] == 3)]
    with pytest.raises(SystemExit, match="0 wild-type rows for experiment 3"):
        D.derive(data)
