"""The Brain protocol and the brain registry.

A *brain* is anything that turns a task's observation into an action at the control step:
a Brian2 connectome network, a PyTorch model, an RL policy, a reflex table. The runner only
sees this protocol, so every brain drives the same body in the same task and is scored the
same way.

Required::

    reset(seed: int | None) -> None        # start of an episode; all randomness from seed
    act(observation) -> np.ndarray          # one control step; returns an action in action_space

Optional (the runner checks with ``hasattr``)::

    record() -> dict[str, np.ndarray]       # neural recordings of the finished/current episode,
                                            # e.g. {"t": (T,), "v": (T, N), "names": (N,)}
    info() -> dict                          # provenance: connectome name + hash, perturbations,
                                            # model parameters; goes into every episode's config
    close() -> None                         # release threads / processes
    stimulate(neurons, amplitude, duration) # in-silico optogenetics: from the next act() on,
                                            # inject a depolarising pulse into the named neurons
                                            # (amplitude in the brain's drive unit, mV of
                                            # depolarisation for the graded worm network) for
                                            # duration s; the responses appear in record().
                                            # `cgym atlas` needs it; brains without it are
                                            # reported "not applicable" there, not failed.

Registry
--------
Brains are registered by name, either for every organism (``organism=None``: ``null``,
``random``) or for one organism (``connectome``, ``shuffled``, ``reflex`` for ``celegans``).
A factory is called as ``factory(organism=..., observation_space=..., action_space=...,
control_dt=..., **options)`` and returns a brain; ``control_dt`` is the env's control step in
seconds (the time one ``act`` covers), or None where the caller has no env. Third-party packages register through the Python
entry-point group ``cgym.brains``: the entry point's name is the brain name and its value a
factory with that signature (it is used for every organism unless the factory raises
:class:`BrainNotAvailable`).

A brain that cannot be used here (its organism package or plug-in failed to import) is never
hidden: :func:`register_unavailable` lists it with the reason (``BrainSpec.unavailable``, also
shown as its description), and building it raises :class:`BrainNotAvailable` with that reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from typing import Any, Callable, Protocol, runtime_checkable

import numpy as np

ENTRY_POINT_GROUP = "cgym.brains"


@runtime_checkable
class Brain(Protocol):
    def reset(self, seed: int | None = None) -> None: ...

    def act(self, observation: Any) -> np.ndarray: ...


class BrainNotAvailable(LookupError):
    """No brain of that name for that organism."""


@dataclass(frozen=True)
class BrainSpec:
    name: str
    factory: Callable[..., Brain]
    organism: str | None  # None: any organism
    description: str = ""
    unavailable: str = ""  # why it cannot be built here ("" when it can)


_REGISTRY: dict[tuple[str, str | None], BrainSpec] = {}
_ENTRY_POINTS_LOADED = False


def register_brain(name: str, factory: Callable[..., Brain], organism: str | None = None,
                   description: str = "") -> None:
    """Register ``factory`` under ``name`` (for one organism, or all when organism is None)."""
    _REGISTRY[(name, organism)] = BrainSpec(name, factory, organism, description)


def register_unavailable(name: str, organism: str | None, reason: str) -> None:
    """List ``name`` as unavailable (for ``organism``) with a one-line ``reason``, unless a
    working brain is registered under that name already."""
    if (name, organism) in _REGISTRY and not _REGISTRY[(name, organism)].unavailable:
        return
    reason = " ".join(str(reason).split())

    def _factory(**_):
        raise BrainNotAvailable(f"brain {name!r} is unavailable: {reason}")

    _REGISTRY[(name, organism)] = BrainSpec(name, _factory, organism, f"UNAVAILABLE: {reason}",
                                            unavailable=reason)


def _load_entry_points() -> None:
    global _ENTRY_POINTS_LOADED
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED = True
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if (ep.name, None) in _REGISTRY:
            continue
        try:
            factory = ep.load()
        except Exception as exc:  # a broken plug-in must not break the toolkit, nor vanish
            register_unavailable(ep.name, None, f"plug-in {ep.value} failed to load: "
                                                f"{type(exc).__name__}: {exc}")
            continue
        register_brain(ep.name, factory, None, description=f"plug-in ({ep.value})")


def brain_specs(organism: str | None = None) -> list[BrainSpec]:
    """Registered brains usable for ``organism`` (organism-specific ones first)."""
    _load_entry_points()
    specs = [s for (n, o), s in _REGISTRY.items() if organism is None or o in (None, organism)]
    return sorted(specs, key=lambda s: (s.organism is None, s.name))


def make_brain(name: str, organism: str, observation_space, action_space,
               control_dt: float | None = None, **options) -> Brain:
    """Build the brain ``name`` for ``organism``; organism-specific registrations win."""
    _load_entry_points()
    spec = _REGISTRY.get((name, organism)) or _REGISTRY.get((name, None))
    if spec is None:
        import difflib
        names = sorted({n for (n, o) in _REGISTRY if o in (None, organism)})
        close = difflib.get_close_matches(name, names, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise BrainNotAvailable(f"no brain {name!r} for organism {organism!r}; available: "
                                f"{', '.join(names)}.{hint}")
    if spec.unavailable:
        raise BrainNotAvailable(f"brain {name!r} for organism {organism!r} is unavailable: "
                                f"{spec.unavailable}")
    return spec.factory(organism=organism, observation_space=observation_space,
                        action_space=action_space, control_dt=control_dt, **options)
