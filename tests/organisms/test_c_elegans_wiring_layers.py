"""organisms.c_elegans.tools.wiring_layers: where a class's synapses land, real wiring against shuffles."""

from __future__ import annotations


def _rows(out):
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 10 and cells[1] == "ASE":
            rows[cells[0]] = cells
    return rows


def test_ase_reaches_motor_neurons_only_in_the_plain_shuffle(capsys):
    from organisms.c_elegans.tools.wiring_layers import main
    assert main(["--classes", "ASE", "--shuffle-seeds", "3", "--blocks", "cell_type"]) == 0
    rows = _rows(capsys.readouterr().out)
    real, plain, blocked = rows["connectome"], rows["shuffled 3"], rows["shuffled 3 within cell_type"]
    assert real[2] == plain[2] == blocked[2] == "244"              # the shuffles keep ASE's out-degree
    assert real[5] == "0 %" and real[8] == "0 %" and real[9] == "2"  # Cook 2019: ASE never onto a motor neuron
    assert int(plain[8].rstrip(" %")) > 10 and plain[9] == "1"       # the plain shuffle wires it straight on
    assert blocked[5] == "0 %" and blocked[3:8] == real[3:8]         # the block shuffle keeps the type shares


def test_an_unknown_class_is_one_line(capsys):
    from organisms.c_elegans.tools.wiring_layers import main
    assert main(["--classes", "XYZ", "--shuffle-seeds"]) == 2
    err = capsys.readouterr().err
    assert "XYZ" in err and err.count("\n") == 1
