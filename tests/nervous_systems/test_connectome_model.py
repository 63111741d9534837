"""ConnectomeError messages name the file, the exact data row (header = row 0) and the problem."""

import re

import pytest

from nervous_systems.connectome import Connectome, ConnectomeError

NEURONS = "name,cell_class\nAIYL,AIY\nAIYR,AIY\nAIZL,AIZ\n"
EDGES_HEAD = "pre,post,kind,weight,sign\n"
GOOD = ["AIYL,AIZL,chem,3,1", "AIYL,AIYR,gap,2,0", "AIZL,MDL01,nmj,1,1"]


def load(tmp_path, neurons=NEURONS, edge_rows=GOOD, edges_text=None):
    n = tmp_path / "n.csv"
    e = tmp_path / "e.csv"
    n.write_text(neurons)
    e.write_text(edges_text if edges_text is not None else EDGES_HEAD + "\n".join(edge_rows) + "\n")
    return Connectome.from_csv(n, e, name="toy"), n, e


def bad_edges(tmp_path, row: str, at: int = 2):
    rows = list(GOOD)
    rows.insert(at - 1, row)  # becomes data row `at`
    with pytest.raises(ConnectomeError) as ei:
        load(tmp_path, edge_rows=rows)
    return ei.value, tmp_path / "e.csv"


def test_good_file_loads(tmp_path):
    c, _, _ = load(tmp_path)
    assert c.n_neurons == 3 and c.effectors == ["MDL01"]
    assert c.summary()["gap_pairs"] == 1


def assert_where(err, path, row, *words):
    msg = str(err)
    assert str(path) in msg, msg
    assert err.source == str(path)
    if row is not None:
        assert err.row == row, msg
        assert re.search(rf"\brow {row}\b", msg), msg
    for w in words:
        assert w in msg, msg


def test_missing_column(tmp_path):
    with pytest.raises(ConnectomeError) as ei:
        load(tmp_path, edges_text="pre,post,kind,sign\nAIYL,AIZL,chem,1\n")
    assert_where(ei.value, tmp_path / "e.csv", None, "missing column", "weight")


def test_missing_neuron_column(tmp_path):
    with pytest.raises(ConnectomeError) as ei:
        load(tmp_path, neurons="name,type\nAIYL,x\n")
    assert_where(ei.value, tmp_path / "n.csv", None, "missing column", "cell_class")


def test_bad_kind(tmp_path):
    err, path = bad_edges(tmp_path, "AIYL,AIZL,electric,1,1", at=2)
    assert_where(err, path, 2, "unknown edge kind", "electric")


def test_negative_weight(tmp_path):
    err, path = bad_edges(tmp_path, "AIYL,AIZL,chem,-3,1", at=3)
    assert_where(err, path, 3, "weight must be a positive number", "-3")


def test_zero_weight(tmp_path):
    err, path = bad_edges(tmp_path, "AIYL,AIZL,chem,0,1", at=1)
    assert_where(err, path, 1, "weight must be a positive number")


def test_non_numeric_weight(tmp_path):
    err, path = bad_edges(tmp_path, "AIYL,AIZL,chem,many,1", at=4)
    assert_where(err, path, 4, "weight must be a positive number", "many")


def test_bad_sign(tmp_path):
    err, path = bad_edges(tmp_path, "AIYL,AIZL,chem,1,2", at=2)
    assert_where(err, path, 2, "sign must be -1, 0 or +1")


def test_edge_to_unknown_neuron(tmp_path):
    err, path = bad_edges(tmp_path, "AIYL,AIZX,chem,1,1", at=2)
    assert_where(err, path, 2, "postsynaptic neuron 'AIZX' is not in the neuron table", "AIZL")


def test_edge_from_unknown_neuron(tmp_path):
    err, path = bad_edges(tmp_path, "AIYQ,AIZL,chem,1,1", at=3)
    assert_where(err, path, 3, "presynaptic neuron 'AIYQ' is not in the neuron table")


def test_duplicate_neuron(tmp_path):
    with pytest.raises(ConnectomeError) as ei:
        load(tmp_path, neurons=NEURONS + "AIYR,AIY\n")
    assert_where(ei.value, tmp_path / "n.csv", 4, "duplicate neuron name", "AIYR")


def test_empty_neuron_name(tmp_path):
    with pytest.raises(ConnectomeError) as ei:
        load(tmp_path, neurons="name,cell_class\nAIYL,AIY\n,AIY\nAIZL,AIZ\nAIYR,AIY\n")
    assert_where(ei.value, tmp_path / "n.csv", 2, "empty neuron name")


def test_signed_gap_junction(tmp_path):
    err, path = bad_edges(tmp_path, "AIYL,AIZL,gap,1,1", at=2)
    assert_where(err, path, 2, "gap junctions carry sign 0")


def test_too_many_fields(tmp_path):
    err, path = bad_edges(tmp_path, "AIYL,AIZL,chem,1,1,extra", at=3)
    assert_where(err, path, 3, "cannot parse CSV", "Expected 5 fields")


def test_too_many_fields_after_comment(tmp_path):
    text = "# a comment\n" + EDGES_HEAD + "AIYL,AIZL,chem,1,1\n\nAIYL,AIZL,chem,1,1,extra\n"
    with pytest.raises(ConnectomeError) as ei:
        load(tmp_path, edges_text=text)
    assert_where(ei.value, tmp_path / "e.csv", 2, "cannot parse CSV")


def test_missing_file(tmp_path):
    with pytest.raises(ConnectomeError) as ei:
        Connectome.from_csv(tmp_path / "nope.csv", tmp_path / "e.csv")
    assert "nope.csv" in str(ei.value) and "file not found" in str(ei.value)


def test_empty_file(tmp_path):
    with pytest.raises(ConnectomeError) as ei:
        load(tmp_path, edges_text="")
    assert_where(ei.value, tmp_path / "e.csv", None, "empty")
