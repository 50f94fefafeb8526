"""The ``Hosts`` parameter of CreateCluster with ``Engine: hosts``: existing machines.

Each entry maps one planned host name (as ``plan_cluster`` names them: ``account0``,
``scheduler0``, ``manager0``, ``login0``, ``compute0`` ...) to where SSH reaches it::

    Hosts:
      - {HostName: manager0, Address: 10.0.0.5}            # Port 22, User root
      - {HostName: compute0, Address: 10.0.0.6, Port: 2222}

Nested (a list of objects) or the API's flat form (``Hosts.1.HostName``). Errors are
``InvalidParams`` naming ``Hosts.N.<Field>`` (N counts from 1), raised before anything is done.
"""
from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Mapping, Optional

from ..errors import InvalidParams

HOSTS_LABEL = "ehpc.hosts"          # plan.labels key carrying the validated entries (JSON)
FIELDS = ("HostName", "Address", "Port", "User", "Roles")
_ADDRESS_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$")


@dataclass(frozen=True)
class HostEntry:
    HostName: str
    Address: str
    Port: int = 22
    User: str = "root"
    Roles: tuple[str, ...] = ()


def pop_hosts(data: dict[str, Any]) -> Optional[list[Any]]:
    """Remove ``Hosts`` (nested or flat ``Hosts.N.Field``) from a request; None when absent."""
    flat = {k: data.pop(k) for k in [k for k in data if k.startswith("Hosts.")]}
    hosts = data.pop("Hosts", None)
    if flat:
        if hosts is not None:
            raise InvalidParams("Hosts", "give Hosts either as a list or as Hosts.N.* keys, not both")
        items: dict[int, dict[str, Any]] = {}
        for key, value in flat.items():
            parts = key.split(".")
            if len(parts) != 3 or not parts[1].isdigit() or int(parts[1]) < 1:
                raise InvalidParams(key, "expected Hosts.N.<Field> with N from 1")
            items.setdefault(int(parts[1]), {})[parts[2]] = value
        hosts = [items[i] for i in sorted(items)]
    return hosts


def parse_hosts(raw: Any) -> list[HostEntry]:
    """Check the shape of every entry (types, ports, addresses); not yet against a plan."""
    if not isinstance(raw, (list, tuple)) or not raw:
        raise InvalidParams("Hosts", "must be a non-empty list of {HostName, Address, Port, User, Roles}")
    out = []
    for i, item in enumerate(raw, start=1):
        f = f"Hosts.{i}"
        if not isinstance(item, Mapping):
            raise InvalidParams(f, "must be an object with HostName and Address")
        unknown = sorted(set(item) - set(FIELDS))
        if unknown:
            raise InvalidParams(f"{f}.{unknown[0]}", f"unknown field; allowed: {', '.join(FIELDS)}")
        name, addr = item.get("HostName"), item.get("Address")
        if not isinstance(name, str) or not name:
            raise InvalidParams(f"{f}.HostName", "is required (a planned host name such as compute0)")
        if not isinstance(addr, str) or not addr.strip():
            raise InvalidParams(f"{f}.Address", "is required (an IP address or DNS name SSH reaches)")
        addr = addr.strip()
        try:
            ipaddress.ip_address(addr)
        except ValueError:
            if not _ADDRESS_RE.match(addr):
                raise InvalidParams(f"{f}.Address", f"{addr!r} is neither an IP address nor a host name")
        port = item.get("Port", 22)
        try:
            port = int(port)
        except (TypeError, ValueError):
            raise InvalidParams(f"{f}.Port", "must be an integer") from None
        if isinstance(item.get("Port"), bool) or not 1 <= port <= 65535:
            raise InvalidParams(f"{f}.Port", "must be between 1 and 65535")
        user = item.get("User", "root")
        if user != "root":
            raise InvalidParams(f"{f}.User", "only root is supported: the configuration runs as root "
                                "(authorise the cluster key for root on the machine)")
        roles = item.get("Roles") or ()
        if isinstance(roles, str) or not isinstance(roles, (list, tuple)):
            raise InvalidParams(f"{f}.Roles", "must be a list of role names")
        out.append(HostEntry(name, addr, port, user, tuple(str(r) for r in roles)))
    return out


def check_hosts_against_plan(entries: list[HostEntry], planned: Iterable[tuple[str, Iterable[str]]]) -> None:
    """Every planned node has exactly one entry, no unknown host names, (address, port) unique,
    and ``Roles`` (when given) agree with the plan's roles of that node."""
    planned = {h: {r.lower() for r in roles} for h, roles in planned}
    seen: dict[str, int] = {}
    where: dict[tuple[str, int], int] = {}
    for i, e in enumerate(entries, start=1):
        if e.HostName not in planned:
            raise InvalidParams(f"Hosts.{i}.HostName", f"{e.HostName!r} is not a planned node; the plan has "
                                f"{', '.join(sorted(planned))}")
        if e.HostName in seen:
            raise InvalidParams(f"Hosts.{i}.HostName", f"{e.HostName!r} is already given by Hosts.{seen[e.HostName]}")
        seen[e.HostName] = i
        key = (e.Address.lower(), e.Port)
        if key in where:
            raise InvalidParams(f"Hosts.{i}.Address", f"{e.Address}:{e.Port} is already used by Hosts.{where[key]}")
        where[key] = i
        if e.Roles and {r.lower() for r in e.Roles} != planned[e.HostName]:
            raise InvalidParams(f"Hosts.{i}.Roles", f"{e.HostName} has the roles "
                                f"{', '.join(sorted(planned[e.HostName]))} in the plan")
    missing = [h for h in planned if h not in seen]
    if missing:
        raise InvalidParams("Hosts", f"no host given for the planned node(s) {', '.join(missing)}")


def hosts_label(entries: list[HostEntry]) -> str:
    return json.dumps([{**asdict(e), "Roles": list(e.Roles)} for e in entries], sort_keys=True)


def hosts_from_labels(labels: Mapping[str, str]) -> dict[str, HostEntry]:
    raw = labels.get(HOSTS_LABEL)
    if not raw:
        return {}
    return {d["HostName"]: HostEntry(**{**d, "Roles": tuple(d.get("Roles", ()))}) for d in json.loads(raw)}
