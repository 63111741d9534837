"""Model YAML units are parsed from an allow-list of Brian2 unit names: never evaluated."""

from __future__ import annotations

import pytest
import yaml

from nervous_systems.network_model import MODELS_DIR, ModelFileError, NetworkModel, parse_unit

pytest.importorskip("brian2")


@pytest.mark.parametrize("text, expected", [
    ("mV", "mV"), ("1/mV", "1/mV"), ("psiemens", "psiemens"), ("1", "1"), ("ms ** 2", "ms**2"),
    ("2*ms", "2*ms"), ("metre**-2", "metre**-2"), ("mV/ms**2", "mV/ms**2"), ("s", "second"),
])
def test_units_parse_to_brian2_quantities(text, expected):
    import brian2
    ns = {k: getattr(brian2, k) for k in ("mV", "psiemens", "ms", "metre", "second")}
    want = {"mV": ns["mV"], "1/mV": 1 / ns["mV"], "psiemens": ns["psiemens"], "1": 1.0,
            "ms**2": ns["ms"] ** 2, "2*ms": 2 * ns["ms"], "metre**-2": ns["metre"] ** -2,
            "mV/ms**2": ns["mV"] / ns["ms"] ** 2, "second": ns["second"]}[expected]
    got = parse_unit(text)
    assert float(got / want) == pytest.approx(1.0)


@pytest.mark.parametrize("text", [
    "__import__('os').system('touch PWNED')", "importlib", "brian2", "mV.dim", "(mV)", "mV**x",
    "ms**1.5", "*mV", "mV*", "mV mV", "", "exp(1)", "mV; import os", "lambda: 0",
])
def test_anything_but_units_is_refused_with_where(text):
    with pytest.raises(ModelFileError) as info:
        parse_unit(text, "m.yaml: parameters.tau.unit")
    msg = str(info.value)
    assert msg.startswith("m.yaml: parameters.tau.unit: unit ") and "\n" not in msg


def test_model_yaml_with_code_in_a_unit_fails_naming_file_and_key_and_runs_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    raw = yaml.safe_load((MODELS_DIR / "graded_kunert2014.yaml").read_text())
    raw["parameters"]["C"]["unit"] = "__import__('os').system('touch PWNED') or pfarad"
    path = tmp_path / "evil.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ModelFileError, match=r"evil\.yaml: parameters\.C\.unit: unit .*not a Brian2 unit"):
        NetworkModel.load(path)
    raw["parameters"]["C"]["unit"] = "importlib"  # a name that Brian2's namespace used to expose
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ModelFileError, match=r"parameters\.C\.unit"):
        NetworkModel.load(path)
    assert not (tmp_path / "PWNED").exists()


def test_shipped_models_load_with_the_same_values():
    for name in ("graded_kunert2014", "lif_shiu2024"):
        model = NetworkModel.load(name)
        ns = model.namespace()
        assert ns and model.dt() > 0
    import brian2
    assert NetworkModel.load("graded_kunert2014").namespace()["beta"] == 0.125 / brian2.mV
