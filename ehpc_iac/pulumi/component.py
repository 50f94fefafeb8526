"""Components for your own Pulumi program: ``Cluster`` and ``User``.

```python
import pulumi
from ehpc_iac.pulumi import Cluster, DockerMachines, Queue, User

cfg = pulumi.Config()
alice = User("alice", password=cfg.require_secret("alicePassword"))
hpc = Cluster("hpc", spec={"Name": "demo", "DeployMode": "Tiny"}, machines=DockerMachines(),
              queues=[Queue("comp", compute_count=2)], users=[alice])
pulumi.export("login", hpc.login_address)
```

A ``Cluster``'s children are the machines (``DockerMachines``: network, volumes, containers;
``AliCloudMachines``: VPC, vSwitch, security group, key pair, NAS, ECS instances; ``ExistingHosts``:
none), the ``Configuration`` (the dynamic resource of ``provider.py``) and the users declared as
dicts. Changing a queue's ``compute_count`` and running ``pulumi up`` adds compute nodes (they join
and become idle) or removes them (drained first, running jobs finish); ``pulumi destroy``
unconfigures, then removes the machines.

The spec is the CreateCluster request with the API's names, as plain values (the plan, hence the
set of machines, is known when the program runs). The root password (``root_password`` or the
spec's ``Password``), users' passwords and an optional munge key are Pulumi secrets; only SHA-512
crypt hashes leave the program, as secret inputs of the configuration.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence, Union

import pulumi

from ..engines.base import Access
from ..engines.keys import ensure_cluster_key
from ..errors import InvalidParams
from ..plan import ClusterPlan
from . import model
from .provider import Configuration
from .steps import DEFAULT_DRAIN_TIMEOUT

Queue = model.QueueArgs
INVENTORY_KEYS = ("hostname", "roles", "instance_id", "address", "queue")


@dataclass(frozen=True)
class DockerMachines:
    """Containers on this machine's Docker (the docker engine's containers, as Pulumi resources)."""
    image: Optional[str] = None        # default: the node image, built locally now if missing
    host_cpus: Optional[int] = None    # default: the Docker host's CPUs
    subnet: str = "172.28.0.0/24"      # the cluster network (one per cluster on a host)
    ips: Mapping[str, str] = field(default_factory=dict)   # host name -> address to keep


@dataclass(frozen=True)
class AliCloudMachines:
    """ECS instances in a new VPC. The image must carry the node image's software (see
    ehpc_iac/engines/docker_image/Dockerfile); the provider reads credentials from its own config."""
    image_id: str
    zone_id: str
    allowed_ssh_cidr: str
    vpc_cidr: str = "10.60.0.0/16"
    vswitch_cidr: str = "10.60.1.0/24"
    internet_max_bandwidth_out: int = 10
    system_disk_category: str = "cloud_essd"


@dataclass(frozen=True)
class ExistingHosts:
    """Machines you have (E-HPC's hybrid clusters): host name -> address, or -> {address, port,
    cpus, memory_mb}. Authorise the hosts engine's public key (``$EHPC_IAC_HOME/hosts/ssh``;
    ``ehpc-iac create-cluster --engine hosts --dryrun`` prints it) for root on each first."""
    hosts: Mapping[str, Union[str, Mapping[str, Any]]]


Machines = Union[DockerMachines, AliCloudMachines, ExistingHosts]


def default_home() -> Path:
    return Path(os.environ.get("EHPC_IAC_HOME") or Path.home() / ".ehpc-iac")


class User(pulumi.ComponentResource):
    """A cluster user (AddUsers' Name, Password, Group). The password is a Pulumi secret; only its
    SHA-512 crypt hash leaves the program, as a secret."""

    entry: pulumi.Output[dict]

    def __init__(self, resource_name: str, *, password: pulumi.Input[str], name: Optional[str] = None,
                 group: str = "users", opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("ehpc:index:User", resource_name, None, opts)
        self.user_name = name or resource_name
        self.group = group
        model.check_user(self.user_name, group)

        def entry(clear: str) -> dict:
            model.check_secret_password("User.Password", clear)
            return {"name": self.user_name, "group": group,
                    "password_hash": model.stable_crypt(clear, self.user_name)}

        self.entry = pulumi.Output.secret(pulumi.Output.from_input(password).apply(entry))
        self.register_outputs({"name": self.user_name, "group": group})


def _user(item: Union[User, Mapping[str, Any]], parent: pulumi.Resource, index: int) -> User:
    if isinstance(item, User):
        return item
    if not isinstance(item, Mapping) or "Name" not in item or "Password" not in item:
        raise InvalidParams(f"User.{index}", "a User resource or {Name, Password, Group}")
    return User(f"{parent._name}-{item['Name']}", name=item["Name"], password=item["Password"],
                group=item.get("Group", "users"), opts=pulumi.ResourceOptions(parent=parent))


class Cluster(pulumi.ComponentResource):
    """An E-HPC cluster: machines, configuration and users, from the CreateCluster spec."""

    cluster_id: pulumi.Output[str]
    login_address: pulumi.Output[str]
    nodes: pulumi.Output[list]
    queues: pulumi.Output[list]
    users: pulumi.Output[list]
    public_key: pulumi.Output[str]

    def __init__(self, resource_name: str, *, spec: Mapping[str, Any], machines: Optional[Machines] = None,
                 queues: Sequence[model.QueueArgs] = (), users: Sequence[Union[User, Mapping[str, Any]]] = (),
                 root_password: Optional[pulumi.Input[str]] = None, munge_key: Optional[pulumi.Input[str]] = None,
                 authorized_keys: Sequence[str] = (), cluster_id: Optional[str] = None,
                 state_dir: Optional[str] = None, drain_timeout: int = DEFAULT_DRAIN_TIMEOUT,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("ehpc:index:Cluster", resource_name, None, opts)
        machines = machines or DockerMachines()
        spec = dict(spec)
        password = spec.pop("Password", None)
        root_password = root_password if root_password is not None else password
        cid = cluster_id or model.stable_cluster_id(pulumi.get_project(), pulumi.get_stack(), resource_name,
                                                    str(spec.get("RegionId") or "local"))
        self.plan: ClusterPlan = model.cluster_plan(spec, cid, queues)
        self.state_dir = Path(state_dir or default_home() / "pulumi-clusters" / cid).absolute()
        access = self._access(machines)
        child = pulumi.ResourceOptions(parent=self)
        self.machines = self._machines(machines, access, child)
        nodes = self.machines["nodes"]
        self.user_resources = [_user(u, self, i) for i, u in enumerate(users, start=1)]
        names = [u.user_name for u in self.user_resources]
        if len(set(names)) != len(names):
            raise InvalidParams("User.Name", f"a user is declared twice: {', '.join(names)}")
        self.configuration = Configuration(
            f"{resource_name}-configuration", cluster_id=cid, plan=self.plan.to_dict(), nodes=nodes,
            state_dir=str(self.state_dir), users=pulumi.Output.all(*[u.entry for u in self.user_resources]),
            root_password_hash=_root_hash(root_password), munge_key=_munge(munge_key),
            authorized_keys=list(authorized_keys), shared_storage=self._storage(machines),
            drain_timeout=drain_timeout,
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.machines["_resources"]))
        self.cluster_id = pulumi.Output.from_input(cid)
        self.public_key = pulumi.Output.from_input(access.public_key)
        self.nodes = pulumi.Output.all(self.configuration.id, nodes).apply(
            lambda a: [{k: n.get(k) for k in INVENTORY_KEYS} for n in a[1]])
        self.login_address = self.nodes.apply(lambda ns: _login_address(self.plan, ns))
        self.queues = self.configuration.queues
        self.users = self.configuration.user_names
        self.register_outputs({"cluster_id": self.cluster_id, "login_address": self.login_address,
                               "nodes": self.nodes, "queues": self.queues, "users": self.users,
                               "public_key": self.public_key})

    # --- the machines ------------------------------------------------------------------------
    def _access(self, machines: Machines) -> Access:
        """The cluster's SSH key pair (``state_dir/ssh``); existing hosts start from the hosts key."""
        if isinstance(machines, ExistingHosts):
            from ..engines.hosts import adopt_hosts_key
            adopt_hosts_key(default_home(), self.state_dir / "ssh")
        return ensure_cluster_key(self.state_dir / "ssh", f"ehpc-iac@{self.plan.cluster_id}")

    def _machines(self, machines: Machines, access: Access, child: pulumi.ResourceOptions) -> dict[str, Any]:
        plan = self.plan
        if isinstance(machines, DockerMachines):
            from .machines_docker import assign_ips, declare
            image, cpus = machines.image or plan.image_id, machines.host_cpus
            if not image or not cpus:
                image, cpus = _local_docker(plan, image, cpus)
            return declare(plan, image, access.public_key, cpus, assign_ips(plan, machines.subnet, dict(machines.ips)),
                           machines.subnet, opts=child)
        if isinstance(machines, AliCloudMachines):
            from .machines_alicloud import AliConfig, declare as ali_declare
            conf = AliConfig(image_id=machines.image_id, zone_id=machines.zone_id,
                             allowed_ssh_cidr=machines.allowed_ssh_cidr, public_key=access.public_key,
                             vpc_cidr=machines.vpc_cidr, vswitch_cidr=machines.vswitch_cidr,
                             internet_max_bandwidth_out=machines.internet_max_bandwidth_out,
                             system_disk_category=machines.system_disk_category)
            return ali_declare(plan, conf, opts=child)
        if isinstance(machines, ExistingHosts):
            return {"nodes": existing_nodes(plan, machines.hosts), "_resources": []}
        raise InvalidParams("Engine", f"unknown machines {type(machines).__name__}: DockerMachines, "
                                      "AliCloudMachines or ExistingHosts")

    def _storage(self, machines: Machines) -> Any:
        """How /home is shared: Docker mounts it (docker), NFS from the NAS or VolumeMountpoint."""
        home = next(v for v in self.plan.volumes if v.purpose == "home")
        server = home.remote_server
        if isinstance(machines, AliCloudMachines) and not server:
            server = self.machines.get("nasMountTargetDomain")
        if not server or isinstance(machines, DockerMachines):
            return {}
        return pulumi.Output.from_input(server).apply(lambda s: {
            "mode": "nfs", "server": s, "remote_dir": home.remote_dir,
            **({"options": home.options} if home.options else {})})


def existing_nodes(plan: ClusterPlan, hosts: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The nodes of existing machines, one per planned host name (InvalidParams naming the gap)."""
    missing = [n.hostname for n in plan.nodes if n.hostname not in hosts]
    unknown = sorted(set(hosts) - {n.hostname for n in plan.nodes})
    if missing or unknown:
        raise InvalidParams("Hosts", f"one address per planned node: missing {', '.join(missing) or 'none'}; "
                                     f"not planned {', '.join(unknown) or 'none'}")
    out = []
    for n in plan.nodes:
        h = hosts[n.hostname]
        d = {"address": h} if isinstance(h, str) else dict(h)
        out.append({"hostname": n.hostname, "roles": list(n.roles), "instance_id": n.instance_id,
                    "address": d["address"], "port": int(d.get("port", 22)), "private_ip": d["address"],
                    "cpus": int(d.get("cpus", n.cpus)), "memory_mb": int(d.get("memory_mb", n.memory_mb)),
                    "queue": n.queue, "group": n.group})
    return out


def _local_docker(plan: ClusterPlan, image: Optional[str], cpus: Optional[int]) -> tuple[str, int]:
    import docker as docker_sdk
    from ..engines.image import ensure_node_image
    client = docker_sdk.from_env(timeout=120)
    image = image or ensure_node_image(client, plan.os_tag, plan.image_id)
    return image, int(cpus or client.info().get("NCPU") or 1)


def _root_hash(password: Optional[pulumi.Input[str]]) -> pulumi.Output[str]:
    if password is None:
        return pulumi.Output.secret("")

    def hashed(clear: str) -> str:
        model.check_secret_password("Password", clear)
        return model.stable_crypt(clear, "root")
    return pulumi.Output.secret(pulumi.Output.from_input(password).apply(hashed))


def _munge(key: Optional[pulumi.Input[str]]) -> pulumi.Output[str]:
    if key is None:
        return pulumi.Output.secret("")

    def checked(k: str) -> str:
        model.check_munge_key(k)
        return k
    return pulumi.Output.secret(pulumi.Output.from_input(key).apply(checked))


def _login_address(plan: ClusterPlan, nodes: list[dict]) -> str:
    host = (plan.logins or plan.schedulers)[0].hostname
    return next((str(n.get("address") or "") for n in nodes if n["hostname"] == host), "")
