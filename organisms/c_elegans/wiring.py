"""Cited changes to the wiring data used by the C. elegans brains (no fitted numbers here).

``apply_receptor_signs``  receptor-based signs for ACh and GABA too (Fenyves 2020; option ``receptor_signs``).
``apply_sign_overrides``  the first-synapse signs of ``synapse_signs.yaml`` (class pairs, cited).
``nerve_ring_neurons``    the neuron set removed by the ``no-nerve-ring`` control brain.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SIGNS_YAML = Path(__file__).resolve().parent / "synapse_signs.yaml"

# Ventral-cord motor neuron classes: their somata lie along the cord (a few in the retrovesicular
# ganglion) and their processes run in the ventral/dorsal cords and commissures, not in the nerve
# ring (White et al. 1986 Phil Trans R Soc B 314:1, doi:10.1098/rstb.1986.0056).
VENTRAL_CORD_MOTOR = ("AS", "DA", "DB", "DD", "VA", "VB", "VC", "VD")
# Head: soma anterior of this body coordinate (0 nose .. 1 tail, organisms/c_elegans/data
# position column). The posterior-most head-ganglion somata (BDU 0.174, RVG cells) lie before 0.2;
# the first body neurons (ALM, CAN, SDQ) lie beyond 0.25.
HEAD_END = 0.2


class SignsFileError(ValueError):
    pass


def apply_sign_overrides(connectome, path: str | Path = SIGNS_YAML):
    from nervous_systems.yaml_file import load_yaml
    raw = load_yaml(path)
    if not isinstance(raw, dict) or raw.get("schema") != "cgym.celegans.signs/1":
        raise SignsFileError(f"{path}: expected 'schema: cgym.celegans.signs/1'")
    e = connectome.edges.copy()
    sign = e["sign"].to_numpy().copy()
    chem = (e["kind"] == "chem").to_numpy()
    applied = []
    for k, o in enumerate(raw.get("overrides") or []):
        if not all(x in o for x in ("pre", "post", "sign", "source")):
            raise SignsFileError(f"{path}: overrides[{k}] needs pre, post, sign, source")
        if int(o["sign"]) not in (-1, 1):
            raise SignsFileError(f"{path}: overrides[{k}].sign must be +1 or -1")
        pre, post = connectome.resolve([o["pre"]]), connectome.resolve([o["post"]])
        m = chem & e["pre"].isin(pre).to_numpy() & e["post"].isin(post).to_numpy()
        sign[m] = int(o["sign"])
        applied.append(f"{o['pre']}->{o['post']}:{int(o['sign']):+d} ({int(m.sum())} edges)")
    e["sign"] = sign.astype(e["sign"].dtype)
    return connectome.with_edges(e, name=connectome.name, sign_overrides=applied)


def apply_receptor_signs(connectome):
    """Signs of every fast transmitter (ACh, GABA as well as Glu) from the postsynaptic receptor
    prediction of Fenyves et al. 2020 (PLoS Comput Biol 16:e1007974, doi:10.1371/journal.pcbi.1007974):
    the data's ``sign_receptor`` column (``data/README.md``; e.g. ACh onto AIB, AIZ, RIA, RIV, RMD,
    which express only ACC/LGC-47..49 acetylcholine-gated chloride channels, becomes inhibitory).
    Where the prediction is ``complex`` or ``nopred`` the transmitter default stays. Applied before
    the cited class-pair overrides (which win) and before any shuffle (a rewired edge keeps its sign)."""
    e = connectome.edges
    if "sign_receptor" not in e.columns:
        raise SignsFileError(f"connectome {connectome.name!r} has no sign_receptor column; regenerate "
                             f"the data with `python -m organisms.c_elegans.tools.extract_cect`")
    e = e.copy()
    chem = (e["kind"] == "chem").to_numpy()
    old = e["sign"].to_numpy()
    new = np.where(chem, e["sign_receptor"].to_numpy(), old)
    e["sign"] = new.astype(e["sign"].dtype)
    n = int((new != old).sum())
    return connectome.with_edges(e, name=connectome.name,
                                 receptor_signs=f"Fenyves 2020 receptor rule for ACh/GABA/Glu ({n} chem edges changed)")


def nerve_ring_neurons(connectome) -> list[str]:
    """Neurons of the nerve ring: every non-pharyngeal neuron whose soma lies in the head ganglia
    (White et al. 1986, doi:10.1098/rstb.1986.0056), except ventral-cord motor neurons.
    Includes the head sensory neurons, ring interneurons (AIY, AIB, RIA, RIM, ...), the command
    interneurons AVA/AVB/AVD/AVE (their somata are in the lateral ganglia and they synapse in the
    ring) and the head motor neurons (SMD, RMD, SMB, RIV, ...). Kept: ventral-cord motor neurons,
    and body/tail neurons (PVC, DVA, PLM, ...), whose ring processes are lost with their partners."""
    n = connectome.neurons
    pos = np.asarray(n["position"], float)
    keep_cls = n["cell_class"].astype(str).isin(VENTRAL_CORD_MOTOR).to_numpy()
    phar = (n["cell_type"].astype(str) == "pharyngeal").to_numpy()
    head = np.isfinite(pos) & (pos < HEAD_END)
    return [str(x) for x in n.index[head & ~keep_cls & ~phar]]
