"""A fake task + brain for the fit tests, registered at import (in the test process and, through
the episode hook ``_fit_fakes:hook``, in every sweep worker that imports this module).

The brain ``fitfake`` drives every muscle at a constant activation ``a = gain * base`` where
``gain`` is ``classes.AVB.gain`` of its params YAML (brain option ``params``) and ``base`` a brain
option; the fake worm's speed is 0.4 * a mm/s, so the fit has a known optimum."""

from __future__ import annotations

import numpy as np
import yaml

import _runner_fakes as F
from nervous_systems.brain import register_brain

BRAIN = "fitfake"


class FitFakeBrain:
    def __init__(self, organism, observation_space, action_space, params=None, base=0.5,
                 lesion=(), activate=(), activate_mV=20.0, **kw):
        gain = 1.0
        if params:
            with open(params, encoding="utf-8") as f:
                doc = yaml.safe_load(f)
            if "schema" in doc:     # the cgym.celegans.params/1 layout
                gain = float(doc["parameters"]["class.AVB.gain"]["value"])
            else:
                gain = float(doc["classes"]["AVB"]["gain"])
        if "AVB" in lesion:     # the perturbation tests: lesioning "AVB" slows the fake worm
            gain *= 0.2
        if "FAST" in lesion:    # ... and lesioning "FAST" speeds it up
            gain *= 1.8
        if "FAST" in activate:  # ... and driving "FAST" speeds it up by activate_mV / 10
            gain *= 1.0 + float(activate_mV) / 10.0
        self.a = float(np.clip(gain * float(base), 0.0, 1.0))
        self.space = action_space

    def reset(self, seed=None):
        pass

    def act(self, obs):
        return np.full(self.space.shape, self.a, np.float32)


def register():
    spec = F.register()
    register_brain(BRAIN, FitFakeBrain, "fakeworm")
    return spec


register()


def hook(job, t_sim):
    """Episode hook: importing this module registered everything; nothing to do per sample."""
