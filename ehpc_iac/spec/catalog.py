"""Static catalogs the spec validates against: instance types, OS tags, applications.

An instance type on the docker engine is a resource envelope: the node gets at
most this many CPUs and this much memory (capped by what the Docker host has).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InstanceType:
    name: str
    cpus: int
    memory_mb: int
    gpus: int = 0


INSTANCE_TYPES: dict[str, InstanceType] = {
    t.name: t
    for t in (
        InstanceType("ecs.n1.tiny", 1, 1024),
        InstanceType("ecs.n1.small", 1, 2048),
        InstanceType("ecs.n1.medium", 2, 4096),
        InstanceType("ecs.n1.large", 4, 8192),
        InstanceType("ecs.sn1ne.large", 2, 4096),
        InstanceType("ecs.sn1ne.xlarge", 4, 8192),
        InstanceType("ecs.c5.large", 2, 4096),
        InstanceType("ecs.c5.xlarge", 4, 8192),
        InstanceType("ecs.c6.large", 2, 4096),
        InstanceType("ecs.c6.xlarge", 4, 8192),
        InstanceType("ecs.g5.large", 2, 8192),
        InstanceType("ecs.g5.xlarge", 4, 16384),
        InstanceType("ecs.g6.large", 2, 8192),
        InstanceType("ecs.r5.large", 2, 16384),
    )
}

DEFAULT_INSTANCE_TYPE = "ecs.n1.tiny"


def check_instance_type(v: str | None) -> str | None:
    """Pydantic field check: a known instance type (or None)."""
    if v is not None and v not in INSTANCE_TYPES:
        raise ValueError(f"unknown instance type {v!r}; known: {', '.join(sorted(INSTANCE_TYPES))}")
    return v

# OsTag -> (debootstrap suite, description)
OS_TAGS: dict[str, str] = {
    "Debian_12_64": "bookworm",
}
DEFAULT_OS_TAG = "Debian_12_64"

# Application.N.Tag -> Debian packages installed on login and compute nodes.
APPLICATIONS: dict[str, list[str]] = {
    "OpenMPI": ["openmpi-bin", "libopenmpi-dev"],
    "OpenMPI_4.1": ["openmpi-bin", "libopenmpi-dev"],
    "MPICH": ["mpich"],
    "MPICH_4.0": ["mpich"],
    "Lmod": ["lmod"],
    "GCC": ["gcc", "g++", "gfortran"],
    "Python3": ["python3-numpy", "python3-scipy"],
}

SCHEDULERS_SUPPORTED = ("slurm", "opengridscheduler", "pbs")
# Known to E-HPC, not implemented here yet: refused with a clear message.
SCHEDULERS_PLANNED = ("pbs19", "deadline", "lsf", "slurm19", "slurm20", "custom")
ACCOUNT_TYPES_SUPPORTED = ("nis", "ldap")
ACCOUNT_TYPES_PLANNED = ()
