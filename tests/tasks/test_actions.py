"""tasks.actions.checked_action: the one action check of every env."""

import numpy as np
import pytest

from tasks.actions import checked_action

NAMES = ["L01", "L02", "R01", "R02"]


def test_good_action_comes_back_as_float64():
    a = checked_action([0, 0.5, 1, 0.25], (4,), NAMES, 3, 0.006)
    assert a.dtype == np.float64 and a.tolist() == [0, 0.5, 1, 0.25]


def test_wrong_shape_names_the_step_and_the_actuators():
    with pytest.raises(ValueError, match=r"step 7: action must have shape \(4,\) \(actuators L01..R02\), got \(3,\)"):
        checked_action(np.zeros(3), (4,), NAMES, 7, 0.014)


def test_nan_names_the_time_and_the_offending_actuators():
    with pytest.raises(ValueError, match=r"step 2 \(t=0.004 s\): .*NaN/Inf \(actuators \['L02', 'R02'\]\)"):
        checked_action([0, np.nan, 0, np.inf], (4,), NAMES, 2, 0.004)
