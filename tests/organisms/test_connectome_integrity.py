"""Shipped connectome files are checked against the sha256 and counts in provenance.yaml."""

from __future__ import annotations

import shutil

import pytest

from nervous_systems.connectome import ConnectomeIntegrityError, connectome_counts, verify_counts
from organisms.c_elegans import connectomes


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    dst = tmp_path / "data"
    shutil.copytree(connectomes.DATA_DIR, dst)
    monkeypatch.setattr(connectomes, "DATA_DIR", dst)
    connectomes._load.cache_clear()
    yield dst
    connectomes._load.cache_clear()


def test_shipped_connectomes_match_their_provenance():
    for name in connectomes.available_connectomes():
        c = connectomes.load_connectome(name)
        pinned = connectomes._provenance()["datasets"][name]["counts"]
        got = connectome_counts(c)
        assert all(got[k] == pinned[k] for k in got), (name, got)


def test_truncated_edges_csv_fails_naming_file_expected_got_and_restore(data_copy):
    edges = data_copy / "cook2019_herm_edges.csv"
    lines = edges.read_text().splitlines(keepends=True)
    edges.write_text("".join(lines[:2422]))  # cut in the middle: 2,421 chemical edges, no gap, no nmj
    with pytest.raises(ConnectomeIntegrityError) as info:
        connectomes.load_connectome("cook2019_herm")
    msg = str(info.value)
    assert str(edges) in msg and "\n" not in msg
    assert "sha256" in msg and "pinned deba3b55c74d00a2" in msg and "2422 lines" in msg
    assert "git checkout -- organisms/c_elegans/data/" in msg and "extract_cect" in msg


def test_missing_file_is_named(data_copy):
    (data_copy / "varshney2011_neurons.csv").unlink()
    with pytest.raises(ConnectomeIntegrityError, match=r"varshney2011_neurons\.csv: missing connectome file"):
        connectomes.load_connectome("varshney2011")


def test_counts_are_checked_too():
    c = connectomes.load_connectome("cook2019_herm")
    with pytest.raises(ConnectomeIntegrityError, match=r"chem_edges 3709 \(pinned 3710\).*gap_pairs 1091 \(pinned 1\)"):
        verify_counts(c, {"chem_edges": 3710, "gap_pairs": 1, "neurons": 302}, "restore it")
