"""Read a project YAML file by path; a syntax error names the file, line and column in one line.

Every YAML file the project reads by path goes through :func:`load_yaml` (network model, bridge,
fly cell types, VNC parameters, larva circuit, sweep files), so a broken file never surfaces as
PyYAML's ``"<unicode string>", line 3``. It imports nothing of the project. The import rules let
nervous_systems, organisms and runners use it, but not tasks (tasks -> bodies only): the
reference-library loader (tasks/reference.py) names file and line with PyYAML's own marks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

__all__ = ["YAMLFileError", "load_yaml", "parse_key_values", "parse_yaml"]


class YAMLFileError(ValueError):
    """A YAML file that cannot be parsed (the message names the file and line)."""


def parse_yaml(text: str | bytes, path: str | Path) -> Any:
    """``yaml.safe_load(text)``; ``path`` names the file in the one-line error."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)
        raise YAMLFileError(f"{path}{where}: invalid YAML: {' '.join(str(problem).split())}") from None


def load_yaml(path: str | Path) -> Any:
    """Parse the YAML file at ``path`` (safe loader: data only, never objects or code)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YAMLFileError(f"{path}: not a UTF-8 text file ({exc.reason} at byte {exc.start})") from None
    return parse_yaml(text, path)


def parse_key_values(items: list[str] | None, flag: str) -> dict:
    """Command-line ``KEY=VALUE`` strings (e.g. repeated ``--brain-option``) -> dict. A value is
    read as JSON (``1e-3``, ``true``, ``[1, 2]``, ``{"a": 1}``), else as a YAML scalar or flow
    collection (``True``, ``{a: 1}``), else kept as the string. A malformed item raises
    ValueError naming ``flag`` and the item."""
    out: dict = {}
    for item in items or []:
        key, sep, text = str(item).partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{flag} {item!r}: expected KEY=VALUE")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            try:
                value = yaml.safe_load(text)
            except yaml.YAMLError:
                value = text
            if value is None and text.strip() not in ("", "~", "null", "Null", "NULL"):
                value = text
        out[key.strip()] = value
    return out
