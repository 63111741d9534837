"""Neuron/synapse models as data: equation strings with units + parameters, read from YAML.

A model file (see ``models/graded_kunert2014.yaml``) holds ``parameters`` (each a value, a Brian2
unit name and its origin), ``equations`` (Brian2 equation strings for the neuron group and each
synapse kind), ``numerics`` (dt, integration method) and model-specific settings. Nothing about
a model lives in Python code except the builder that wires it to a connectome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .yaml_file import YAMLFileError, load_yaml

MODELS_DIR = Path(__file__).resolve().parent / "models"


class ModelFileError(ValueError):
    pass


# A unit string is data, never code: names of Brian2 units, numbers, '*', '/' and '**' with an
# integer power, e.g. "mV", "1/mV", "psiemens", "metre**-2", "1". Nothing else is accepted.
_UNIT_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_]\w*)"
                         r"|(?P<op>\*\*|[*/])|(?P<bad>\S))")
_POWER = re.compile(r"\s*([+-]?\d+)")


def unit_names() -> dict:
    """The allow-list: every Brian2 unit by name (``brian2.units`` and ``allunits``), plus ``s``."""
    from .brian2_setup import brian2
    brian2()
    import brian2.units as units
    import brian2.units.allunits as allunits
    from brian2.units.fundamentalunits import Unit
    names = {k: v for mod in (allunits, units) for k, v in vars(mod).items()
             if isinstance(v, Unit) and not k.startswith("_")}
    names.setdefault("s", units.second)
    return names


def parse_unit(text: str, where: str = "unit"):
    """The Brian2 unit (or plain number) that ``text`` names; raises :class:`ModelFileError`
    naming ``where`` for anything but unit names, numbers, ``*``, ``/`` and ``**`` integer."""
    text = str(text)
    allowed = unit_names()
    result, op, pos, expect_operand = 1, "*", 0, True
    while pos < len(text.rstrip()):
        m = _UNIT_TOKEN.match(text, pos)
        if m is None or m.group("bad"):
            raise ModelFileError(f"{where}: unit {text!r} may only hold unit names, numbers, "
                                 f"'*', '/' and '**' with an integer power")
        pos = m.end()
        if m.group("op"):
            if expect_operand or m.group("op") == "**":
                raise ModelFileError(f"{where}: unit {text!r}: unexpected {m.group('op')!r}")
            op, expect_operand = m.group("op"), True
            continue
        if not expect_operand:
            raise ModelFileError(f"{where}: unit {text!r}: missing '*' or '/' before "
                                 f"{(m.group('num') or m.group('name'))!r}")
        if m.group("num"):
            value = float(m.group("num"))
        else:
            name = m.group("name")
            if name not in allowed:
                import difflib
                close = difflib.get_close_matches(name, list(allowed), n=3)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                raise ModelFileError(f"{where}: unit {text!r}: {name!r} is not a Brian2 unit{hint}")
            value = allowed[name]
        if text.startswith("**", pos) or text[pos:].lstrip().startswith("**"):
            pos = text.index("**", pos) + 2
            pm = _POWER.match(text, pos)
            if pm is None:
                raise ModelFileError(f"{where}: unit {text!r}: '**' needs an integer power")
            value, pos = value ** int(pm.group(1)), pm.end()
        result = result * value if op == "*" else result / value
        expect_operand = False
    if expect_operand:
        raise ModelFileError(f"{where}: unit {text!r} is empty or ends with an operator")
    return result


@dataclass
class NetworkModel:
    name: str
    citation: str
    parameters: dict[str, dict]
    equations: dict[str, str]
    numerics: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    @classmethod
    def load(cls, name_or_path: str | Path) -> "NetworkModel":
        path = Path(name_or_path)
        if not path.suffix:
            path = MODELS_DIR / f"{name_or_path}.yaml"
        if not path.exists():
            available = sorted(p.stem for p in MODELS_DIR.glob("*.yaml"))
            raise ModelFileError(f"no network model {str(name_or_path)!r}; available: {', '.join(available)}")
        try:
            raw = load_yaml(path)
        except YAMLFileError as exc:
            raise ModelFileError(str(exc)) from None
        for key in ("name", "parameters", "equations", "numerics"):
            if key not in raw:
                raise ModelFileError(f"{path}: missing top-level key {key!r}")
        for pname, spec in raw["parameters"].items():
            if not isinstance(spec, dict) or "value" not in spec or "unit" not in spec:
                raise ModelFileError(f"{path}: parameter {pname!r} needs 'value' and 'unit'")
            parse_unit(spec["unit"], f"{path}: parameters.{pname}.unit")
        if isinstance(raw["numerics"], dict) and isinstance(raw["numerics"].get("dt"), dict):
            parse_unit(raw["numerics"]["dt"].get("unit", "1"), f"{path}: numerics.dt.unit")
        known = {"name", "citation", "parameters", "equations", "numerics"}
        return cls(name=raw["name"], citation=raw.get("citation", ""), parameters=raw["parameters"],
                   equations=raw["equations"], numerics=raw["numerics"],
                   extra={k: v for k, v in raw.items() if k not in known}, source=str(path))

    def with_overrides(self, **values: float) -> "NetworkModel":
        """Copy with parameter values replaced (same units), e.g. ``with_overrides(g_gap=50)``."""
        params = {k: dict(v) for k, v in self.parameters.items()}
        for key, value in values.items():
            if key not in params:
                import difflib
                raise ModelFileError(f"model {self.name!r} has no parameter {key!r}"
                                     f" (close: {difflib.get_close_matches(key, list(params))})")
            params[key]["value"] = float(value)
        return NetworkModel(self.name, self.citation, params, dict(self.equations), dict(self.numerics),
                            dict(self.extra), self.source)

    def quantity(self, spec: dict, key: str = "unit"):
        """A Brian2 Quantity from a {value, unit} mapping (``key`` names it in errors)."""
        return float(spec["value"]) * parse_unit(spec["unit"], f"{self.source or self.name}: {key}")

    def namespace(self) -> dict:
        return {name: self.quantity(spec, f"parameters.{name}.unit")
                for name, spec in self.parameters.items()}

    def dt(self):
        return self.quantity(self.numerics["dt"], "numerics.dt.unit")

    def describe(self) -> dict:
        return {"name": self.name, "citation": self.citation,
                "parameters": {k: f"{v['value']} {v['unit']}" for k, v in self.parameters.items()},
                "dt": f"{self.numerics['dt']['value']} {self.numerics['dt']['unit']}",
                "method": self.numerics.get("method", "euler")}
