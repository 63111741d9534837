"""``cgym probe ORGANISM ...``: open-loop probes of an organism's brain, one module per organism.

The command parses the organism first, then hands the rest of the command line to that
organism's probe module (``organisms.<package>.probe``), which exposes::

    add_arguments(parser: argparse.ArgumentParser) -> None   # its own options
    run(args: argparse.Namespace) -> int                      # the exit code

``cgym probe ORGANISM --help`` shows the organism's options. The modules are chosen from the
fixed table below (never from a string read from a file); an unknown organism, or one whose
probe module is not there, is a one-line error with exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# organism name -> probe module (the organisms' own packages)
PROBE_MODULES = {
    "celegans": "organisms.c_elegans.probe",
    "drosophila": "organisms.drosophila.probe",
}
# other names the project uses for the same organisms (package names, body names)
ALIASES = {
    "c_elegans": "celegans", "c-elegans": "celegans", "c.elegans": "celegans", "elegans": "celegans",
    "worm": "celegans",
    "fly": "drosophila", "fruitfly": "drosophila", "fruit_fly": "drosophila",
}


class ProbeError(ValueError):
    """A one-line user error of ``cgym probe`` (exit code 2)."""


def canonical_organism(name: str) -> str:
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in PROBE_MODULES:
        names = ", ".join(sorted(PROBE_MODULES))
        raise ProbeError(f"unknown organism {name!r}; choose one of {names} "
                         f"(aliases: {', '.join(sorted(ALIASES))})")
    return key


def load_probe_module(organism: str):
    """The probe module of a canonical organism name (ProbeError when it is absent or lacks
    ``add_arguments``/``run``)."""
    modname = PROBE_MODULES[organism]
    try:
        module = importlib.import_module(modname)
    except ModuleNotFoundError as exc:
        if exc.name and (modname == exc.name or modname.startswith(exc.name + ".")):
            raise ProbeError(f"no probe for organism {organism!r}: module {modname} is not "
                             f"installed") from None
        raise ProbeError(f"the probe for {organism!r} ({modname}) needs the missing module "
                         f"{exc.name!r}: {exc}") from None
    missing = [f for f in ("add_arguments", "run") if not callable(getattr(module, f, None))]
    if missing:
        raise ProbeError(f"{modname} is not a probe module: it lacks {', '.join(missing)}()")
    return module


def organism_parser(organism: str, module) -> argparse.ArgumentParser:
    doc = (module.__doc__ or "").strip().split("\n")[0] or None
    parser = argparse.ArgumentParser(prog=f"cgym probe {organism}", description=doc,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    module.add_arguments(parser)
    if not any("--debug" in a.option_strings for a in parser._actions):
        parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                            help="show tracebacks on errors")
    return parser


def cmd_probe(args) -> int:
    try:
        organism = canonical_organism(args.organism)
        module = load_probe_module(organism)
    except ProbeError as exc:
        print(f"cgym probe: error: {exc}", file=sys.stderr)
        return 2
    pargs = organism_parser(organism, module).parse_args(list(args.probe_args or []))
    pargs.organism = organism
    if getattr(pargs, "debug", False):
        args.debug = True
    return int(module.run(pargs) or 0)


def add_parser(subparsers) -> argparse.ArgumentParser:
    names = ", ".join(sorted(PROBE_MODULES))
    s = subparsers.add_parser(
        "probe", help="open-loop probes of an organism's brain (cgym probe ORGANISM --help)",
        description=f"Open-loop probes of an organism's brain. Organisms: {names}. "
                    "The options after ORGANISM belong to that organism's probe: "
                    "see `cgym probe ORGANISM --help`.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    s.add_argument("organism", metavar="ORGANISM",
                   help=f"{names} (or an alias: {', '.join(sorted(ALIASES))})")
    s.add_argument("probe_args", nargs=argparse.REMAINDER, metavar="...",
                   help="the organism probe's own options")
    s.set_defaults(func=cmd_probe)
    return s
