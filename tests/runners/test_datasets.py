"""`cgym data`: resumable, verified downloads against a local HTTP server on 127.0.0.1 (no
network), and `cgym data path`."""

import hashlib
import http.server
import threading

import pytest

from runners import datasets
from runners.cli import main

PAYLOAD = bytes(range(256)) * 4000          # 1,024,000 bytes


def blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob " + str(len(data)).encode() + b"\0" + data).hexdigest()


class RangeHandler(http.server.BaseHTTPRequestHandler):
    files: dict = {}
    honour_range = True
    send_length = True
    log: list = []

    def do_GET(self):  # noqa: N802
        data = self.files.get(self.path.lstrip("/"))
        if data is None:
            self.send_error(404)
            return
        rng = self.headers.get("Range")
        self.log.append(rng)
        start = 0
        if rng and self.honour_range:
            start = int(rng.split("=")[1].split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        if self.send_length:
            self.send_header("Content-Length", str(len(data) - start))
        else:
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data[start:])

    def log_message(self, *a):
        pass


@pytest.fixture()
def server():
    RangeHandler.files = {"big.bin": PAYLOAD, "bad.bin": PAYLOAD[:-1] + b"x"}
    RangeHandler.log = []
    RangeHandler.honour_range = True
    RangeHandler.send_length = True
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RangeHandler)
    httpd.timeout = 5
    t = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    t.join(timeout=5)


SPEC = {"size": len(PAYLOAD), "git_blob": blob_id(PAYLOAD), "sha256": hashlib.sha256(PAYLOAD).hexdigest()}


def test_interrupted_download_resumes_with_range_and_verifies(server, tmp_path):
    dest = tmp_path / "big.bin"
    r = datasets.download(f"{server}/big.bin", dest, SPEC, progress=False, timeout=10, max_bytes=300_000)
    assert not r["complete"] and not dest.exists()
    assert (tmp_path / "big.bin.part").stat().st_size == 300_000
    r = datasets.download(f"{server}/big.bin", dest, SPEC, progress=False, timeout=10)
    assert r["complete"] and dest.read_bytes() == PAYLOAD
    assert RangeHandler.log == [None, "bytes=300000-"]            # the second request resumed
    assert r["verified"]["git_blob"] == SPEC["git_blob"]
    assert not (tmp_path / "big.bin.part").exists()


def test_server_ignoring_range_restarts_cleanly(server, tmp_path):
    RangeHandler.honour_range = False
    dest = tmp_path / "big.bin"
    datasets.download(f"{server}/big.bin", dest, SPEC, progress=False, timeout=10, max_bytes=100_000)
    r = datasets.download(f"{server}/big.bin", dest, SPEC, progress=False, timeout=10)
    assert r["complete"] and dest.read_bytes() == PAYLOAD


def test_corrupt_file_is_rejected_and_deleted(server, tmp_path):
    dest = tmp_path / "bad.bin"
    with pytest.raises(datasets.DownloadError, match="git blob id .* expected " + SPEC["git_blob"]):
        datasets.download(f"{server}/bad.bin", dest, SPEC, progress=False, timeout=10)
    assert not dest.exists() and not (tmp_path / "bad.bin.part").exists()


def test_fetch_flywire_from_a_mirror_checks_pinned_ids(server, tmp_path, monkeypatch, capsys):
    from organisms.drosophila import dataset as fly
    # right sizes, wrong bytes: fetch must refuse them (pinned git blob ids), licence printed first
    RangeHandler.files = {name: b"x" * spec["size"] for name, spec in fly.FILES.items()}
    with pytest.raises(datasets.DownloadError, match="Completeness_783.csv.*git blob id .* expected b5a26b82"):
        datasets.fetch("flywire-783", tmp_path / "fw", progress=False, base_url=server)
    assert "CC BY-NC 4.0" in capsys.readouterr().out
    assert not any((tmp_path / "fw").glob("*.parquet"))
    # with ids that match (a mirror of the same bytes), fetch succeeds and records verification
    RangeHandler.files = {name: PAYLOAD for name in fly.FILES}
    monkeypatch.setattr(fly, "FILES", {n: {**SPEC, "url": ""} for n in fly.FILES})
    d = datasets.fetch("flywire-783", tmp_path / "fw", progress=False, base_url=server)
    assert (d / "verified.json").exists() and (d / "Connectivity_783.parquet").read_bytes() == PAYLOAD


def test_cli_data_path_and_errors(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CGYM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CGYM_FLYWIRE_DIR", raising=False)
    assert main(["data", "path", "flywire-783", str(tmp_path)]) == 2          # files missing
    assert "missing Completeness_783.csv" in capsys.readouterr().err
    (tmp_path / "Completeness_783.csv").write_text(",Completed\n")
    (tmp_path / "Connectivity_783.parquet").write_bytes(b"")
    assert main(["data", "path", "flywire-783", str(tmp_path)]) == 0
    from organisms.drosophila import dataset as fly
    assert fly.locate_real() == (tmp_path.resolve(), "cgym data path")
    assert main(["data", "fetch", "flywire-78"]) == 2
    assert "did you mean flywire-783" in capsys.readouterr().err


def test_symlink_at_part_is_refused_and_its_target_untouched(server, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / "big.bin.part").symlink_to(victim)
    with pytest.raises(datasets.DownloadError, match=r"big\.bin\.part is a symbolic link .*Delete the link"):
        datasets.download(f"{server}/big.bin", tmp_path / "big.bin", SPEC, progress=False, timeout=10)
    assert victim.read_text() == "precious" and RangeHandler.log == []


def test_symlink_at_destination_is_refused(server, tmp_path):
    (tmp_path / "big.bin").symlink_to(tmp_path / "elsewhere.bin")
    with pytest.raises(datasets.DownloadError, match=r"big\.bin is a symbolic link"):
        datasets.download(f"{server}/big.bin", tmp_path / "big.bin", SPEC, progress=False, timeout=10)
    assert not (tmp_path / "elsewhere.bin").exists()


def test_announced_length_above_the_pin_is_refused_before_reading(server, tmp_path):
    RangeHandler.files["long.bin"] = PAYLOAD * 4
    with pytest.raises(datasets.DownloadError, match=r"announces 4,096,000 bytes, more than the pinned 1,024,000.*again"):
        datasets.download(f"{server}/long.bin", tmp_path / "long.bin", SPEC, progress=False, timeout=10)
    assert not (tmp_path / "long.bin.part").exists() or (tmp_path / "long.bin.part").stat().st_size == 0


def test_reading_stops_at_the_pinned_size(server, tmp_path):
    RangeHandler.files["long.bin"] = PAYLOAD * 12     # 12 MB streamed for a 1 MB pin
    RangeHandler.send_length = False                   # no Content-Length: only the cap stops it
    with pytest.raises(datasets.DownloadError, match=r"sent more than the pinned 1,024,000 bytes; stopped reading"):
        datasets.download(f"{server}/long.bin", tmp_path / "long.bin", SPEC, progress=False, timeout=10,
                          retry="run `cgym data fetch x` again")
    assert not (tmp_path / "long.bin.part").exists() and not (tmp_path / "long.bin").exists()


def test_exact_size_without_length_header_still_completes(server, tmp_path):
    RangeHandler.send_length = False
    r = datasets.download(f"{server}/big.bin", tmp_path / "big.bin", SPEC, progress=False, timeout=10)
    assert r["complete"] and (tmp_path / "big.bin").read_bytes() == PAYLOAD


def _fetched(server, tmp_path, monkeypatch):
    from organisms.drosophila import dataset as fly
    monkeypatch.setenv("CGYM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CGYM_FLYWIRE_DIR", raising=False)
    RangeHandler.files = {name: PAYLOAD for name in fly.FILES}
    monkeypatch.setattr(fly, "FILES", {n: {**SPEC, "url": ""} for n in fly.FILES})
    d = datasets.fetch("flywire-783", None, progress=False, base_url=server, out=open("/dev/null", "w"))
    assert d == fly.fetch_dir()
    return fly, d


def test_cached_file_is_reverified_and_failure_says_how_to_recover(server, tmp_path, monkeypatch):
    fly, d = _fetched(server, tmp_path, monkeypatch)
    damaged = d / "Connectivity_783.parquet"
    damaged.write_bytes(PAYLOAD[:-1] + b"!")             # same size, other bytes
    with pytest.raises(datasets.DownloadError) as info:
        datasets.fetch("flywire-783", None, progress=False, base_url=server, out=open("/dev/null", "w"))
    msg = str(info.value)
    assert "Connectivity_783.parquet: git blob id" in msg and f"rm {damaged}" in msg
    assert "cgym data fetch flywire-783` again" in msg


def test_fly_data_set_rechecks_files_instead_of_trusting_verified_json(server, tmp_path, monkeypatch):
    fly, d = _fetched(server, tmp_path, monkeypatch)
    import nervous_systems.integrity as integrity
    calls = []
    real_verify = integrity.verify_file
    monkeypatch.setattr(integrity, "verify_file", lambda *a, **k: calls.append(a[0]) or real_verify(*a, **k))
    assert fly.locate_real() == (d, "cgym data fetch")
    assert calls == []                                   # unchanged size + mtime: no re-hash
    target = d / "Completeness_783.csv"
    target.write_bytes(b"y" * len(PAYLOAD))              # same size, new mtime, wrong bytes
    with pytest.raises(fly.EdgesDamaged) as info:
        fly.locate_real()
    msg = str(info.value)
    assert "Completeness_783.csv: git blob id" in msg and "expected " + SPEC["git_blob"] in msg
    assert f"rm {target}" in msg and "cgym data fetch flywire-783` again" in msg
    target.write_bytes(PAYLOAD)                          # restored: re-hashed once, then trusted
    calls.clear()
    assert fly.locate_real()[0] == d and calls == [target]
    calls.clear()
    assert fly.locate_real()[0] == d and calls == []
