"""Open-loop NaCl step probe of the C. elegans connectome brain (issue 11, item 1).

The brain with its default parameter file, noise off, no body: NaCl 20 -> 40 -> 20 mM. Asserts the
sign pattern of the ON/OFF pathway (up-step: AIY up, AIB down; down-step: AIB up, AVA up) and
response amplitudes downstream. The class parameters in params/connectome_probe_fit.yaml were fitted
to this pattern with receptor-based signs (organisms/c_elegans/tools/fit_probe.py), so those tests are
regression tests of that fit; it crawls and its values are the start values of the behavioural fits
(README, section 4.1). The sign test with neutral class parameters (params/unfitted_reference.yaml)
is not fitted: it tests the cited first-synapse signs.
"""

import numpy as np
import pytest

import organisms  # noqa: F401
from organisms.c_elegans.params import PARAMS_DIR
from organisms.c_elegans.probe import parse_step, step_responses


def mean(d, *names):
    return float(np.mean([d[n] for n in names]))


def test_default_params_are_the_behavioural_fit_started_from_the_probe_fit():
    """Default = the equal-budget gait fit (its fit block), which changed only the spec's
    parameters; every other entry is the probe fit's (A-type gain hand-set to 30 mV)."""
    from organisms.c_elegans.params import load_params
    d = load_params("connectome")
    f = load_params(str(PARAMS_DIR / "connectome_probe_fit.yaml")).values()
    fitted = {p["path"].split(".", 1)[1] for p in d.fit_info["parameters"]}
    assert d.fit_info["spec"].endswith("chemotaxis_gait.yaml")
    same = {k: v for k, v in d.values().items() if k not in fitted and k != "bridge.A_stretch.gain_mV"}
    assert same == {k: f[k] for k in same}


@pytest.fixture(scope="module")
def fitted():
    return step_responses("connectome", 20.0, 40.0,
                          brain_options={"params": str(PARAMS_DIR / "connectome_probe_fit.yaml")})


@pytest.fixture(scope="module")
def neutral():
    return step_responses("connectome", 20.0, 40.0, pre=4.0, hold=5.0, post=5.0,
                          brain_options={"params": str(PARAMS_DIR / "unfitted_reference.yaml")})


def test_on_off_signs_at_the_first_synapses_without_fitting(neutral):
    up, dn = neutral["up"], neutral["down"]
    assert up["ASEL"] > 20 and dn["ASER"] > 20                 # ASEL ON, ASER OFF
    assert mean(dn, "AIYL", "AIYR") < -1.0                     # ASER -| AIY (GLC-3)


@pytest.mark.xfail(strict=True, reason="with the corrected Glu signs (Fenyves 2020 columns fixed) the "
                   "neutral class values give AIY up-step +0.9 mV and AIB +0.2 (up) / +0.8 (down) mV: the other "
                   "glutamatergic sensory inputs to AIB (GLR-1/2/5 only) are now excitatory and swamp the "
                   "ASEL/ASER difference; the pattern needs the fitted class values (README, section 4.1)")
def test_on_off_pattern_at_aiy_and_aib_without_fitting(neutral):
    up, dn = neutral["up"], neutral["down"]
    assert mean(up, "AIYL", "AIYR") > 1.0                      # ASEL -> AIY (+)
    assert mean(up, "AIBL", "AIBR") < -0.3 < 0.3 < mean(dn, "AIBL", "AIBR")  # ON/OFF no longer collapse


def test_fitted_sign_pattern(fitted):
    up, dn = fitted["up"], fitted["down"]
    assert mean(up, "AIYL", "AIYR") > 1.0
    assert mean(up, "AIBL", "AIBR") < -3.0
    assert mean(dn, "AIBL", "AIBR") > 3.0
    assert mean(dn, "AVAL", "AVAR") > 0.0


def test_fitted_amplitudes_downstream(fitted):
    up, dn = fitted["up"], fitted["down"]
    amp = lambda *ns: max(abs(mean(up, *ns)), abs(mean(dn, *ns)))
    assert amp("AIBL", "AIBR") > 3.0
    assert amp("RIAL", "RIAR") > 3.0
    assert max(amp(n) for n in ("SMDDL", "SMDDR", "SMDVL", "SMDVR")) > 3.0


def test_ava_moves_several_mV(fitted):
    """Issue 11: down-step -> AVA up by several mV. Reached by the receptor-sign probe fit (README
    section 4.1); was a strict xfail at +0.3-0.4 mV before the Glu/ACh column fix."""
    assert mean(fitted["down"], "AVAL", "AVAR") > 3.0


def test_ava_rises_above_avb_on_the_down_step(fitted):
    """Not the gap network's common mode: the backward command rises relative to the forward one."""
    dn = fitted["down"]
    assert mean(dn, "AVAL", "AVAR") - mean(dn, "AVBL", "AVBR") > 3.0


def test_fitted_probe_uses_receptor_signs(fitted):
    assert fitted["info"].get("receptor_signs")


def test_step_argument_errors():
    assert parse_step("NaCl:20:40") == (20.0, 40.0)
    for bad in ("NaCl:40:20", "KCl:1:2", "NaCl:a:b", "NaCl:20"):
        with pytest.raises(ValueError, match="--step"):
            parse_step(bad)
