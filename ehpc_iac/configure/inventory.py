"""Ansible inventory and variables from the plan and the engine's outputs.

The variable names are the contract documented in roles/README.md.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

from ..engines.base import Access, NodeOutput
from ..plan import ACCOUNT, COMPUTE, LOGIN, ClusterPlan

GROUPS = {"account": ACCOUNT, "login": LOGIN, "compute": COMPUTE}


def build_inventory(plan: ClusterPlan, nodes: Mapping[str, NodeOutput], access: Access) -> dict[str, Any]:
    hosts: dict[str, Any] = {}
    for node in plan.nodes:
        out = nodes[node.hostname]
        hosts[node.hostname] = {
            "ansible_host": out.address,
            "ansible_port": out.port,
            "ansible_user": access.user,
            "ansible_ssh_private_key_file": str(access.private_key_file),
            "ehpc_hostname": node.hostname,
            "ehpc_cpus": out.cpus,
            "ehpc_memory_mb": out.memory_mb,
        }
    children: dict[str, Any] = {g: {"hosts": {n.hostname: {} for n in plan.with_role(role)}}
                                for g, role in GROUPS.items()}
    children["scheduler"] = {"hosts": {n.hostname: {} for n in plan.schedulers}}
    # the back ends' plays target these groups (playbooks/scheduler_<type>.yml, accounts_<type>.yml)
    for backend in (plan.scheduler_type, plan.account_type):
        children[backend] = {"hosts": {n.hostname: {} for n in plan.nodes}}
    return {"all": {"hosts": hosts, "children": children}}


def post_install_item(p: dict) -> dict:
    """A local script is copied from the control host; an http(s) URL is fetched by each node."""
    url = p["url"]
    if url.startswith(("http://", "https://")):
        return {"url": url, "args": p["args"]}
    return {"src": url.removeprefix("file://"), "args": p["args"]}


def build_extravars(plan: ClusterPlan, nodes: Mapping[str, NodeOutput], *,
                    root_password_hash: Optional[str] = None,
                    authorized_keys: tuple[str, ...] = (),
                    users: tuple[dict, ...] = (),
                    shared_storage: Optional[dict] = None,
                    manage_etc_hosts: bool = False,
                    account_vars: Optional[Mapping[str, Any]] = None,
                    scheduler_vars: Optional[Mapping[str, Any]] = None,
                    verify_node_states: Optional[Sequence[str]] = None) -> dict[str, Any]:
    """``account_vars`` / ``scheduler_vars``: the back ends' own variables (``AccountBackend.config_vars``,
    ``SchedulerBackend.config_vars``); ``verify_node_states``: the states the verify play accepts."""
    home = next(v for v in plan.volumes if v.purpose == "home")
    storage = shared_storage or {"mode": "docker"}
    extra = {"ehpc_verify_node_states": list(verify_node_states)} if verify_node_states else {}
    return {
        **extra,
        "ehpc_cluster_id": plan.cluster_id,
        "ehpc_nis_domain": plan.nis_domain,
        "ehpc_slurm_controllers": [n.hostname for n in plan.schedulers],
        "ehpc_account_server": plan.account_server.hostname,
        "ehpc_compute_nodes": [{"name": n.hostname, "cpus": nodes[n.hostname].cpus,
                                "memory_mb": nodes[n.hostname].memory_mb, "queue": n.queue}
                               for n in plan.computes],
        "ehpc_queues": [{"name": q.name, "default": q.default} for q in plan.queues],
        "ehpc_root_password_hash": root_password_hash or "",
        "ehpc_authorized_keys": list(authorized_keys),
        "ehpc_users": list(users),
        "ehpc_post_install": [post_install_item(p) for p in plan.post_install],
        "ehpc_applications": list(plan.applications),
        "ehpc_shared_storage": {**storage, "local_dir": home.mount_path},
        "ehpc_manage_etc_hosts": manage_etc_hosts,
        **(account_vars or {}),
        **(scheduler_vars or {}),
    }
