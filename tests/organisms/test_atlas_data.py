"""The signal propagation atlas loader: name mapping always; the data when the [neural] extra is installed."""

import numpy as np
import pytest

from organisms.c_elegans import load_connectome
from organisms.c_elegans.atlas_data import atlas_available, atlas_to_cook

AVAILABLE, WHY = atlas_available()
needs_atlas = pytest.mark.skipif(not AVAILABLE, reason=WHY)


@pytest.mark.parametrize("atlas,cook", [("VB2", "VB02"), ("AS10", "AS10"), ("DD6", "DD06"),
                                        ("VA12", "VA12"), ("AWCON", "AWCR"), ("AWCOF", "AWCL"),
                                        ("ADAL", "ADAL"), ("IL1DL", "IL1DL"), ("I1L", "I1L")])
def test_atlas_names_map_to_cook(atlas, cook):
    assert atlas_to_cook(atlas) == cook


@needs_atlas
@pytest.mark.parametrize("strain", ["wt", "unc31"])
def test_atlas_loads_on_cook_names(strain):
    from organisms.c_elegans.atlas_data import load_atlas
    a = load_atlas(strain)
    cook = set(load_connectome("cook2019_herm").names)
    assert len(a.names) == 300 and set(a.names) <= cook
    assert set(cook) - set(a.names) == {"CANL", "CANR"}
    assert a.dff.shape == a.q.shape == a.trials.shape == (300, 300)
    # the mean response is the mean of the stored trials
    i, j = np.argwhere(a.measured & (a.n_obs >= 3))[0]
    assert a.dff[i, j] == pytest.approx(np.mean(a.trials[i, j]))
    assert 100 <= len(a.stimulated) <= 300
    assert a.significant.sum() > 100 and a.source["sha256"]


def test_unknown_strain_is_named():
    from organisms.c_elegans.atlas_data import load_atlas
    if not AVAILABLE:
        pytest.skip(WHY)
    with pytest.raises(ValueError, match="unc31"):
        load_atlas("unc-13")
