"""Where the scorer finds a task's code: by task NAME in in-process registries, never in run.json.

A run folder is data. ``run.json`` records the task's name and, for the reader, the
``module:function`` strings of its extractor, figures and sections at run time; the scorer never
imports those strings. It looks the name up in ``tasks.TASKS`` (package code) or in the
registrations made in this process (``runners.execution.episode.EXTRA_TASKS``: tests and
plug-ins under development), so a tampered run.json cannot choose the code that runs.
"""

from __future__ import annotations

import sys
from typing import Any


def registered_task(name: Any):
    """The task spec registered under ``name`` in package code (``tasks.TASKS``, or a task
    registered in this process by ``runners.episode.EXTRA_TASKS``), else None.

    A run folder is data: the scorer finds the task's feature extractor, figures, sections and
    reference library by the task NAME in these in-process registries, never by a
    ``module:function`` string read from ``run.json`` (a tampered run.json must not choose the
    code that runs)."""
    if not isinstance(name, str):
        return None
    try:
        import tasks
        spec = getattr(tasks, "TASKS", {}).get(name)
    except ImportError:
        spec = None
    if spec is None:
        for mod in ("runners.execution.episode", "runners.episode"):
            extra = getattr(sys.modules.get(mod), "EXTRA_TASKS", None) or {}
            if name in extra:
                return extra[name]
    return spec


def spec_field(run: dict, name: str):
    """A field (``features``, ``plots``, ``sections``, ``reference``, ``organism``) of the
    registered spec of the run's task; None when the task is not registered."""
    spec = registered_task(run.get("task"))
    return None if spec is None else getattr(spec, name, None)
