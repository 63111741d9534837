"""Every project YAML read by path names the file and line of a syntax error in one line."""

from __future__ import annotations

import importlib

import pytest

from nervous_systems.yaml_file import YAMLFileError, load_yaml, parse_key_values

BAD = "name: x\nparameters: [1, 2\nequations: {}\n"  # unclosed flow sequence


def _loader(dotted: str):
    module, _, attr = dotted.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def test_load_yaml_names_file_line_and_column(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    with pytest.raises(YAMLFileError) as info:
        load_yaml(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}, line 3, column ") and "invalid YAML" in msg and "\n" not in msg
    assert "<unicode string>" not in msg


def test_load_yaml_is_safe(tmp_path):
    path = tmp_path / "obj.yaml"
    path.write_text("x: !!python/object/apply:os.system ['touch PWNED']\n")
    with pytest.raises(YAMLFileError, match="obj.yaml, line 1"):
        load_yaml(path)
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("loader", [
    "nervous_systems.network_model.NetworkModel.load",
    "organisms.zebrafish.circuit.load_params",
    "organisms.drosophila.brain.load_cell_types",
    "organisms.drosophila.vnc.load_params",
    "runners.execution.sweep_spec.load_sweep",
    "tasks.reference.load_reference_file",
])
def test_every_project_yaml_loader_names_file_and_line(tmp_path, loader):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    if loader.endswith("NetworkModel.load"):
        from nervous_systems.network_model import NetworkModel
        fn = NetworkModel.load
    else:
        fn = _loader(loader)
    with pytest.raises(Exception) as info:
        fn(path)
    msg = str(info.value)
    assert f"{path}, line 3" in msg and "\n" not in msg, msg


def test_bridge_yaml_names_file_and_line(tmp_path):
    from nervous_systems.bridge import Bridge
    path = tmp_path / "bridge.yaml"
    path.write_text(BAD)
    with pytest.raises(YAMLFileError, match=r"bridge\.yaml, line 3"):
        Bridge(path, connectome=None, muscle_names=[], control_dt=0.01)


def test_key_values_read_json_then_yaml_then_string():
    got = parse_key_values(["tau=1e-3", "on=true", "flag=True", "params=organisms/x.yaml",
                            "m={a: 1}", "j={\"k\": [1, 2]}", "expr=a=b"], "--brain-option")
    assert got == {"tau": 0.001, "on": True, "flag": True, "params": "organisms/x.yaml",
                   "m": {"a": 1}, "j": {"k": [1, 2]}, "expr": "a=b"}


@pytest.mark.parametrize("item", ["novalue", "=3"])
def test_malformed_key_value_names_the_flag_and_item(item):
    with pytest.raises(ValueError, match=r"^--task-option .*expected KEY=VALUE"):
        parse_key_values([item], "--task-option")
