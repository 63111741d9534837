"""The perturbation benchmark: library checks, paired statistics, verdicts, and an end-to-end
run through the sweep machinery on a fake task whose lesions have known effects."""

import os
import sys

import numpy as np
import pytest
import yaml

sys.path.insert(0, os.path.dirname(__file__))

import _fit_fakes as FF  # noqa: E402
from runners.execution import perturbation as P  # noqa: E402


def test_bundled_library_has_the_required_phenotypes_with_citations():
    lib = P.load_library()
    assert lib.version and len(lib.content_hash) == 64
    by_id = {e.id: e for e in lib.entries}
    need = {"AIY_ablation_reversal_rate": ("AIY", "reversal_rate", "increase", "pnas.0409009101"),
            "AIB_ablation_reversal_rate": ("AIB", "reversal_rate", "decrease", "pnas.0409009101"),
            "AVA_ablation_backward_fraction": ("AVA", "backward_fraction", "decrease",
                                               "JNEUROSCI.05-04-00956.1985"),
            "ASE_ablation_chemotaxis_index": ("ASEL", "chemotaxis_index", "decrease",
                                              "0896-6273(91)90276-6")}
    for pid, (neuron, metric, direction, doi) in need.items():
        e = by_id[pid]
        assert neuron in e.lesion and e.metric == metric and e.direction == direction
        assert doi in e.source["doi"] and e.source["citation"]
    from tasks.chemotaxis.features import FEATURE_DOCS
    for e in lib.entries:   # every metric is something the benchmark can compute
        assert (e.metric in FEATURE_DOCS or e.metric in P.DERIVED_METRICS
                or e.metric in P.POPULATION_METRICS), e.metric


def test_library_errors_name_the_file_and_entry(tmp_path):
    bad = tmp_path / "lib.yaml"
    bad.write_text(yaml.safe_dump({"entries": [{"id": "x", "lesion": ["AIY"], "task": "t",
                                                "metric": "m", "direction": "up",
                                                "source": {"citation": "A 2000", "doi": "1"}}]}))
    with pytest.raises(P.PerturbationLibraryError, match=r"lib.yaml: entries\[0\]: direction"):
        P.load_library(bad)
    base = {"id": "x", "task": "t", "metric": "m", "direction": "increase",
            "source": {"citation": "A 2000", "doi": "1"}}
    for extra, msg in (({"lesion": ["AIY"], "activate": ["AVA"]}, "give exactly one of lesion / activate"),
                       ({}, "give exactly one of lesion / activate"),
                       ({"activate": []}, "activate is a list"),
                       ({"activate": ["AVA"], "activate_mV": -5}, "activate_mV must be a number > 0"),
                       ({"lesion": ["AVA"], "activate_mV": 5}, "activate_mV belongs to an activate")):
        bad.write_text(yaml.safe_dump({"entries": [{**base, **extra}]}))
        with pytest.raises(P.PerturbationLibraryError, match=r"lib.yaml: entries\[0\]: " + msg):
            P.load_library(bad)


def _ph(metric="reversal_rate", direction="increase"):
    return P.Phenotype("t", "", ("AIY",), "task", metric, direction, "", {"citation": "A",
                                                                          "doi": "d"})


def test_paired_effect_and_verdicts():
    intact = [{"reversal_rate": r} for r in (1.0, 2.0, 1.5, 3.0, 2.0, 1.0)]
    up = [{"reversal_rate": r + 1.0 + 0.1 * i} for i, r in enumerate((1.0, 2.0, 1.5, 3.0, 2.0, 1.0))]
    eff = P.paired_effect(intact, up, "reversal_rate")
    assert eff["n"] == 6 and eff["effect"] == pytest.approx(1.25) and eff["ci"][0] > 0
    assert P.verdict(_ph(), eff)[0] == "reproduced"
    assert P.verdict(_ph(direction="decrease"), eff)[0] == "opposite"
    noisy = [{"reversal_rate": r + s} for r, s in zip((1.0, 2.0, 1.5, 3.0, 2.0, 1.0),
                                                        (1, -1, 1, -1, 0.5, -0.5))]
    assert P.verdict(_ph(), P.paired_effect(intact, noisy, "reversal_rate"))[0] == \
        "no detectable effect"
    # a failed episode drops its pair; too few pairs is insufficient data
    few = P.paired_effect(intact[:3] + [None] * 3, up, "reversal_rate")
    assert few["n"] == 3 and P.verdict(_ph(), few)[0] == "insufficient data"
    # a decrease of something the intact brain never does cannot be tested
    zeros = [{"reversal_rate": 0.0}] * 6
    v, why = P.verdict(_ph(direction="decrease"), P.paired_effect(zeros, zeros, "reversal_rate"))
    assert v == "insufficient data" and "nothing to decrease" in why
    # a perturbation that changes nothing at all (neurons the brain lacks) is not a test
    same = [{"reversal_rate": 1.0, "centroid_speed": 0.1}] * 5
    assert P.unreached(same, [dict(x) for x in same])
    assert not P.unreached(same, [dict(x, centroid_speed=0.1001) for x in same])
    assert not P.unreached(same[:3], same[:3])          # too few pairs to say
    # animals that stop under the perturbation do not move backward: a miss, not missing data
    moving = [{"forward_fraction": 1.0, "reversal_rate": 0.0}] * 6
    still = [{"reversal_rate": 0.0}] * 5 + [{"forward_fraction": 0.5, "reversal_rate": 1.0}]
    back = _ph("backward_fraction")
    eff = P.paired_effect(moving, still, "backward_fraction")
    assert eff["n"] == 1 and P.verdict(back, eff)[0] == "insufficient data"
    v, why = P.judge(back, moving, still, eff)
    assert P.stopped(moving, still) == (5, 6)
    assert v == "no detectable effect" and "5 of 6 perturbed animals never move" in why
    # fewer than half stopped: judged on the animals that move; other metrics: not concerned
    some = [{"reversal_rate": 0.0}] * 2 + [{"forward_fraction": 0.5}] * 4
    assert P.judge(back, moving, some, P.paired_effect(moving, some, "backward_fraction"))[0] == \
        "reproduced"
    rr = P.paired_effect(moving, still, "reversal_rate")
    assert P.judge(_ph(), moving, still, rr) == P.verdict(_ph(), rr)
    # derived metric
    ff = [{"forward_fraction": 0.25}]
    assert P.metric_values(ff, "backward_fraction")[0] == pytest.approx(0.75)


def test_population_metric_is_bootstrapped_paired():
    intact = [{"in_target_end": 1.0, "in_control_end": 0.0}] * 6 + \
             [{"in_target_end": 0.0, "in_control_end": 0.0}] * 2
    ablated = [{"in_target_end": 0.0, "in_control_end": 0.0}] * 8
    eff = P.paired_effect(intact, ablated, "chemotaxis_index")
    assert eff["intact"] == pytest.approx(0.75) and eff["perturbed"] == 0.0
    assert eff["effect"] == pytest.approx(-0.75) and eff["ci"][1] < 0
    assert P.verdict(_ph("chemotaxis_index", "decrease"), eff)[0] == "reproduced"
    v, why = P.verdict(_ph("chemotaxis_index", "decrease"),
                       P.paired_effect(ablated, ablated, "chemotaxis_index"))
    assert v == "insufficient data" and "no chemotaxis" in why


def _fake_library(tmp_path, *entries):
    """A library file for the fake task (tests/runners/_fit_fakes.py): each entry gets the fake
    task and a source; metric defaults to centroid_speed."""
    src = {"citation": "Fake 2000", "doi": "10.0000/fake"}
    lib = tmp_path / "lib.yaml"
    lib.write_text(yaml.safe_dump({"library": "fake", "version": "1", "entries": [
        {"task": "fake/chemotaxis", "metric": "centroid_speed", "source": src, **e} for e in entries]}))
    return lib


def test_end_to_end_on_a_fake_task(tmp_path):
    lib = _fake_library(
        tmp_path,
        {"id": "slow", "lesion": ["AVB"], "direction": "decrease"},
        {"id": "wrong_way", "lesion": ["FAST"], "direction": "decrease"},
        {"id": "nothing", "lesion": ["AIY"], "direction": "increase"},
        {"id": "driven", "activate": ["FAST"], "activate_mV": 10, "direction": "increase"})
    res = P.run_perturbations(FF.BRAIN, {"base": 0.5}, tmp_path / "out", seeds=[0, 1, 2, 3, 4],
                              duration=0.4, library=lib, workers=0, progress=False,
                              log=lambda m: None)
    got = {r["metric"]: r["phenotype_verdict"] for r in res["rows"]}
    assert got == {"slow": "reproduced", "wrong_way": "opposite",
                   "nothing": "insufficient data", "driven": "reproduced"}
    # the fake brain ignores AIY: its lesioned episodes equal the intact ones, which tests nothing
    assert "does not reach this brain" in {r["metric"]: r["why"] for r in res["rows"]}["nothing"]
    assert {r["verdict"] for r in res["rows"]} == {"pass", "fail", "insufficient data"}
    assert res["schema"] == "cgym.benchmark/1" and res["benchmark"] == "celegans/perturbations"
    md = (tmp_path / "out" / "perturbations.md").read_text()
    assert md.count("| slow |") == 1 and "| driven | activate FAST (+10 mV) |" in md
    # the phenotype x brain table of finished runs; runs of another library are refused
    other = dict(res, brain_info={"brain_options": {"base": 0.9}})
    md = P.compare_markdown([res, other], ["a", "b"])
    assert "fitfake (base=0.5)" in md and "fitfake (base=0.9)" in md
    assert md.count("| driven | activate FAST (+10 mV) |") == 1 and "**total**" in md
    assert md.count("**reproduced**") == 4
    # the intact rows carry what real worms do, from the reference library with its citation
    assert "| real worms (reference library) |" in md and "(Ramot 2008) |" in md and "(Zhao 2003) |" in md
    bad_lib = dict(other, library={**res["library"], "content_hash": "0" * 64})
    with pytest.raises(P.PerturbationLibraryError, match="b: library v1"):
        P.compare_markdown([res, bad_lib], ["a", "b"])
    old_run = dict(res, table=[{k: v for k, v in t.items() if k != "perturbation"} for t in res["table"]])
    with pytest.raises(P.PerturbationLibraryError, match="b: written by an older version"):
        P.compare_markdown([res, old_run], ["a", "b"])
    # a brain that is already perturbed is refused (the benchmark sets the perturbations)
    with pytest.raises(P.PerturbationLibraryError, match="brain_options.activate"):
        P.run_perturbations(FF.BRAIN, {"activate": ["AVA"]}, tmp_path / "o2", seeds=[0],
                            library=lib, workers=0, progress=False)
    # the same seeds for intact and lesioned: every row paired all 5
    assert all(r["n"] == 5 for r in res["rows"])
    summ = res["intact_summary"]           # what the intact animals do, printed beside the verdicts
    assert summ["n"] == 5 and summ["centroid_speed"] > 0 and "crawling" in summ
    assert np.isfinite([r["model"] for r in res["rows"]]).all()


def test_pulse_window_entries(tmp_path):
    """An activate entry with window_s: the brain gets activate_window_s, both twins are measured
    inside the window from their recordings, and a window past the episode is refused."""
    lib = _fake_library(tmp_path, {"id": "pulse", "activate": ["FAST"], "window_s": [0.2, 0.8],
                                   "metric": "forward_fraction", "direction": "decrease"})
    ph = P.load_library(lib).entries[0]
    assert ph.window_s == (0.2, 0.8) and ph.label == "activate FAST (0.2–0.8 s)"
    assert ph.brain_options() == {"activate": ["FAST"], "activate_window_s": [0.2, 0.8]}
    res = P.run_perturbations(FF.BRAIN, {"base": 0.5}, tmp_path / "out", seeds=[0, 1, 2, 3],
                              duration=1.0, library=lib, workers=0, progress=False,
                              log=lambda m: None)
    assert len(list((tmp_path / "out" / "episodes").glob("activate-FAST?0.2-0.8s__*"))) == 1
    row, = res["table"]
    # the fake worm only crawls forward: measured in the window, forward fraction 1 in both twins
    assert row["n"] == 4 and row["intact"] == 1.0 and row["perturbed"] == 1.0
    assert row["verdict"] == "no detectable effect"
    with pytest.raises(P.PerturbationLibraryError, match="window ends at 0.8 s, after the episode"):
        P.run_perturbations(FF.BRAIN, {}, tmp_path / "o2", seeds=[0], duration=0.5, library=lib,
                            workers=0, progress=False)


@pytest.mark.parametrize("change,match", [
    ({"window_s": [0.5, 0.2]}, "0 <= t_on < t_off"),
    ({"window_s": [1, "x"]}, "window_s must be"),
    ({"window_s": [0, 1], "metric": "approach"}, "cannot be measured in a window"),
    ({"window_s": [0, 1], "lesion": ["AIY"], "activate": None}, "belongs to an activate entry"),
])
def test_window_errors_name_the_file_and_entry(tmp_path, change, match):
    e = {"id": "p", "activate": ["AIB"], "task": "celegans/chemotaxis", "metric": "reversal_rate",
         "direction": "increase", "source": {"citation": "A", "doi": "d"}, **change}
    e = {k: v for k, v in e.items() if v is not None}
    path = tmp_path / "lib.yaml"
    path.write_text(yaml.safe_dump({"library": "x", "version": "1", "entries": [e]}))
    with pytest.raises(P.PerturbationLibraryError, match=match) as exc:
        P.load_library(path)
    assert str(path) in str(exc.value) and "entries[0]" in str(exc.value)


def test_suite_entry_on_a_brain_without_neurons_reports_insufficient_data(tmp_path):
    res = P.benchmark_run("reflex", {}, tmp_path, seeds=[0, 1], quick=True, progress=False)
    assert res["benchmark"] == "celegans/perturbations" and res["rows"]
    assert {r["verdict"] for r in res["rows"]} == {"insufficient data"}
    assert "cannot run the perturbations" in res["rows"][0]["why"]
    assert len(res["rows"]) == len(P.load_library().entries)


def test_suite_quick_mode_reports_a_pulse_after_its_episodes_as_not_run(tmp_path):
    lib = _fake_library(tmp_path, {"id": "slow", "lesion": ["AVB"], "direction": "decrease"},
                        {"id": "late", "activate": ["FAST"], "window_s": [20, 40],
                         "metric": "reversal_rate", "direction": "increase"})
    res = P.benchmark_run(FF.BRAIN, {"base": 0.5}, tmp_path / "out", seeds=[0, 1, 2, 3],
                          quick=True, progress=False, library=lib, workers=0)
    got = {r["metric"]: r for r in res["rows"]}
    assert got["slow"]["phenotype_verdict"] == "reproduced"
    assert got["late"]["verdict"] == "insufficient data" and "ends at 40 s" in got["late"]["why"]


def test_bundled_library_names_resolve_in_the_cook_connectome():
    from organisms.c_elegans.connectomes import load_connectome
    c = load_connectome()
    lib = P.load_library()
    kinds = {e.manipulation for e in lib.entries}
    assert kinds == {"lesion", "activate"}
    for e in lib.entries:
        names = e.activate or e.lesion
        assert c.resolve(list(names)), e.id          # raises on an unknown name
        want = {"activate": sorted(names)} if e.activate else {"lesion": sorted(names)}
        if e.window_s:                                  # a pulse: the brain's activation window
            want["activate_window_s"] = list(e.window_s)
        assert e.brain_options() == want
