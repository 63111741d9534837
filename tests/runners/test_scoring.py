import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import _runner_fakes as F  # noqa: E402

from runners.scoring.scorecard import (compare_samples, energy_coefficient, energy_distance,  # noqa: E402
                             judge_population, ks_statistic, reference_drawer, score_runs)

ENTRY = F.FakeEntry("centroid_speed", "normal", mean=0.22, sd=0.03)


def _score(model, entry=ENTRY, seed=0):
    draw, n_ref = reference_drawer(entry)
    return compare_samples(np.asarray(model), draw, n_rep=200,
                           rng=np.random.default_rng(seed), n_ref=n_ref)


def test_reference_against_itself_scores_about_one_and_passes():
    rng = np.random.default_rng(42)
    for n in (10, 30):
        res = _score(ENTRY.sample(n, rng))
        assert res["passed"] and res["score"] > 0.85, res


def test_shifted_copies_degrade_monotonically():
    rng = np.random.default_rng(1)
    base = ENTRY.sample(20, rng)
    scores = [_score(base + k * ENTRY.sd)["score"] for k in (0, 1, 2, 3)]
    assert all(a > b for a, b in zip(scores, scores[1:])), scores
    assert scores[0] > 0.85 and scores[3] < 0.3


def test_zero_speed_model_scores_low_and_fails():
    res = _score(np.zeros(8))
    assert not res["passed"] and res["score"] < 0.05 and res["distance"] == 1.0


def test_samples_entry_matched_subsampling():
    ref = F.FakeEntry("x", "samples", samples=np.random.default_rng(3).normal(0, 1, 50))
    res = _score(np.random.default_rng(4).choice(ref.samples, 10, replace=False), ref)
    assert res["passed"]
    res = _score(np.random.default_rng(4).normal(0, 1, 40), ref)   # 2n > 50: noted
    assert "with replacement" in res["note"]


def test_distances():
    x = np.random.default_rng(0).normal(size=(25, 3))
    assert energy_distance(x, x) == pytest.approx(0, abs=1e-12)
    assert energy_coefficient(x, x) == pytest.approx(0, abs=1e-12)
    assert energy_coefficient(x, x + 10) > 0.8 > energy_coefficient(x, x + 5) > 0.5
    assert 0 <= energy_coefficient(x, x + 0.3) <= 1
    assert ks_statistic([1, 2, 3], [1, 2, 3]) == 0 and ks_statistic([0, 0], [1, 1]) == 1
    # vector metric through compare_samples
    draw = lambda k, rng: rng.normal(size=(k, 3))  # noqa: E731
    good = compare_samples(np.random.default_rng(1).normal(size=(15, 3)), draw, 100)
    bad = compare_samples(np.random.default_rng(1).normal(size=(15, 3)) + 2, draw, 100)
    assert good["passed"] and not bad["passed"] and good["score"] > bad["score"]
    assert good["distance_kind"] == "energy coefficient"


def test_population_rule():
    e = F.FakeEntry("chemotaxis_index", "population", threshold=0.5)
    ok = judge_population({"value": 0.7, "ci_low": 0.55, "ci_high": 0.85}, e)
    assert ok["passed"] and ok["significant"] and ok["score"] == 1
    weak = judge_population({"value": 0.6, "ci_low": 0.2, "ci_high": 0.9}, e)
    assert weak["passed"] and not weak["significant"]
    low = judge_population({"value": 0.0, "ci_low": 0.0, "ci_high": 0.0}, e)
    assert not low["passed"] and low["score"] == 0
    e2 = F.FakeEntry("ci", "population", value=0.6, interval=[0.5, 0.7])
    assert not judge_population({"value": 0.1, "ci_low": 0.0, "ci_high": 0.2}, e2)["passed"]


def test_scorecard_with_control_runs(tmp_path):
    F.register()
    from runners.execution.episode import run_many
    for brain in ("random", "null"):
        run_many(F.FAKE_TASK, brain, episodes=4, seed=0, duration=1.0, out=tmp_path / brain,
                 progress=False, log=lambda m: None)
    card = score_runs([tmp_path / "random", tmp_path / "null"], tmp_path / "card",
                      reference=F.fake_library(), n_rep=50)
    md = (tmp_path / "card" / "scorecard.md").read_text()
    assert "| metric | unit |" in md and "random" in md and "null" in md
    assert "behavioural pass is not a mechanistic pass" in md
    assert (tmp_path / "card" / "scorecard.json").exists()
    assert "### Fake neural metric" in md and f"{len(card.tasks[0]['runs'])} run(s) seen" in md
    assert card.tasks[0]["sections"][0]["data"]["n_runs"] == len(card.tasks[0]["runs"])
    assert len(card.figures) == 4 and all((tmp_path / "card" / f).exists() for f in card.figures)
    t = card.tasks[0]
    speed = next(m for m in t["metrics"] if m["id"] == "centroid_speed")
    assert speed["runs"]["null"]["score"] < 0.05 and not speed["runs"]["null"]["passed"]
    assert t["not_measured"] == ["not_a_feature"]
    assert t["aggregates"]["null"]["weakest"]["id"] in ("centroid_speed", "in_target_end")


def test_scorer_reextracts_features_from_trajectories(tmp_path):
    """A scorecard reflects the current feature extractor: stored features are only a cache."""
    import json

    from runners.scoring.scorecard import load_run

    F.register()
    from runners.execution.episode import run_many
    run_many(F.FAKE_TASK, "random", episodes=2, seed=0, duration=1.0, out=tmp_path / "r",
             progress=False, log=lambda m: None)
    ep = sorted((tmp_path / "r" / "episodes").glob("ep_*.json"))[0]
    rec = json.loads(ep.read_text())
    true_speed = rec["features"]["centroid_speed"]
    rec["features"]["centroid_speed"] = 123.0  # a stale cache
    ep.write_text(json.dumps(rec))
    run = load_run(tmp_path / "r")
    first = run.episodes[0]
    assert first["features_source"] == "re-extracted from trajectory"
    assert first["features"]["centroid_speed"] == pytest.approx(true_speed)
    ep.with_suffix(".npz").unlink()  # no trajectory: the stored value is used, and said so
    run = load_run(tmp_path / "r")
    assert run.episodes[0]["features"]["centroid_speed"] == 123.0
    assert run.episodes[0]["features_source"].startswith("stored")
