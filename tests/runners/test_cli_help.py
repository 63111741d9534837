"""Every option of every cgym subcommand has help text, and the help shows defaults (issue 14 item 6)."""

import argparse
import importlib

import pytest

from runners import cli
from runners.execution import probe


def _subparsers(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _missing_help(parser, where):
    out = []
    for a in parser._actions:
        if isinstance(a, (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction)):
            continue
        if not a.help or a.help == argparse.SUPPRESS:
            out.append(f"{where} {'/'.join(a.option_strings) or a.dest}")
    return out


def test_every_option_of_every_subcommand_has_help():
    parser = cli.build_parser()
    subs = _subparsers(parser)
    assert {"list", "run", "sweep", "score", "bench", "atlas", "data", "probe"} <= set(subs)
    missing = _missing_help(parser, "cgym")
    for name, sp in subs.items():
        missing += _missing_help(sp, f"cgym {name}")
    assert not missing, "options without help: " + ", ".join(missing)


def test_help_shows_defaults():
    subs = _subparsers(cli.build_parser())

    def flat(sp):  # help lines wrap at the terminal width
        return " ".join(sp.format_help().split())
    text = flat(subs["run"])
    for shown in ("(default: 8)", "(default: connectome)", "(default: 60.0)", "(default: 0)"):
        assert shown in text, shown
    assert "(default: 2.0)" in flat(subs["bench"])
    assert "(default: 200)" in flat(subs["score"])
    # flags and unset options carry no misleading "(default: None/False)"
    assert "default: None" not in text and "default: False" not in text


@pytest.mark.parametrize("organism", sorted(probe.PROBE_MODULES))
def test_organism_probe_options_have_help(organism):
    """The organisms' own probe options (where the module exists on this branch)."""
    try:
        importlib.import_module(probe.PROBE_MODULES[organism])
    except ModuleNotFoundError as exc:
        if exc.name == probe.PROBE_MODULES[organism]:
            pytest.skip(f"{probe.PROBE_MODULES[organism]} not on this branch")
        raise
    parser = probe.organism_parser(organism, probe.load_probe_module(organism))
    missing = _missing_help(parser, f"cgym probe {organism}")
    assert not missing, "options without help: " + ", ".join(missing)
