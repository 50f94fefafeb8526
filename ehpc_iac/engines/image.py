"""The node image, built locally: no registry is needed.

1. base image ``ehpc-iac/base:<suite>``: ``debootstrap --variant=minbase`` a Debian
   root file system and ``docker import`` it (once per machine, ~25 s);
2. node image ``ehpc-iac/node:<suite>-<hash>``: ``docker build`` of
   ``docker_image/`` over the base (openssh, munge, Slurm, NIS pre-installed, so
   Ansible only configures). The tag carries a hash of the build context and
   the base image id, so a changed Dockerfile builds a new image and an
   unchanged one is reused.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from ..errors import EngineError, EngineUnavailable, ImageNotFound
from ..spec.catalog import OS_TAGS
from .base import Progress, no_progress

CONTEXT_DIR = Path(__file__).with_name("docker_image")
BASE_REPO = "ehpc-iac/base"
NODE_REPO = "ehpc-iac/node"


def debian_mirror() -> str:
    """The mirror apt already uses on this machine, or EHPC_IAC_DEBIAN_MIRROR."""
    env = os.environ.get("EHPC_IAC_DEBIAN_MIRROR")
    if env:
        return env
    for src in sorted(Path("/etc/apt/sources.list.d").glob("*.sources")):
        for line in src.read_text().splitlines():
            if line.startswith("URIs:"):
                uri = line.split()[1]
                if "security" not in uri:
                    return uri
    lst = Path("/etc/apt/sources.list")
    if lst.exists():
        for line in lst.read_text().splitlines():
            parts = line.split()
            if len(parts) > 2 and parts[0] == "deb" and "security" not in parts[1]:
                return parts[1]
    return "http://deb.debian.org/debian"


def context_hash() -> str:
    h = hashlib.sha256()
    for f in sorted(CONTEXT_DIR.rglob("*")):
        if f.is_file():
            h.update(f.relative_to(CONTEXT_DIR).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


def _image_id(client, ref: str) -> str | None:
    import docker.errors
    try:
        return client.images.get(ref).id
    except docker.errors.ImageNotFound:
        return None


def ensure_base_image(client, suite: str, progress: Progress = no_progress) -> str:
    ref = f"{BASE_REPO}:{suite}"
    if _image_id(client, ref):
        return ref
    if shutil.which("debootstrap") is None:
        raise EngineUnavailable(
            f"The base image {ref} is missing and debootstrap is not installed: run "
            "`apt-get install -y debootstrap` (or scripts/setup.sh) and try again.")
    progress(f"building base image {ref} with debootstrap (once per machine)")
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ehpc-rootfs-") as tmp:
        root = Path(tmp) / "rootfs"
        cmd = ["debootstrap", "--variant=minbase", suite, str(root), debian_mirror()]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise EngineError(f"debootstrap failed (exit {proc.returncode}): {proc.stderr.strip()[-800:]}")
        tarball = Path(tmp) / "rootfs.tar"
        subprocess.run(["tar", "-C", str(root), "-cf", str(tarball), "."], check=True)
        repo, tag = ref.split(":")
        client.api.import_image_from_file(str(tarball), repository=repo, tag=tag)
    progress(f"base image {ref} ready in {time.monotonic() - t0:.0f}s")
    return ref


def node_image_ref(client, suite: str) -> str:
    base_id = _image_id(client, f"{BASE_REPO}:{suite}") or "nobase"
    h = hashlib.sha256((context_hash() + base_id).encode()).hexdigest()[:12]
    return f"{NODE_REPO}:{suite}-{h}"


def ensure_node_image(client, os_tag: str, image_id: str | None = None,
                      progress: Progress = no_progress) -> str:
    """Return a usable node image reference, building it if needed."""
    import docker.errors
    if image_id:
        if not _image_id(client, image_id):
            raise ImageNotFound(f"The image {image_id} (ImageId) does not exist in the local Docker engine.")
        return image_id
    suite = OS_TAGS[os_tag]
    base = ensure_base_image(client, suite, progress)
    ref = node_image_ref(client, suite)
    if _image_id(client, ref):
        return ref
    progress(f"building node image {ref}")
    t0 = time.monotonic()
    try:
        client.images.build(path=str(CONTEXT_DIR), tag=ref, buildargs={"BASE": base}, rm=True, forcerm=True,
                            pull=False)
    except docker.errors.BuildError as exc:
        tail = "".join(str(c.get("stream", c.get("error", ""))) for c in list(exc.build_log)[-15:])
        raise EngineError(f"building the node image failed: {exc.msg}\n{tail}") from None
    progress(f"node image {ref} ready in {time.monotonic() - t0:.0f}s")
    return ref


def node_image_for(client, plan, progress: Progress = no_progress) -> str:
    """The node image of ``plan``: its ImageId, else the image of its scheduler type (the
    node image above for Slurm; PBS clusters use it with OpenPBS added, see image_pbs.py)."""
    ref = ensure_node_image(client, plan.os_tag, plan.image_id, progress)
    if plan.image_id or plan.scheduler_type != "pbs":
        return ref
    from .image_pbs import ensure_pbs_node_image
    suite = OS_TAGS[plan.os_tag]
    return ensure_pbs_node_image(client, suite, f"{BASE_REPO}:{suite}", ref, progress)
