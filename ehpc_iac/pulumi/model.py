"""The pure part of the Pulumi components: plans, stable ids, users, what a change needs.

Nothing here imports Pulumi or does I/O. Every value is derived so that running the same
program twice declares the same thing (random ids or salts would make every ``pulumi up`` a
change).
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional, Sequence

from ..errors import InvalidParams
from ..plan import COMPUTE, ClusterPlan, QueuePlan, add_compute_nodes, plan_cluster
from ..spec import INSTANCE_TYPES, load_cluster_spec
from ..spec.cluster import QUEUE_RE, check_password
from ..spec.users import check_user_name

_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_ID_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_CRYPT_SALT = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
GROUPS = ("users", "wheel")
FIRST_UID = 1000
MIN_MUNGE_KEY = 32


def _digits(seed: str, alphabet: str, n: int) -> str:
    v = int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big")
    out = []
    for _ in range(n):
        v, r = divmod(v, len(alphabet))
        out.append(alphabet[r])
    return "".join(out)


def stable_instance_id(cluster_id: str, hostname: str) -> str:
    """An instance id in the planner's format (i- + 20 of [a-z0-9]) that is the same on every
    `pulumi up`: random ids would change every node's labels (and config hash) on each run."""
    return "i-" + _digits(f"{cluster_id}/{hostname}", _ALNUM, 20)


def stable_cluster_id(project: str, stack: str, name: str, region: str = "local") -> str:
    """The cluster id of the component ``name`` in ``project``/``stack`` (ehpc-lo-XXXXXXXXXX)."""
    short = {"local": "lo"}.get(region, region[:2] or "lo")
    return f"ehpc-{short}-" + _digits(f"{project}/{stack}/{name}", _ID_ALNUM, 10)


@dataclass(frozen=True)
class QueueArgs:
    """A queue (Slurm partition) and the compute nodes serving it."""
    name: str
    compute_count: int = 0
    instance_type: Optional[str] = None   # default: the spec's EcsOrder.Compute.InstanceType
    default: bool = False

    def __post_init__(self):
        if not QUEUE_RE.match(self.name):
            raise InvalidParams("Queues.Name", f"{self.name!r}: 1-15 characters, a lower-case letter, then "
                                               "lower-case letters, digits or '_'")
        if not 0 <= self.compute_count <= 99:
            raise InvalidParams("Queues.ComputeCount", f"{self.compute_count} is not between 0 and 99")
        if self.instance_type is not None and self.instance_type not in INSTANCE_TYPES:
            raise InvalidParams("Queues.InstanceType", f"unknown instance type {self.instance_type!r}")


def queue_prefix(queue: str) -> str:
    """Host-name prefix of the compute nodes of a queue other than the default one."""
    return f"compute-{queue.replace('_', '-')}"


def _with_default_queue(spec: Mapping[str, Any], queues: Sequence[QueueArgs]) -> tuple[dict, list[QueueArgs]]:
    data = dict(spec)
    if not queues:
        return data, []
    names = [q.name for q in queues]
    if len(set(names)) != len(names):
        raise InvalidParams("Queues", f"a queue is listed twice: {', '.join(names)}")
    defaults = [q for q in queues if q.default]
    if len(defaults) > 1:
        raise InvalidParams("Queues", "only one queue may be the default")
    default = defaults[0] if defaults else next((q for q in queues if q.name == data.get("JobQueue")), queues[0])
    data["JobQueue"] = default.name
    order = {k: dict(v) for k, v in dict(data.get("EcsOrder") or {}).items()}
    compute = order.setdefault("Compute", {})
    compute["Count"] = default.compute_count
    if default.instance_type:
        compute["InstanceType"] = default.instance_type
    data["EcsOrder"] = order
    return data, [q for q in queues if q is not default]


def cluster_plan(spec: Mapping[str, Any], cluster_id: str, queues: Sequence[QueueArgs] = ()) -> ClusterPlan:
    """The plan of a CreateCluster spec (API names) plus queues, with stable instance ids.

    The default queue's nodes are ``compute0..``; another queue Q's are ``compute-Q0..``. Lowering a
    count removes the highest-numbered nodes, so the same program always names the same nodes."""
    data, extra = _with_default_queue(spec, queues)
    parsed = load_cluster_spec(data)

    def ids_for(hosts: Iterable[str]):
        it = iter(stable_instance_id(cluster_id, h) for h in hosts)
        return lambda: next(it)

    plan = plan_cluster(parsed, cluster_id)
    plan = plan.replace(nodes=tuple(dataclasses.replace(n, instance_id=stable_instance_id(cluster_id, n.hostname))
                                    for n in plan.nodes))
    queue_plans = [dataclasses.replace(plan.queues[0], instance_type=parsed.EcsOrder.Compute.InstanceType)]
    for q in extra:
        itype = q.instance_type or parsed.EcsOrder.Compute.InstanceType
        prefix = queue_prefix(q.name)
        hosts = [f"{prefix}{i}" for i in range(q.compute_count)]
        plan, _ = add_compute_nodes(plan, parsed, q.compute_count, itype, q.name, new_instance_id=ids_for(hosts),
                                    prefix=prefix)
        queue_plans.append(QueuePlan(q.name, default=False, instance_type=itype))
    return plan.replace(queues=tuple(queue_plans))


# --- users and passwords --------------------------------------------------------------------------
def stable_crypt(password: str, context: str) -> str:
    """SHA-512 crypt of ``password`` with a salt derived from the password and ``context`` (a user
    name): the same password gives the same hash on every run, so an unchanged program changes
    nothing, and a new password gives a new hash. The clear password goes nowhere else."""
    from ..configure.passwords import sha512_crypt
    mac = hmac.new(password.encode(), f"ehpc-iac/{context}".encode(), hashlib.sha256).digest()
    salt = "".join(_CRYPT_SALT[b % 64] for b in mac[:16])
    return sha512_crypt(password, f"$6${salt}")


def check_user(name: str, group: str) -> None:
    """AddUsers' rules for Name and Group, as InvalidParams naming the field."""
    try:
        check_user_name(name)
    except ValueError as exc:
        raise InvalidParams("User.Name", str(exc)) from None
    if group not in GROUPS:
        raise InvalidParams("User.Group", f"{group!r}: one of {', '.join(GROUPS)}")


def check_secret_password(field: str, clear: str) -> None:
    """E-HPC's password rule, as InvalidParams naming the field (never the value)."""
    try:
        check_password(clear)
    except ValueError as exc:
        raise InvalidParams(field, str(exc)) from None


def assign_uids(names: Sequence[str], known: Mapping[str, int]) -> dict[str, int]:
    """Every name ever declared keeps its uid; a new name gets the next uid above all given ones
    (so a deleted user's uid is never given to someone else)."""
    out = dict(known)
    nxt = max([FIRST_UID - 1, *out.values()]) + 1
    for name in names:
        if name not in out:
            out[name] = nxt
            nxt += 1
    return out


def check_munge_key(key: str) -> None:
    if key and len(key.encode()) < MIN_MUNGE_KEY:
        raise InvalidParams("MungeKey", f"must be at least {MIN_MUNGE_KEY} bytes")


# --- what a change of the configuration needs ------------------------------------------------------
#: inputs whose change re-runs the configuration (everything else is bookkeeping)
CONFIG_INPUTS = ("plan", "nodes", "users", "root_password_hash", "munge_key", "authorized_keys",
                 "shared_storage")


def digest(inputs: Mapping[str, Any]) -> str:
    """A fingerprint of what the configuration was made from (secrets go in hashed, never back out)."""
    body = {k: inputs.get(k) for k in CONFIG_INPUTS}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Change:
    added: tuple[str, ...]     # compute host names new in the plan
    removed: tuple[str, ...]   # compute host names gone from the plan


def compute_change(old_plan: Optional[Mapping[str, Any]], new_plan: Mapping[str, Any]) -> Change:
    old = {n["hostname"] for n in (old_plan or {}).get("nodes", ()) if COMPUTE in n["roles"]}
    new = {n["hostname"] for n in new_plan.get("nodes", ()) if COMPUTE in n["roles"]}
    return Change(tuple(sorted(new - old)), tuple(sorted(old - new)))

