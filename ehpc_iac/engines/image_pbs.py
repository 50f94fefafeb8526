"""The node image of PBS clusters (``SchedulerType: pbs``): OpenPBS built from source, cached.

OpenPBS is in no package registry reachable here, so it is compiled once per machine:

1. build image ``ehpc-iac/pbs-build:<suite>-<hash>``: the base image plus OpenPBS's build
   dependencies, ``configure --prefix=/opt/pbs && make && make install`` of the source archive
   (about 7 minutes of 2 cores). ``<hash>`` covers the archive's sha256, the build recipe
   (``docker_image_pbs/build/``) and the base image id, so it is rebuilt only when one changes;
2. node image ``ehpc-iac/node-pbs:<suite>-<hash>``: the Slurm/NIS node image (ssh, NIS,
   ehpc-svc, entrypoint) plus OpenPBS's runtime packages, ``/opt/pbs`` copied from the build
   image and ehpc-svc drop-ins for the PBS daemons (about 30 s).

The source archive comes from ``EHPC_IAC_OPENPBS_SOURCE`` (a path or an http(s) URL); by default
the shared copy beside the project (``../shared/vendor/openpbs/``) when present, else the
official source of the same commit on GitHub (downloaded once into ``~/.cache/ehpc-iac``).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
import urllib.request
from pathlib import Path

from ..errors import EngineError
from .base import Progress, no_progress

PBS_CONTEXT = Path(__file__).with_name("docker_image_pbs")
BUILD_REPO = "ehpc-iac/pbs-build"
PBS_NODE_REPO = "ehpc-iac/node-pbs"
SOURCE_ENV = "EHPC_IAC_OPENPBS_SOURCE"
OPENPBS_COMMIT = "cd7ab5edaf03dcac2f1cb9e2f42d75eb117d468a"
OFFICIAL_SOURCE = f"https://github.com/openpbs/openpbs/archive/{OPENPBS_COMMIT}.tar.gz"
SHARED_SOURCE = Path(__file__).resolve().parents[3] / "shared" / "vendor" / "openpbs" / "openpbs-cd7ab5e.tar.gz"
BUILD_TIMEOUT_S = 3600


def openpbs_source() -> str:
    """Where the OpenPBS source archive comes from: the setting, the shared copy, or GitHub."""
    env = os.environ.get(SOURCE_ENV, "").strip()
    if env:
        return env
    return str(SHARED_SOURCE) if SHARED_SOURCE.is_file() else OFFICIAL_SOURCE


def fetch_source(source: str, cache_dir: Path | None = None) -> Path:
    """A local path to the archive: the path itself, or an http(s) URL downloaded once."""
    if not source.startswith(("http://", "https://")):
        path = Path(source.removeprefix("file://")).expanduser()
        if not path.is_file():
            raise EngineError(f"the OpenPBS source archive {path} ({SOURCE_ENV}) does not exist")
        return path
    cache = cache_dir or Path.home() / ".cache" / "ehpc-iac" / "openpbs"
    dest = cache / (hashlib.sha256(source.encode()).hexdigest()[:16] + ".tar.gz")
    if dest.is_file():
        return dest
    cache.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".part")
    try:
        with urllib.request.urlopen(source, timeout=120) as r, open(tmp, "wb") as f:
            shutil.copyfileobj(r, f)
    except OSError as exc:
        raise EngineError(f"cannot download the OpenPBS source {source} ({SOURCE_ENV}): {exc}") from None
    tmp.rename(dest)
    return dest


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def dir_hash(directory: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(directory.rglob("*")):
        if f.is_file():
            h.update(f.relative_to(directory).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def image_tag(repo: str, suite: str, *parts: str) -> str:
    """``repo:suite-<12 hex>`` from the parts that decide the image's content."""
    return f"{repo}:{suite}-{hashlib.sha256('|'.join(parts).encode()).hexdigest()[:12]}"


def _build(client, context: Path, tag: str, buildargs: dict, what: str, progress: Progress) -> None:
    import docker
    long_client = docker.from_env(timeout=BUILD_TIMEOUT_S)   # builds are silent for minutes
    progress(f"building {what} {tag}")
    t0 = time.monotonic()
    try:
        long_client.images.build(path=str(context), tag=tag, buildargs=buildargs, rm=True, forcerm=True, pull=False)
    except docker.errors.BuildError as exc:
        tail = "".join(str(c.get("stream", c.get("error", ""))) for c in list(exc.build_log)[-15:])
        raise EngineError(f"building the {what} failed: {exc.msg}\n{tail}") from None
    finally:
        long_client.close()
    progress(f"{what} {tag} ready in {time.monotonic() - t0:.0f}s")


def _exists(client, ref: str) -> bool:
    import docker.errors
    try:
        client.images.get(ref)
        return True
    except docker.errors.ImageNotFound:
        return False


def ensure_pbs_build_image(client, suite: str, base: str, progress: Progress = no_progress) -> str:
    """The image holding /opt/pbs, compiled from the source archive unless already built."""
    archive = fetch_source(openpbs_source())
    recipe = PBS_CONTEXT / "build"
    tag = image_tag(BUILD_REPO, suite, file_sha256(archive), dir_hash(recipe), client.images.get(base).id)
    if _exists(client, tag):
        return tag
    with tempfile.TemporaryDirectory(prefix="ehpc-pbs-build-") as tmp:
        shutil.copytree(recipe, tmp, dirs_exist_ok=True)
        shutil.copy(archive, Path(tmp) / "openpbs.tar.gz")
        _build(client, Path(tmp), tag, {"BASE": base}, "OpenPBS (compiled once, about 7 minutes)", progress)
    return tag


def ensure_pbs_node_image(client, suite: str, base: str, node: str, progress: Progress = no_progress) -> str:
    """The PBS node image over the node image ``node``, with /opt/pbs from the build image."""
    build = ensure_pbs_build_image(client, suite, base, progress)
    context = PBS_CONTEXT / "node"
    tag = image_tag(PBS_NODE_REPO, suite, dir_hash(context), client.images.get(build).id, client.images.get(node).id)
    if not _exists(client, tag):
        _build(client, context, tag, {"BUILD": build, "NODE": node}, "PBS node image", progress)
    return tag
