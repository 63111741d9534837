"""Derive the grooming-circuit identity table ``data/grooming_neurons.csv`` (pinned v783 root ids).

    python -m organisms.drosophila.tools.derive_grooming [OZDIL_YAML]

Two sources, both naming neurons by FlyWire root id (never by label alone):

* **Shiu et al. 2024** (Nature 634:210, doi:10.1038/s41586-024-07763-9), the authors' notebook
  ``figures.ipynb`` of github.com/philshiu/Drosophila_brain_model (MIT code; ids are FlyWire data,
  CC BY-NC 4.0), cells "Figure 5b" and "Figure 5g + S5": ``neu_JON_CE`` (70 ids), ``neu_JON_F``
  (60), ``three_inhibitory`` (3), ``id_aBN1`` = 720575940630907434, ``id_DN1_1`` (aDN1) =
  720575940616185531, ``id_DN2_l`` (aDN2) = 720575940629806974. The lists are copied below as
  literals (the notebook ran on FlyWire v630; ids absent from v783 are kept and flagged
  ``in_v783 = 0``, never remapped).
* **Özdil et al. 2024** (bioRxiv, doi:10.1101/2024.12.17.628844), ``Connectome_neurons.yaml`` of
  NeLy-EPFL/antennal-grooming @ e4fad28f, copied to ``../shared/data/flywire-783/ozdil2024/
  grooming_neurons.yaml`` (sha256 7213a80e...; 860 neurons in 13 groups).

Columns: ``population`` (name used by ``cell_types.yaml``), ``source``, ``name`` (the source's own
name), ``root_id``, ``source_type`` (the source's cell type), ``codex_type`` (Codex cell_type or,
where empty, consolidated primary_type), ``soma_side`` (Codex ``side``), ``circuit_side`` (the
side in the source's label: Özdil ``_L``/``_R``, Shiu's ``_l`` and the driven left JO; for aDN1 and
aDN2 it is the OPPOSITE of the Codex soma side, see README), ``in_v783`` (1 if a row of
``Completeness_783.csv``), ``nt`` (the source's sign), ``shiu2024_pin`` (1 for the three single
neurons Shiu named).
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path

import pandas as pd
import yaml

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"
OUT = DATA / "grooming_neurons.csv"
_CANDIDATES = [HERE.parents[k] / "shared/data/flywire-783/ozdil2024/grooming_neurons.yaml" for k in (3, 4)]
OZDIL_DEFAULT = next((c for c in _CANDIDATES if c.exists()), _CANDIDATES[0])
OZDIL_SHA256 = "7213a80e89329fc274820b89beb91311c6394fc5164983f30e77c48d79f59cbd"

# Shiu et al. 2024, figures.ipynb, cell "Figure 5b": neu_JON_CE (all on the LEFT in v783 Codex)
SHIU_JO_CE = [
    720575940619341105, 720575940630122015, 720575940611061526, 720575940615848788,
    720575940628444667, 720575940627941431, 720575940632449619, 720575940650244342,
    720575940631866508, 720575940638681845, 720575940628978450, 720575940609522461,
    720575940621442224, 720575940602506208, 720575940629022149, 720575940627109991,
    720575940630020111, 720575940615986459, 720575940618684481, 720575940620382889,
    720575940630080071, 720575940626565455, 720575940630319671, 720575940602720940,
    720575940630564179, 720575940637632419, 720575940615809349, 720575940626042149,
    720575940637054835, 720575940602132509, 720575940614188149, 720575940616951124,
    720575940628101126, 720575940629055721, 720575940616589878, 720575940622449388,
    720575940614427195, 720575940625797617, 720575940638664437, 720575940618467195,
    720575940621729757, 720575940613971485, 720575940627585688, 720575940629650997,
    720575940630059847, 720575940608742409, 720575940614351477, 720575940633153375,
    720575940622937528, 720575940604753437, 720575940611783464, 720575940618599872,
    720575940609541917, 720575940637410869, 720575940630070343, 720575940621397417,
    720575940614035485, 720575940610018266, 720575940626307902, 720575940634634606,
    720575940614060829, 720575940624799290, 720575940641921421, 720575940623298559,
    720575940625559358, 720575940629138959, 720575940621625597, 720575940625962568,
    720575940632767383, 720575940624915230,
]
# Shiu et al. 2024, figures.ipynb, cell "Figure 5b": neu_JON_F
SHIU_JO_F = [
    720575940606239243, 720575940626956777, 720575940604973746, 720575940622222856,
    720575940642517284, 720575940629719404, 720575940616613022, 720575940604299454,
    720575940615473186, 720575940622217992, 720575940606800341, 720575940629267498,
    720575940637366335, 720575940624224408, 720575940609543197, 720575940633364179,
    720575940629502009, 720575940606431189, 720575940625733960, 720575940638529525,
    720575940617524053, 720575940628935564, 720575940624308355, 720575940631170346,
    720575940627704375, 720575940625885512, 720575940614929245, 720575940647493241,
    720575940618888368, 720575940625087546, 720575940606657493, 720575940617273560,
    720575940640591861, 720575940639410035, 720575940621532413, 720575940627523584,
    720575940621521917, 720575940621097398, 720575940625915338, 720575940606222428,
    720575940627868471, 720575940622179497, 720575940608297774, 720575940614026269,
    720575940613012959, 720575940628100614, 720575940606611401, 720575940628649465,
    720575940610008217, 720575940623791152, 720575940625571240, 720575940634923621,
    720575940609530653, 720575940635968745, 720575940625703434, 720575940613105311,
    720575940629386819, 720575940623077389, 720575940625763015, 720575940628359017,
]
# Shiu et al. 2024, figures.ipynb, cell "JON-F + silencing": three_inhibitory (Codex: CB0496)
SHIU_THREE_INHIBITORY = [
    720575940636066222, 720575940609957315, 720575940624986407,
]
SHIU_PINS = {"aBN1": 720575940630907434, "aDN1": 720575940616185531, "aDN2": 720575940629806974}

# Özdil group -> population name (the aBN/aDN names follow Hampel et al. 2015 / Özdil 2024)
OZDIL_POP = [(r"^ABN1_", "aBN1"), (r"^ABN2_", "aBN2"), (r"^ABN3_", "aBN3"), (r"^ADN1_", "aDN1"),
             (r"^ADN2_", "aDN2"), (r"^ADN3_", "aDN3")]


def _ozdil_population(group: str, name: str) -> str:
    for pat, pop in OZDIL_POP:
        if re.match(pat, name):
            return pop
    return f"{group}-Ozdil2024" if group.startswith("JO-") or group == "BM-Ant" else group


def _side(name: str) -> str:
    m = re.search(r"_([LR])$", name)
    return {"L": "left", "R": "right"}.get(m.group(1), "") if m else ""


def derive(ozdil_yaml: Path) -> pd.DataFrame:
    from organisms.drosophila.flywire import load_annotations

    raw = Path(ozdil_yaml).read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != OZDIL_SHA256:
        raise SystemExit(f"{ozdil_yaml}: sha256 {digest} is not the pinned {OZDIL_SHA256}")
    oz = yaml.safe_load(raw)
    ann = load_annotations().set_index("root_id")
    rows = []
    for group, members in oz.items():
        for name, e in members.items():
            rows.append({"population": _ozdil_population(group, name), "source": "Ozdil2024", "name": name,
                         "root_id": int(e["id"]), "source_type": e.get("cell_type", ""),
                         "circuit_side": _side(name), "nt": e.get("nt", ""), "shiu2024_pin": 0})
    for pop, ids in (("JO-CE-Shiu2024", SHIU_JO_CE), ("JO-F-Shiu2024", SHIU_JO_F),
                     ("CB0496-Shiu2024", SHIU_THREE_INHIBITORY)):
        for k, i in enumerate(ids):
            rows.append({"population": pop, "source": "Shiu2024", "name": f"{pop}[{k}]", "root_id": int(i),
                         "source_type": "", "circuit_side": "left" if pop != "CB0496-Shiu2024" else "",
                         "nt": "inhibitory" if pop == "CB0496-Shiu2024" else "excitatory", "shiu2024_pin": 0})
    df = pd.DataFrame(rows)
    for pop, rid in SHIU_PINS.items():
        hit = (df["root_id"] == rid) & (df["population"] == pop)
        if hit.sum() != 1:
            raise SystemExit(f"Shiu's {pop} {rid} is not Özdil's {pop} (found {int(hit.sum())} rows)")
        df.loc[hit, "shiu2024_pin"] = 1
    ct = ann["cell_type"].fillna(ann["primary_type"])
    df["codex_type"] = df["root_id"].map(ct).fillna("")
    df["soma_side"] = df["root_id"].map(ann["side"]).fillna("")
    df["in_v783"] = df["root_id"].isin(ann.index).astype(int)
    return df[["population", "source", "name", "root_id", "source_type", "codex_type", "soma_side",
               "circuit_side", "in_v783", "nt", "shiu2024_pin"]]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    src = Path(argv[0] if argv else os.environ.get("CGYM_OZDIL_YAML", OZDIL_DEFAULT))
    df = derive(src)
    df.to_csv(OUT, index=False)
    print(f"{OUT}: {len(df)} rows, {int(df.in_v783.sum())} in v783; populations "
          f"{df.population.value_counts().to_dict()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
