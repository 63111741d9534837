"""Neuron/synapse models as data: equation strings with units + parameters, read from YAML.

A model file (see ``models/graded_kunert2014.yaml``) holds ``parameters`` (each a value, a Brian2
unit name and its origin), ``equations`` (Brian2 equation strings for the neuron group and each
synapse kind), ``numerics`` (dt, integration method) and model-specific settings. Nothing about
a model lives in Python code except the builder that wires it to a connectome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MODELS_DIR = Path(__file__).resolve().parent / "models"


class ModelFileError(ValueError):
    pass


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
            raw = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            raise ModelFileError(f"{path}: invalid YAML: {exc}") from None
        for key in ("name", "parameters", "equations", "numerics"):
            if key not in raw:
                raise ModelFileError(f"{path}: missing top-level key {key!r}")
        for pname, spec in raw["parameters"].items():
            if not isinstance(spec, dict) or "value" not in spec or "unit" not in spec:
                raise ModelFileError(f"{path}: parameter {pname!r} needs 'value' and 'unit'")
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

    def quantity(self, spec: dict):
        """A Brian2 Quantity from a {value, unit} mapping."""
        from .brian2_setup import brian2
        b2 = brian2()
        unit = eval(str(spec["unit"]), {"__builtins__": {}}, vars(b2))  # unit names only
        return float(spec["value"]) * unit

    def namespace(self) -> dict:
        return {name: self.quantity(spec) for name, spec in self.parameters.items()}

    def dt(self):
        return self.quantity(self.numerics["dt"])

    def describe(self) -> dict:
        return {"name": self.name, "citation": self.citation,
                "parameters": {k: f"{v['value']} {v['unit']}" for k, v in self.parameters.items()},
                "dt": f"{self.numerics['dt']['value']} {self.numerics['dt']['unit']}",
                "method": self.numerics.get("method", "euler")}
