"""The cluster's configuration as a Pulumi resource: a pure-Python dynamic provider (no plugin).

``Configuration`` takes the plan, the machines' addresses and the declared users, and its
provider runs the project's own steps (``steps.py``, the same playbooks and roles as every
engine):

- **create**: the cluster play on every node; users get uids from 1000 up;
- **diff**: a change only when an input that matters changed (plan, nodes, users, root password,
  munge key, authorized keys, shared storage: ``model.CONFIG_INPUTS``), compared through a
  fingerprint kept in the outputs; a different cluster id replaces the resource;
- **update**: compute nodes gone from the plan are drained first (their running jobs finish,
  never killed) and deleted from the scheduler, before Pulumi removes their machines (Pulumi
  deletes removed resources after updating the others); then the play runs, only on the new
  computes and the primary scheduler when nothing but the compute set grew, on every node
  otherwise, not at all when computes were only removed;
- **delete**: every compute drained and deleted, users removed, daemons stopped and their
  configuration removed; the machines stay, unconfigured (Pulumi then deletes them, or not:
  existing hosts are never deleted).

Secrets: users' passwords arrive as SHA-512 crypt hashes (``User`` hashes them), the root
password as a hash, the munge key only when the program passes one; all three are secret inputs
(encrypted in the state) and none is in the outputs, which hold the plan, the node addresses, the
uids, the user names and a SHA-256 fingerprint.
"""
from __future__ import annotations

import copy
from typing import Any, Mapping, Optional

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult
from pulumi.runtime import rpc

from ..plan import ClusterPlan
from . import model, steps

SECRET_INPUTS = ("users", "root_password_hash", "munge_key")
#: outputs: what update and delete need again (no secret among them)
OUTPUT_KEYS = ("cluster_id", "plan", "nodes", "state_dir", "drain_timeout", "authorized_keys", "shared_storage")


def _plain(value: Any) -> Any:
    """A property bag as plain data: Pulumi's secret wrappers removed (diff and check see them), and
    whole numbers as ints (Pulumi's wire format makes every number a float: CPUs=2.0 would reach
    slurm.conf). Properties whose value was None are absent: the plan's defaults fill them in."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return _plain(value.get("value"))
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _has_unknown(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_unknown(v) for v in value)
    return value == rpc.UNKNOWN


def _frame(inputs: Mapping[str, Any]) -> str:
    """The fingerprint of everything but the set of compute nodes."""
    plan = dict(inputs.get("plan") or {})
    computes = {n["hostname"] for n in plan.get("nodes", ()) if list(n["roles"]) == ["Compute"]}
    plan["nodes"] = [n for n in plan.get("nodes", ()) if n["hostname"] not in computes]
    nodes = [n for n in inputs.get("nodes") or () if n.get("hostname") not in computes]
    return model.digest({**inputs, "plan": plan, "nodes": nodes})


def _outputs(inputs: Mapping[str, Any], uids: Mapping[str, int]) -> dict[str, Any]:
    plan = ClusterPlan.from_dict(dict(inputs["plan"]))
    out = {k: copy.deepcopy(inputs.get(k)) for k in OUTPUT_KEYS}
    out.update(
        config_digest=model.digest(inputs), frame_digest=_frame(inputs), uids=dict(uids),
        user_names=[u["name"] for u in inputs.get("users") or ()],
        computes=[n.hostname for n in plan.computes],
        queues=[{"name": q.name, "default": q.default} for q in plan.queues])
    return out


class ConfigurationProvider(ResourceProvider):
    """Stateless: everything it needs is in the inputs/outputs (it is pickled into the state)."""

    serialize_as_secret_always = False

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = []
        plain = _plain(news)
        if not _has_unknown(plain.get("plan")):
            try:
                ClusterPlan.from_dict(dict(plain["plan"]))
            except Exception as exc:  # noqa: BLE001 - reported to the user as a check failure
                failures.append(CheckFailure("plan", f"not a cluster plan: {exc}"))
        names = [u.get("name") for u in plain.get("users") or () if isinstance(u, dict)]
        if len(set(names)) != len(names):
            failures.append(CheckFailure("users", f"a user is declared twice: {', '.join(map(str, names))}"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        news = _plain(news)
        olds = _plain(olds)
        if _has_unknown(news):
            return DiffResult(changes=True)
        if news.get("cluster_id") != olds.get("cluster_id"):
            return DiffResult(changes=True, replaces=["cluster_id"], delete_before_replace=True)
        changed = model.digest(news) != olds.get("config_digest")
        return DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        props = _plain(props)
        cfg = steps.ConfigInputs(props)
        uids = model.assign_uids([u["name"] for u in props.get("users") or ()], {})
        steps.configure(cfg, uids)
        return CreateResult(id_=cfg.cluster_id, outs=_outputs(props, uids))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        olds, news = _plain(olds), _plain(news)
        old, new = steps.ConfigInputs(olds), steps.ConfigInputs(news)
        change = model.compute_change(olds.get("plan"), news["plan"])
        uids = model.assign_uids([u["name"] for u in news.get("users") or ()], olds.get("uids") or {})
        if change.removed:
            steps.drain_and_delete(old, list(change.removed), "removed from the Pulumi program")
        same_frame = _frame(news) == olds.get("frame_digest")
        if not same_frame:
            steps.configure(new, uids)
        elif change.added:
            steps.configure(new, uids, limit=sorted({*change.added, new.plan.schedulers[0].hostname}))
        return UpdateResult(outs=_outputs(news, uids))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        steps.detach(steps.ConfigInputs(_plain(props)))


class Configuration(Resource, module="ehpc", name="Configuration"):
    """The software and accounts of a cluster, on machines made by other resources."""

    cluster_id: pulumi.Output[str]
    plan: pulumi.Output[dict]
    nodes: pulumi.Output[list]
    uids: pulumi.Output[dict]
    user_names: pulumi.Output[list]
    computes: pulumi.Output[list]
    queues: pulumi.Output[list]
    config_digest: pulumi.Output[str]

    def __init__(self, name: str, *, cluster_id: pulumi.Input[str], plan: pulumi.Input[dict],
                 nodes: pulumi.Input[list], state_dir: pulumi.Input[str], users: pulumi.Input[list] = (),
                 root_password_hash: pulumi.Input[str] = "", munge_key: pulumi.Input[str] = "",
                 authorized_keys: pulumi.Input[list] = (), shared_storage: Optional[pulumi.Input[dict]] = None,
                 drain_timeout: int = steps.DEFAULT_DRAIN_TIMEOUT,
                 opts: Optional[pulumi.ResourceOptions] = None):
        props = {
            "cluster_id": cluster_id, "plan": plan, "nodes": nodes, "state_dir": state_dir,
            "users": pulumi.Output.secret(users), "root_password_hash": pulumi.Output.secret(root_password_hash),
            "munge_key": pulumi.Output.secret(munge_key), "authorized_keys": list(authorized_keys),
            "shared_storage": shared_storage or {}, "drain_timeout": drain_timeout,
            # outputs only
            "uids": None, "user_names": None, "computes": None, "queues": None, "config_digest": None,
            "frame_digest": None,
        }
        super().__init__(ConfigurationProvider(), name, props, opts)
