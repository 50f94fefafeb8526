"""The PBS node image's inputs: where the source comes from and what keys the cached images."""
import pytest

from ehpc_iac.engines import image_pbs
from ehpc_iac.errors import EngineError


def test_source_setting_shared_copy_then_github(monkeypatch, tmp_path):
    monkeypatch.setenv(image_pbs.SOURCE_ENV, "https://example.org/pbs.tar.gz")
    assert image_pbs.openpbs_source() == "https://example.org/pbs.tar.gz"
    monkeypatch.delenv(image_pbs.SOURCE_ENV)
    monkeypatch.setattr(image_pbs, "SHARED_SOURCE", tmp_path / "missing.tar.gz")
    assert image_pbs.openpbs_source() == image_pbs.OFFICIAL_SOURCE
    (tmp_path / "missing.tar.gz").write_bytes(b"x")
    assert image_pbs.openpbs_source() == str(tmp_path / "missing.tar.gz")


def test_fetch_source_paths_and_cached_urls(tmp_path):
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(b"data")
    assert image_pbs.fetch_source(f"file://{archive}") == archive
    with pytest.raises(EngineError):
        image_pbs.fetch_source(str(tmp_path / "nope.tar.gz"))
    url = "http://127.0.0.1:9/never-fetched.tar.gz"
    cached = tmp_path / "cache"
    cached.mkdir()
    import hashlib
    (cached / (hashlib.sha256(url.encode()).hexdigest()[:16] + ".tar.gz")).write_bytes(b"cached")
    assert image_pbs.fetch_source(url, cached).read_bytes() == b"cached"


def test_image_tags_follow_their_inputs(tmp_path):
    a = image_pbs.image_tag(image_pbs.BUILD_REPO, "bookworm", "sha-a", "recipe", "base")
    assert a == image_pbs.image_tag(image_pbs.BUILD_REPO, "bookworm", "sha-a", "recipe", "base")
    assert a != image_pbs.image_tag(image_pbs.BUILD_REPO, "bookworm", "sha-b", "recipe", "base")
    assert a.startswith("ehpc-iac/pbs-build:bookworm-")
    (tmp_path / "f").write_text("1")
    h = image_pbs.dir_hash(tmp_path)
    (tmp_path / "f").write_text("2")
    assert image_pbs.dir_hash(tmp_path) != h
    assert image_pbs.file_sha256(tmp_path / "f") == image_pbs.file_sha256(tmp_path / "f")
