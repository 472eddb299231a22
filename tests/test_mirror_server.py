"""The mirror server answers files as saved, 404 for a folder without an index page, never a listing."""

from __future__ import annotations

import http.client
import io
import tarfile

import pytest

from zwgk.evaluation.mirror import MirrorServer, unpack


def get(address: str, path: str, method: str = "GET") -> tuple[int, str, bytes]:
    host, port = address.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request(method, path)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, response.getheader("Content-Type", ""), body


@pytest.fixture
def mirror(tmp_path):
    root = tmp_path / "site"
    (root / "xxgk").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "index.html").write_text("<html><body>首页</body></html>", encoding="utf-8")
    (root / "xxgk" / "index.html").write_text("<html><body>信息公开</body></html>", encoding="utf-8")
    (root / "xxgk" / "a.pdf").write_bytes(b"%PDF-1.4 invented")
    with MirrorServer(root) as server:
        yield server.address


def test_files_index_pages_and_404s(mirror):
    assert get(mirror, "/")[0] == 200 and "首页" in get(mirror, "/")[2].decode()
    status, ctype, body = get(mirror, "/xxgk/")
    assert status == 200 and ctype == "text/html" and "信息公开" in body.decode()
    assert get(mirror, "/xxgk/a.pdf")[:2] == (200, "application/pdf")
    assert get(mirror, "/empty/")[0] == 404            # a folder without index.html: no listing
    assert get(mirror, "/missing.html")[0] == 404
    assert get(mirror, "/../../etc/passwd")[0] == 404  # never outside the mirror
    status, _, body = get(mirror, "/xxgk/", method="HEAD")
    assert status == 200 and body == b""


def test_unpack_refuses_members_outside_the_folder(tmp_path):
    archive = tmp_path / "bad.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        data = b"x"
        info = tarfile.TarInfo("../escape.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(tarfile.TarError):
        unpack(archive, tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()
