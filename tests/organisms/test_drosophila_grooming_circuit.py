"""Grooming-circuit identities by root id, the Shiu 2024 probe on a graph with a PLANTED
JO-CE -> aBN1 -> aDN1/aDN2 pathway, shuffled-edge labelling, benchmark registration, and the
rule that no task imports an organism (issues 14 and 15)."""

import argparse
import ast
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from organisms.drosophila import flywire, identities, probe, surrogate
from organisms.drosophila.brain import shuffled_edge_set

ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------ identities
def test_pinned_root_ids_resolve_from_type_and_soma_side():
    ann = flywire.load_annotations()
    neurons = flywire.NeuronTable(ann)
    for pop, rid in identities.SHIU_PINS.items():
        idx = neurons.resolve(identities.PIN_NAMES[pop])        # e.g. SAD093:left, DNg62:right
        assert neurons.root_ids[idx].tolist() == [rid], pop
        # ... and by circuit side (the sources' label) through the identity table
        assert identities.root_ids(pop, "left").tolist() == [rid]
        d = identities.describe(rid)
        assert d["shiu2024_pin"] and d["circuit_side"] == "left"
    # aBN1 soma on its circuit side; aDN1 and aDN2 somata on the OTHER side (Codex)
    assert identities.describe(identities.SHIU_PINS["aBN1"])["soma_side"] == "left"
    assert identities.describe(identities.SHIU_PINS["aDN1"])["soma_side"] == "right"
    assert identities.describe(identities.SHIU_PINS["aDN2"])["soma_side"] == "right"
    # the contralateral homologs are the same types with the other soma side
    for pop, typ in (("aBN1", "SAD093"), ("aDN1", "DNg62"), ("aDN2", "DNge078")):
        (other,) = identities.root_ids(pop, "right")
        assert neurons.root_ids[neurons.resolve(typ)].tolist() == sorted({other, identities.SHIU_PINS[pop]})


def test_shiu_drive_set_is_left_jo_ce_with_one_id_missing_from_v783():
    rows = identities.rows("JO-CE-Shiu2024")
    assert len(rows) == 70 and rows["in_v783"].sum() == 69
    assert rows.loc[rows.in_v783 == 0, "root_id"].tolist() == [720575940626307902]
    present = rows[rows.in_v783 == 1]
    assert set(present["soma_side"]) == {"left"}
    assert all(t.startswith(("JO-C", "JO-E")) for t in present["codex_type"])
    assert len(identities.rows("JO-F-Shiu2024")) == 60
    with pytest.raises(identities.IdentityError, match="did you mean"):
        identities.root_ids("aDN")


# ------------------------------------------------------------------ the Shiu protocol on a planted graph
@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    return surrogate.write_small_graph(tmp_path_factory.mktemp("fly_planted"), plant_grooming=True)


def _args(**kw):
    p = argparse.ArgumentParser()
    probe.add_arguments(p)
    argv = []
    for k, v in kw.items():
        argv += [f"--{k.replace('_', '-')}"] + (v if isinstance(v, list) else [str(v)])
    return p.parse_args(argv)


def test_shiu_protocol_reads_out_the_planted_pathway(planted, tmp_path, capsys):
    out = tmp_path / "probe.json"
    assert probe.run(_args(edges=planted, rates="0,200", trials=1, out=out)) == 0
    table = capsys.readouterr().out
    assert "PLANTED" in table and "SURROGATE" in table
    for rid in identities.SHIU_PINS.values():
        assert str(rid) in table
    res = json.loads(out.read_text())
    assert res["drive"]["neurons"] == 69 and res["drive"]["root_ids_missing_from_graph"] == [720575940626307902]
    for pop in ("aBN1", "aDN1", "aDN2"):
        r = probe.rate_of(res, pop, "left")
        assert r[0] == 0 and r[1] > 10, (pop, r)            # rises with JO-CE drive
        assert probe.rate_of(res, pop, "right")[1] < 5      # the other circuit side stays quiet
    # silencing aBN1 removes aDN1's drive (the planted path is the only one)
    sil = probe.shiu2024(edges=str(planted), rates_hz=(200,), trials=1, silence=("aBN1",))
    assert probe.rate_of(sil, "aBN1", "left")[0] == 0
    assert probe.rate_of(sil, "aDN1", "left")[0] < 0.5 * probe.rate_of(res, "aDN1", "left")[1]


def test_probe_cli_rejects_bad_input_in_one_line(planted):
    code = ("import sys, argparse; from organisms.drosophila import probe; p = argparse.ArgumentParser(); "
            "probe.add_arguments(p); sys.exit(probe.run(p.parse_args(sys.argv[1:])))")
    r = subprocess.run([sys.executable, "-c", code, "--edges", str(planted), "--drive", "aDN", "--trials", "1"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 2 and "aDN" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-c", code, "--rates", "10,-5"], cwd=ROOT, capture_output=True,
                       text=True, timeout=120, check=False)
    assert r.returncode == 2 and "rates" in r.stderr


# ------------------------------------------------------------------ labelling of shuffled edges
def test_shuffled_real_edges_are_labelled_shuffled_with_their_own_hash():
    rng = np.random.default_rng(0)
    n = 300
    keys = np.unique(rng.integers(0, n * n, 3000))
    pre, post = (keys // n).astype(np.int32), (keys % n).astype(np.int32)
    ok = pre != post
    real = flywire.EdgeSet(n, pre[ok], post[ok], np.ones(ok.sum(), np.float32), "real-v783", sha256="ab" * 32)
    sh = shuffled_edge_set(real, seed=3)
    assert sh.kind == "shuffled-real-v783" and not sh.surrogate
    assert sh.sha256 != real.sha256 and sh.details["shuffled_from_sha256"] == real.sha256
    assert sh.label().startswith("SHUFFLED") and not sh.label().startswith("FlyWire")
    assert sh.describe()["kind"] == "shuffled-real-v783"
    assert any("SHUFFLED" in lab for lab in probe.edge_set_labels(sh))


# ------------------------------------------------------------------ benchmarks registration
def test_benchmarks_register_into_the_suite_registry():
    from organisms.drosophila import benchmarks, suite

    got = {}

    class BenchmarkSpec:
        def __init__(self, **kw):
            self.__dict__.update(kw)
    assert suite.register(BenchmarkSpec, lambda spec: got.setdefault(spec.name, spec)) == list(got)
    assert set(got) == {"drosophila/shiu2024", "drosophila/side-selectivity", "drosophila/perturbations"}
    assert got["drosophila/perturbations"].kind == "perturbation" and got["drosophila/shiu2024"].kind == "neural"
    for spec in got.values():
        mod, fn = spec.run.split(":")
        assert mod == "organisms.drosophila.benchmarks" and callable(getattr(benchmarks, fn))
        assert spec.organism == "drosophila" and spec.description


def _check_schema(res, name):
    assert res["schema"] == "cgym.benchmark/1" and res["benchmark"] == name
    for r in res["rows"]:
        assert r["verdict"] in ("pass", "fail", "insufficient data", "not distinguishable") and r["source"]
    json.dumps(res)


def test_benchmark_side_selectivity_on_planted_graph(planted, tmp_path):
    from organisms.drosophila import benchmarks

    res = benchmarks.run_side_selectivity("connectome", {"edges": str(planted)}, tmp_path, seeds=[0], quick=True,
                                          progress=False)
    _check_schema(res, "drosophila/side-selectivity")
    assert any("SURROGATE" in lab for lab in res["labels"]) and "SURROGATE" in benchmarks.markdown(res)
    assert any("PLANTED" in n for n in res["notes"])
    assert len(res["rows"]) == 6 and all(r["verdict"] == "pass" for r in res["rows"])   # planted per side
    assert (tmp_path / "drosophila_side-selectivity.json").exists()
    null = benchmarks.run_shiu2024("null", {}, tmp_path, seeds=[0], quick=True, progress=False)
    assert null["rows"] == [] and "no neurons" in null["notes"][0]


@pytest.mark.slow
def test_benchmark_perturbations_on_planted_graph(planted, tmp_path):
    from organisms.drosophila import benchmarks

    res = benchmarks.run_perturbations("connectome", {"edges": str(planted)}, tmp_path, seeds=[0], quick=True,
                                       progress=False)
    _check_schema(res, "drosophila/perturbations")
    rows = {r["metric"]: r for r in res["rows"]}
    assert rows["abn1_activation_adn1"]["verdict"] == "pass"          # planted aBN1 -> aDN1
    assert rows["abn1_silencing_adn1"]["verdict"] == "pass"
    assert rows["cb0496_silencing_jo_f_abn1"]["verdict"] == "fail"    # nothing planted there: no response
    assert rows["suppression_hierarchy"]["verdict"] == "insufficient data"


# ------------------------------------------------------------------ import direction (issue 14)
def test_no_task_imports_an_organism():
    bad = []
    for path in (ROOT / "tasks").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            bad += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "organisms"]
    assert not bad, bad
