"""cgym fit: spec checks (per class, never per edge), CMA-ES through the real sweep path,
resume after a kill = an uninterrupted run, held-out evaluation."""

import importlib.util
import os
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, os.path.dirname(__file__))  # _fit_fakes for the workers too

import _fit_fakes as FF  # noqa: E402
from runners.io import recording  # noqa: E402
from runners.execution import fit  # noqa: E402

# the CMA-ES runs need the optional [fit] extra; spec checks and parsers do not
needs_cma = pytest.mark.skipif(importlib.util.find_spec("cma") is None,
                               reason="needs the cma package: pip install -e '.[fit]'")

HOOK = "_fit_fakes:hook"
BASE_PARAMS = {"classes": {"AVB": {"gain": 1.0, "tau": {"value": 0.1, "unit": "s"}},
                           "AIY": {"gain": 1.0}}}


def spec_dict(tmp_path, **over):
    base = tmp_path / "base_params.yaml"
    base.write_text(yaml.safe_dump(BASE_PARAMS))
    d = {"task": "fake/chemotaxis", "brain": FF.BRAIN, "params_base": str(base),
         "duration": 0.4, "seeds": [11, 12],
         "parameters": [{"path": "params.classes.AVB.gain", "bounds": [0.1, 2.0], "scale": "log",
                         "init": 1.0},
                        {"path": "brain_options.base", "bounds": [0.2, 0.8]}],
         # speed = 0.4 * gain * base mm/s: target 0.12 mm/s
         "objective": {"feature": "centroid_speed", "goal": {"target": 0.12, "scale": 0.05}},
         "budget": {"generations": 2}, "optimiser": {"popsize": 4, "sigma0": 0.3, "seed": 7}}
    d.update(over)
    return d


def run(tmp_path, name, spec, **kw):
    return fit.run_fit(fit.parse_fit_spec(spec, "fit.yaml"), tmp_path / name, workers=0,
                       progress=False, log=lambda m: None, episode_hook=HOOK, **kw)


@needs_cma
def test_resume_after_kill_equals_uninterrupted_run(tmp_path):
    spec = spec_dict(tmp_path)
    full = run(tmp_path, "full", spec)
    assert full.generations == 2 and full.episodes == 2 * 4 * 2
    assert full.episodes_per_hour > 0 and "episodes/hour" in fit.fit_report(full)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, "killed", spec, _stop_after_generation=1)
    st = recording.read_json(tmp_path / "killed" / fit.STATE_FILE)
    assert len(st["generations"]) == 1
    # a killed generation 2 may have left finished episodes: they are reused, not rerun
    resumed = run(tmp_path, "killed", spec)
    assert resumed.episodes_run == 4 * 2          # only generation 2 ran
    a = recording.read_json(tmp_path / "full" / fit.STATE_FILE)
    b = recording.read_json(tmp_path / "killed" / fit.STATE_FILE)
    assert [g["X"] for g in a["generations"]] == [g["X"] for g in b["generations"]]
    assert [g["fitness"] for g in a["generations"]] == [g["fitness"] for g in b["generations"]]
    assert a["state"] == b["state"] and a["best"]["values"] == b["best"]["values"]
    # the fit improved on something and its output params YAML is a usable params file
    fitted = yaml.safe_load((tmp_path / "full" / fit.FITTED_FILE).read_text())
    assert fitted["classes"]["AVB"]["gain"] == pytest.approx(a["best"]["values"]
                                                             ["params.classes.AVB.gain"])
    assert fitted["classes"]["AVB"]["tau"] == {"value": 0.1, "unit": "s"}
    prov = fitted["fit"]
    assert prov["training_seeds"] == [11, 12] and prov["optimiser"]["popsize"] == 4
    assert prov["budget"]["generations"] == 2 and prov["best_objective"] == a["best"]["objective"]
    assert "command" in prov and "git_commit" in prov
    assert prov["brain_option_values"]["base"] == pytest.approx(
        a["best"]["values"]["brain_options.base"])
    # every candidate's episodes really ran: its objective is computed from its own episodes,
    # and their speed follows the drive the candidate's parameters set
    g1 = a["generations"][0]
    drive, speed = [], []
    for k, (v, obj) in enumerate(zip(g1["values"], g1["objective"])):
        eps = [recording.read_json(p) for p in
               sorted((tmp_path / "full" / "gen_0001").glob(f"cand{k:03d}_*/episodes/*.json"))]
        assert len(eps) == 2 and all(e["status"] == "ok" for e in eps)
        m = sum(e["features"]["centroid_speed"] for e in eps) / 2
        assert obj == pytest.approx(-abs(m - 0.12) / 0.05)
        drive.append(min(1.0, v["params.classes.AVB.gain"] * v["brain_options.base"]))
        speed.append(m)
    assert sorted(range(4), key=drive.__getitem__) == sorted(range(4), key=speed.__getitem__)
    # a finished fit reruns nothing; a changed spec is refused in the same folder
    again = run(tmp_path, "full", spec)
    assert again.episodes_run == 0 and again.best_values == full.best_values
    with pytest.raises(fit.FitError, match="different spec"):
        run(tmp_path, "full", {**spec, "seeds": [11, 13]})



@needs_cma
def test_a_larger_budget_resumes_a_finished_fit_and_equals_that_budget_from_the_start(tmp_path):
    """The budget is not part of what a fit is: a finished fit's state file, copied into a new
    folder and given the same spec with more generations, continues where it stopped and ends
    exactly where a fit with the larger budget from the start ends (RECORD.md 5.16 relies on it)."""
    spec2 = spec_dict(tmp_path)
    spec3 = {**spec2, "budget": {"generations": 3}}
    assert fit.parse_fit_spec(spec2, "a.yaml").hash() == fit.parse_fit_spec(spec3, "b.yaml").hash()
    run(tmp_path, "two", spec2)
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / fit.STATE_FILE).write_bytes((tmp_path / "two" / fit.STATE_FILE).read_bytes())
    more = run(tmp_path, "more", spec3)
    assert more.generations == 3 and more.episodes_run == 4 * 2      # only generation 3 ran
    whole = run(tmp_path, "three", spec3)
    a = recording.read_json(tmp_path / "more" / fit.STATE_FILE)
    b = recording.read_json(tmp_path / "three" / fit.STATE_FILE)
    assert [g["X"] for g in a["generations"]] == [g["X"] for g in b["generations"]]
    assert [g["fitness"] for g in a["generations"]] == [g["fitness"] for g in b["generations"]]
    assert a["best"]["values"] == b["best"]["values"] and whole.best_values == more.best_values

@needs_cma
def test_held_out_evaluation_refuses_training_seeds(tmp_path):
    spec = spec_dict(tmp_path, budget={"generations": 1})
    run(tmp_path, "f", spec)
    with pytest.raises(fit.FitError, match="used in training"):
        fit.evaluate_fit(tmp_path / "f", [12, 50], progress=False, workers=0)
    res = fit.evaluate_fit(tmp_path / "f", [50, 51, 52], progress=False, workers=0,
                           log=lambda m: None, episode_hook=HOOK)
    assert set(res["rows"]) == {"fitted", "initial"} and res["held_out_seeds"] == [50, 51, 52]
    assert res["rows"]["fitted"]["n_failed"] == 0
    assert "held-out" in fit.evaluation_table(res)


@pytest.mark.parametrize("path, match", [
    ("params.edges.AIY.gain", "addresses connections"),
    ("params.weights.0", "addresses connections"),
    ("params.classes.AIY->AIB.gain", "looks like a connection"),
    ("params.chemical.AIY:AIB", "looks like a connection"),
    ("brain_options.model_overrides.w", "addresses connections"),
    ("brain_options.lesion", "not a continuous parameter"),
    ("classes.AIY.gain", "must start with"),
])
def test_per_edge_parameters_are_refused(tmp_path, path, match):
    spec = spec_dict(tmp_path)
    spec["parameters"][0] = {"path": path, "bounds": [0.1, 2.0]}
    with pytest.raises(fit.FitError, match=match):
        fit.parse_fit_spec(spec, "fit.yaml")


def test_edges_named_by_two_neurons_or_single_neurons_are_refused():
    names = {"AIYL", "AIYR", "AIY", "AIBL", "AIBR", "AIB", "DVA"}
    class_of = {"AIYL": ("AIY", 2), "AIYR": ("AIY", 2), "DVA": ("DVA", 1)}
    with pytest.raises(fit.FitError, match="two neurons in a row"):
        fit.check_path_is_per_class("params.classes.AIY.AIB.gain", "x", names, class_of)
    with pytest.raises(fit.FitError, match="use the class AIY"):
        fit.check_path_is_per_class("params.classes.AIYL.gain", "x", names, class_of)
    fit.check_path_is_per_class("params.classes.AIY.gain", "x", names, class_of)
    fit.check_path_is_per_class("params.classes.DVA.tau", "x", names, class_of)  # 1-neuron class


@pytest.mark.parametrize("over, match", [
    ({"budget": {}}, "budget"),
    ({"objective": {"feature": "x", "goal": "best"}}, "goal must be"),
    ({"parameters": [{"path": "params.classes.AVB.gain", "bounds": [0, 1], "scale": "log"}]},
     "log scale needs bounds > 0"),
    ({"parameters": [{"path": "params.classes.AVB.gain", "bounds": [1, 2], "init": 3}]},
     "outside the bounds"),
    ({"parameters": [{"path": "params.classes.AVB.gain", "bounds": [1, 2]}]},
     "at least two parameters"),
    ({"optimiser": {"popsize": 4, "sigmo": 0.2}}, "Did you mean sigma0"),
    ({"params_base": None}, "params_base"),
])
def test_bad_specs_say_what_is_wrong(tmp_path, over, match):
    with pytest.raises(fit.FitError, match=match):
        fit.parse_fit_spec(spec_dict(tmp_path, **over), "fit.yaml")


def test_missing_params_key_is_named(tmp_path):
    spec = spec_dict(tmp_path)
    spec["parameters"][0] = {"path": "params.classes.AVB.gainn", "bounds": [0.1, 2.0]}
    with pytest.raises(fit.FitError, match="gainn.*not found"):
        run(tmp_path, "bad", spec)


@pytest.mark.slow
@needs_cma
def test_fit_on_a_process_pool_matches_inline(tmp_path):
    """Two generations on a 2-worker process pool (kept open between generations) give the
    same optimiser history as inline."""
    spec = spec_dict(tmp_path)
    inline = run(tmp_path, "inline", spec)
    pool = fit.run_fit(fit.parse_fit_spec(spec, "fit.yaml"), tmp_path / "pool", workers=2,
                       progress=False, log=lambda m: None, episode_hook=HOOK)
    a = recording.read_json(tmp_path / "inline" / fit.STATE_FILE)
    b = recording.read_json(tmp_path / "pool" / fit.STATE_FILE)
    assert [g["fitness"] for g in a["generations"]] == [g["fitness"] for g in b["generations"]]
    assert pool.episodes_per_hour and pool.episodes_per_hour > 0
    assert inline.best_values == pool.best_values


FLAT_PARAMS = {"schema": "cgym.celegans.params/1", "brain": "shared-start", "fit": None,
               "parameters": {
                   "class.AVB.gain": {"value": 1.0, "bounds": [0.1, 3.0], "unit": "1",
                                      "fit": True, "log": True, "source": "neutral start"},
                   "class.AIY.gain": {"value": 1.0, "bounds": [0.1, 3.0], "unit": "1",
                                      "fit": False, "source": "neutral start"}}}


def flat_spec(tmp_path, params):
    base = tmp_path / "flat.yaml"
    base.write_text(yaml.safe_dump(FLAT_PARAMS))
    return spec_dict(tmp_path, params_base=str(base), budget={"generations": 1},
                     parameters=params + [{"path": "brain_options.base", "bounds": [0.2, 0.8]}])


@needs_cma
def test_params_file_entries_give_bounds_and_only_fit_true_entries_are_fitted(tmp_path):
    spec = flat_spec(tmp_path, [{"path": "params.class.AVB.gain"}])
    run(tmp_path, "flat", spec)
    st = recording.read_json(tmp_path / "flat" / fit.STATE_FILE)
    assert st["parameters"][0]["bounds"] == [0.1, 3.0] and st["parameters"][0]["scale"] == "log"
    assert st["parameters"][0]["init"] == 1.0
    out = yaml.safe_load((tmp_path / "flat" / fit.FITTED_FILE).read_text())
    assert out["schema"] == "cgym.celegans.params/1"          # same layout, plus the fit block
    assert out["brain"] == FF.BRAIN and FF.BRAIN in out["description"]   # not the start file's brain
    e = out["parameters"]["class.AVB.gain"]
    assert e["value"] == pytest.approx(st["best"]["values"]["params.class.AVB.gain"])
    assert e["bounds"] == [0.1, 3.0] and "fitted" in e["source"]
    assert out["parameters"]["class.AIY.gain"]["value"] == 1.0
    assert out["fit"]["training_seeds"] == [11, 12]
    with pytest.raises(fit.FitError, match="fit: false"):
        run(tmp_path, "f2", flat_spec(tmp_path, [{"path": "params.class.AIY.gain"}]))
    with pytest.raises(fit.FitError, match="exceed the params file's bounds"):
        run(tmp_path, "f3", flat_spec(tmp_path, [{"path": "params.class.AVB.gain",
                                                  "bounds": [0.01, 3.0]}]))


def test_cli_parsers_have_help_for_every_option():
    """What `cgym fit` / `cgym perturbations` add to the CLI (runners/cli.py wires them)."""
    import argparse

    from runners.execution import perturbation
    top = argparse.ArgumentParser()
    sub = top.add_subparsers()
    for mod in (fit, perturbation):
        sp = mod.add_parser(sub)
        for a in sp._actions:
            if not isinstance(a, argparse._HelpAction):
                assert a.help, f"{sp.prog}: {a.option_strings or a.dest} has no help"
    args = top.parse_args(["fit", "celegans/chemotaxis", "--controls", "--spec", "F.yaml"])
    assert args.func is fit.cli_main and args.controls
    assert fit.controls_commands("celegans/chemotaxis", "F.yaml", "o")[1].endswith(
        "--brain shuffled --brain-option shuffle_seed=1")


@pytest.mark.parametrize("spec_path", sorted(
    str(p) for p in (Path(__file__).resolve().parents[2] / "organisms" / "c_elegans" / "fits").glob("*.yaml")))
def test_every_committed_worm_fit_spec_parses_and_its_start_file_allows_its_parameters(spec_path):
    spec = fit.load_fit_spec(spec_path)
    cands = fit.Candidates(spec, Path("unused"))        # resolves every path against params_base
    assert len(cands.params) == len(spec.parameters) >= 6
    assert all(p.low < p.high for p in cands.params)


def _probe_spec(tmp_path, **over):
    probe = {"name": "fast", "brain_options": {"lesion": ["FAST"]}, "duration": 0.3,
             "penalties": [{"feature": "centroid_speed", "target": 0.2, "scale": 0.05, "weight": 2.0}]}
    return spec_dict(tmp_path, probes=[{**probe, **over}])


@pytest.mark.parametrize("over, match", [
    ({"penalties": []}, "needs at least one penalty"),
    ({"penalties": [{"feature": "centroid_speed", "target": "reference"}]}, "numeric target"),
    ({"name": "a b"}, "name must be"),
    ({"brain_option": {}}, "Did you mean brain_options"),
    ({"duration": -1}, "duration must be > 0"),
])
def test_bad_probes_say_what_is_wrong(tmp_path, over, match):
    with pytest.raises(fit.FitError, match=match):
        fit.parse_fit_spec(_probe_spec(tmp_path, **over), "fit.yaml")


def test_probes_enter_the_hash_and_the_budget_only_when_given(tmp_path):
    plain = fit.parse_fit_spec(spec_dict(tmp_path), "fit.yaml")
    probed = fit.parse_fit_spec(_probe_spec(tmp_path), "fit.yaml")
    assert plain.hash() != probed.hash()
    assert plain.budget()["episodes_per_generation"] == 4 * 2
    assert probed.budget()["episodes_per_generation"] == 4 * 2 * 2


@needs_cma
def test_a_probe_runs_every_candidate_again_and_its_penalty_lowers_the_objective(tmp_path):
    res = run(tmp_path, "p", {**_probe_spec(tmp_path), "budget": {"generations": 1}})
    assert res.episodes == 4 * 2 * 2
    st = recording.read_json(tmp_path / "p" / fit.STATE_FILE)
    g1 = st["generations"][0]
    for k, (obj, det) in enumerate(zip(g1["objective"], g1["details"])):
        def speeds(pattern):
            eps = [recording.read_json(p) for p in sorted((tmp_path / "p" / "gen_0001").glob(pattern))]
            assert len(eps) == 2 and all(e["status"] == "ok" for e in eps)
            return sum(e["features"]["centroid_speed"] for e in eps) / 2
        main, probe = speeds(f"cand{k:03d}_*/episodes/*.json"), speeds(f"cand{k:03d}-fast_*/episodes/*.json")
        assert probe > main                        # the probe's option (the FAST lesion) took effect
        assert obj == pytest.approx(-abs(main - 0.12) / 0.05 - 2.0 * abs(probe - 0.2) / 0.05)
        assert det["probe:fast"]["n_used"] == 2
    fitted = yaml.safe_load((tmp_path / "p" / fit.FITTED_FILE).read_text())
    assert fitted["fit"]["probes"][0]["name"] == "fast"


def _relative_spec(tmp_path, **over):
    # the objective: speed on the main runs minus speed under the FAST lesion (same seeds)
    probe = {"name": "fast", "brain_options": {"lesion": ["FAST"]}, "duration": 0.3}
    d = spec_dict(tmp_path, probes=[probe])
    d["objective"] = {"feature": "centroid_speed", "goal": "maximize", "relative_to": "fast", **over}
    return d


@pytest.mark.parametrize("over, match", [
    ({"relative_to": "slow"}, "no probe named 'slow'"),
    ({"relative_to": ""}, "the name of a probe"),
    ({"feature": "chemotaxis_index"}, "population statistic"),
])
def test_bad_relative_objectives_say_what_is_wrong(tmp_path, over, match):
    with pytest.raises(fit.FitError, match=match):
        fit.parse_fit_spec(_relative_spec(tmp_path, **over), "fit.yaml")


def test_a_baseline_probe_needs_no_penalty_and_scoring_subtracts_its_mean(tmp_path):
    spec = fit.parse_fit_spec(_relative_spec(tmp_path), "fit.yaml")
    assert spec.probes[0].penalties == ()
    main = [{"centroid_speed": 0.10}, {"centroid_speed": 0.14}, None]
    base = [{"centroid_speed": 0.30}, {"centroid_speed": 0.20}]
    score, det = fit.score_with_probes(spec, main, [base], None)
    assert score == pytest.approx(0.12 - 0.25)
    assert det["baseline:fast"] == {"mean": pytest.approx(0.25), "n": 2}
    score, det = fit.score_with_probes(spec, main, [[None, {}]], None)   # no usable baseline
    assert score == -1e6 and "baseline" in det["note"]
    with pytest.raises(fit.FitError, match="baseline probe"):
        fit.score_candidate(spec.objective, main)
    # a probe that is not the baseline still needs a penalty
    d = _relative_spec(tmp_path)
    d["probes"].append({"name": "other", "brain_options": {}})
    with pytest.raises(fit.FitError, match="needs at least one penalty"):
        fit.parse_fit_spec(d, "fit.yaml")


def test_a_penalty_with_a_tolerance_is_zero_inside_the_band_and_linear_outside(tmp_path):
    d = _relative_spec(tmp_path)
    d["objective"]["penalties"] = [{"feature": "undulation_frequency", "target": 0.3, "scale": 0.05,
                                    "tolerance": 0.1, "weight": 2.0}]
    spec = fit.parse_fit_spec(d, "fit.yaml")
    base = [{"centroid_speed": 0.0, "undulation_frequency": 0.3}]
    inside = [{"centroid_speed": 0.1, "undulation_frequency": 0.38}]
    outside = [{"centroid_speed": 0.1, "undulation_frequency": 0.15}]
    s_in, det = fit.score_with_probes(spec, inside, [base], None)
    assert s_in == pytest.approx(0.1) and det["penalty:undulation_frequency"]["penalty"] == 0.0
    s_out, det = fit.score_with_probes(spec, outside, [base], None)
    assert s_out == pytest.approx(0.1 - 2.0 * (0.15 - 0.1) / 0.05)   # |0.15 - 0.3| - 0.1 = 0.05
    assert det["penalty:undulation_frequency"]["tolerance"] == 0.1
    assert fit.parse_fit_spec(_relative_spec(tmp_path), "fit.yaml").hash() != spec.hash()
    d["objective"]["penalties"][0]["tolerance"] = -0.1
    with pytest.raises(fit.FitError, match="tolerance must be >= 0"):
        fit.parse_fit_spec(d, "fit.yaml")


@pytest.mark.parametrize("fitted", sorted(
    str(p) for p in (Path(__file__).resolve().parents[2] / "organisms" / "c_elegans" / "params").rglob("*.yaml")
    if (yaml.safe_load(p.read_text()) or {}).get("brain") == "connectome"
    and ((yaml.safe_load(p.read_text()) or {}).get("fit") or {}).get("spec_hash")))
def test_a_committed_connectome_fit_still_matches_its_spec_hash(fitted):
    # what resuming a committed fit needs: spec options added later (probes, tolerance) must not
    # change the hash of a spec that does not use them (the controls' files are fitted with other
    # brain options than their spec's defaults, so only the connectome's are checked here)
    block = yaml.safe_load(Path(fitted).read_text())["fit"]
    root = Path(__file__).resolve().parents[2]
    assert fit.load_fit_spec(root / block["spec"]).hash() == block["spec_hash"]


@needs_cma
def test_a_relative_objective_runs_the_baseline_for_every_candidate(tmp_path):
    res = run(tmp_path, "r", {**_relative_spec(tmp_path), "budget": {"generations": 1}})
    assert res.episodes == 4 * 2 * 2
    st = recording.read_json(tmp_path / "r" / fit.STATE_FILE)
    for k, (obj, det) in enumerate(zip(st["generations"][0]["objective"], st["generations"][0]["details"])):
        def speeds(pattern):
            eps = [recording.read_json(p) for p in sorted((tmp_path / "r" / "gen_0001").glob(pattern))]
            return sum(e["features"]["centroid_speed"] for e in eps) / len(eps)
        main, base = speeds(f"cand{k:03d}_*/episodes/*.json"), speeds(f"cand{k:03d}-fast_*/episodes/*.json")
        assert obj == pytest.approx(main - base) and obj < 0   # the FAST lesion makes the fake faster
    with pytest.raises(fit.FitError, match="runs no probes"):
        fit.evaluate_fit(tmp_path / "r", [99], progress=False, log=lambda m: None, episode_hook=HOOK)
