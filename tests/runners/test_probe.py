"""`cgym probe ORGANISM ...`: the organism is parsed first, its probe module adds its options."""

import sys
import types

import pytest

from runners import cli
from runners.execution import probe


def _fake_module(calls):
    mod = types.ModuleType("cgym_test_fake_probe")
    mod.__doc__ = "A fake worm probe (test only)."

    def add_arguments(parser):
        parser.add_argument("--neuron", default="AWC", help="neuron to probe")
        parser.add_argument("--steps", type=int, default=3, help="steps")

    def run(args):
        calls.append(args)
        return 7 if args.neuron == "FAIL" else 0
    mod.add_arguments, mod.run = add_arguments, run
    return mod


@pytest.fixture
def fake(monkeypatch):
    calls = []
    monkeypatch.setitem(sys.modules, "cgym_test_fake_probe", _fake_module(calls))
    monkeypatch.setitem(probe.PROBE_MODULES, "celegans", "cgym_test_fake_probe")
    return calls


def test_dispatches_to_the_organism_module_with_its_options(fake):
    assert cli.main(["probe", "celegans", "--neuron", "AIY", "--steps", "5"]) == 0
    (args,) = fake
    assert (args.neuron, args.steps, args.organism) == ("AIY", 5, "celegans")


def test_aliases_and_exit_code_of_the_module(fake):
    assert cli.main(["probe", "worm"]) == 0 and fake[-1].neuron == "AWC"
    assert cli.main(["probe", "C_Elegans", "--neuron", "FAIL"]) == 7


def test_organism_help_shows_the_module_options(fake, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["probe", "celegans", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "cgym probe celegans" in out and "--neuron" in out and "(default: AWC)" in out
    assert not fake


def test_bad_option_of_the_module_is_a_usage_error(fake, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["probe", "celegans", "--nope"])
    assert e.value.code == 2 and "--nope" in capsys.readouterr().err and not fake


def test_unknown_organism_one_line_exit_2(capsys):
    assert cli.main(["probe", "octopus"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown organism 'octopus'" in err[0] and "celegans" in err[0]


def test_absent_probe_module_one_line_exit_2(monkeypatch, capsys):
    monkeypatch.setitem(probe.PROBE_MODULES, "celegans", "cgym_test_no_such_probe_module")
    assert cli.main(["probe", "celegans", "--anything"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no probe for organism 'celegans'" in err[0]


def test_module_without_the_interface_is_refused(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "cgym_test_empty_probe", types.ModuleType("cgym_test_empty_probe"))
    monkeypatch.setitem(probe.PROBE_MODULES, "drosophila", "cgym_test_empty_probe")
    assert cli.main(["probe", "fly"]) == 2
    assert "lacks add_arguments, run" in capsys.readouterr().err
