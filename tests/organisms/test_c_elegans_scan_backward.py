"""The backward-locomotion scan writes parameter files that the loader accepts and that reach the bridge.

Fast: no simulation (the scan itself is a diagnostic, README section 5.1)."""

import pytest
import yaml

from organisms.c_elegans import BRIDGE_YAML
from organisms.c_elegans.params import load_params
from organisms.c_elegans.tools.scan_backward import ROOT, write_variant


def test_variant_sets_the_A_type_receptive_field_and_gain_only(tmp_path):
    src = ROOT / "organisms/c_elegans/params/connectome.yaml"
    dst = tmp_path / "v.yaml"
    write_variant(src, dst, -0.15, 60.0, {"bridge.head_stretch.gain_mV": 0.0})
    ps = load_params(dst)
    cfg = ps.apply_to_bridge(yaml.safe_load(BRIDGE_YAML.read_text()))
    sensors = {s["name"]: s for s in cfg["sensors"]}
    assert [t["offset"] for t in sensors["A_stretch"]["targets"]] == [-0.15, -0.15]
    assert [t["gain_mV"] for t in sensors["A_stretch"]["targets"]] == [60.0, 60.0]
    assert [t["gain_mV"] for t in sensors["head_stretch"]["targets"]] == [0.0, 0.0]
    assert [t["offset"] for t in sensors["B_stretch"]["targets"]] == [-0.15, -0.15]   # untouched
    base = load_params(src)
    changed = {k for k in ps.parameters
               if k not in base.parameters or ps.parameters[k].value != base.parameters[k].value}
    assert changed == {"bridge.A_stretch.offset", "bridge.A_stretch.gain_mV", "bridge.head_stretch.gain_mV"}


def test_unknown_extra_entry_is_one_clear_error(tmp_path):
    src = ROOT / "organisms/c_elegans/params/connectome.yaml"
    with pytest.raises(SystemExit, match="class.NOPE.gain"):
        write_variant(src, tmp_path / "v.yaml", 0.0, 30.0, {"class.NOPE.gain": 1.0})


def test_added_bridge_entry_is_one_block_for_both_worm_tools(tmp_path):
    from organisms.c_elegans.tools.evoked_backward import tail_off_params
    from organisms.c_elegans.tools.scan_backward import add_bridge_entry

    p = {}
    add_bridge_entry(p, "bridge.x.gain_mV", 0, unit="mV", source="s")
    assert p == {"bridge.x.gain_mV": {"value": 0.0, "bounds": [0.0, 0.0], "unit": "mV", "fit": False, "source": "s"}}
    with pytest.raises(ValueError, match="class.NOPE.gain: only bridge"):
        add_bridge_entry(p, "class.NOPE.gain", 1.0)
    doc = yaml.safe_load(tail_off_params(tmp_path).read_text())  # evoked_backward's tail-off copy
    assert doc["parameters"]["bridge.tail_stretch.gain_mV"] == {
        "value": 0.0, "bounds": [0.0, 0.0], "unit": "mV", "fit": False,
        "source": "evoked_backward diagnostic: tail reflex off"}
