"""The hosts engine: existing machines reached over SSH (E-HPC's hybrid / AddExistedNodes idea).

Nothing is provisioned. CreateCluster with ``Engine: hosts`` carries ``Hosts`` (see
``ehpc_iac/spec/hosts.py``): one entry per planned node, mapping its host name to an address.
The validated entries travel in the plan (``plan.labels["ehpc.hosts"]``), so every later
operation finds them without any other state.

SSH key. Every hosts cluster uses the key pair ``<home>/hosts/ssh/id_ed25519`` (created on
first use; ``ehpc-iac create-cluster --engine hosts --dryrun`` prints the public key as
``HostsPublicKey``); at create it becomes the cluster's key (``<home>/clusters/<id>/ssh``).
The admin installs that public key in root's ``~/.ssh/authorized_keys`` on every machine
before CreateCluster; CreateCluster checks every machine answers before anything is recorded.

What the machines need (what ``ehpc_iac/engines/docker_image/Dockerfile`` installs): openssh,
munge, Slurm (slurmctld/slurmd), NIS (ypserv/ypbind/rpcbind), ``/usr/local/sbin/ehpc-svc``,
and a ``/home`` shared by every node (the roles leave ``/home`` alone). The NIS domain (the
cluster id in lower case) is set by the nis roles with ``domainname``: root can do that on a
real machine; a container needs ``--cap-add SYS_ADMIN`` (or ``--domainname <domain>``, which
is only known after create). Installing that software on bare machines is future work.

Operations: ``inspect`` reports ``running`` when the machine's sshd answers, ``exception``
otherwise. The machines are the admin's: StopCluster/StartCluster refuse up front with
``InvalidOpt`` (``powers_machines = False``); ``stop``/``start`` themselves (StopNodes/StartNodes)
raise ``EngineError``: nothing here powers machines. ``remove_nodes`` only
forgets (DeleteNodes removes the node from Slurm; the machine is left as it is) and
``destroy`` removes nothing (DeleteCluster forgets the cluster; the machines stay).
"""
from __future__ import annotations

import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Optional

from ..errors import EngineError, EngineUnavailable, InvalidParams
from ..plan import ClusterPlan
from ..spec.hosts import HostEntry, hosts_from_labels
from .keys import ensure_cluster_key
from .base import EXCEPTION, RUNNING, Access, ConvergeResult, Engine, NodeOutput, Progress, no_progress

PROBE = "nproc; grep -m1 '^MemTotal:' /proc/meminfo"


def hosts_key_dir(home: Path) -> Path:
    return Path(home) / "hosts" / "ssh"


def hosts_access(home: Path) -> Access:
    """The key pair every hosts cluster starts from (the admin authorises its public key)."""
    return ensure_cluster_key(hosts_key_dir(home), "ehpc-iac-hosts")


def adopt_hosts_key(home: Path, cluster_ssh_dir: Path) -> None:
    """Make the hosts key pair the cluster's own (before ``access(cluster_id)`` creates one)."""
    src = hosts_key_dir(home)
    hosts_access(home)
    cluster_ssh_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name in ("id_ed25519", "id_ed25519.pub"):
        if not (cluster_ssh_dir / name).exists():
            shutil.copy2(src / name, cluster_ssh_dir / name)


def _default_runner(entry: HostEntry, key_file: Path, timeout: float) -> str:
    from ..ssh import SSHNode
    with SSHNode(entry.Address, key_file, user=entry.User, port=entry.Port, timeout=timeout) as node:
        res = node.run(["sh", "-c", PROBE], timeout=timeout + 5)
    if res.exit_code != 0:
        raise RuntimeError(f"probe failed: {res.stderr.strip() or res.stdout.strip()}")
    return res.stdout


def parse_probe(out: str) -> tuple[int, int]:
    """(cpus, memory MiB) from ``nproc`` + the MemTotal line of /proc/meminfo."""
    lines = [ln for ln in out.splitlines() if ln.strip()]
    cpus = int(lines[0].strip())
    m = re.search(r"MemTotal:\s*(\d+)\s*kB", out)
    if not m:
        raise ValueError("no MemTotal in /proc/meminfo")
    return cpus, int(m.group(1)) // 1024


def node_limits(node_cpus: int, node_mem: int, host_cpus: int, host_mem: int) -> tuple[int, int]:
    """What Slurm is told: the instance type, capped by what the machine has (like docker's)."""
    return max(1, min(node_cpus, host_cpus)), max(1, min(node_mem, host_mem))


Runner = Callable[[HostEntry, Path, float], str]


class HostsEngine(Engine):
    name = "hosts"
    powers_machines = False   # StopCluster/StartCluster refuse up front (InvalidOpt), the cluster unchanged
    makes_machines = False    # auto scaling is refused (SetAutoScaleConfig: InvalidOpt): no new machines

    def __init__(self, runner: Optional[Runner] = None, timeout: float = 10,
                 tcp_probe: Optional[Callable[[HostEntry, float], bool]] = None):
        self._run = runner or _default_runner
        self.tcp_probe = tcp_probe
        self.timeout = timeout

    def admin_access(self, home: Path) -> Access:
        return hosts_access(home)

    def adopt_access(self, home: Path, cluster_ssh_dir: Path) -> None:
        adopt_hosts_key(home, cluster_ssh_dir)

    # --- helpers -------------------------------------------------------------
    @staticmethod
    def entries(plan: ClusterPlan) -> dict[str, HostEntry]:
        hosts = hosts_from_labels(plan.labels)
        if not hosts:
            raise InvalidParams("Hosts", f"cluster {plan.cluster_id} has no Hosts: the hosts engine needs one "
                                "entry per planned node")
        return hosts

    def _probe(self, entry: HostEntry, key_file: Path) -> tuple[Optional[tuple[int, int]], str]:
        try:
            return parse_probe(self._run(entry, key_file, self.timeout)), ""
        except Exception as e:  # noqa: BLE001 - any failure means "not usable", reported per host
            return None, f"{type(e).__name__}: {e}".strip()

    def _probe_all(self, entries: list[HostEntry], key_file: Path):
        if not entries:
            return {}
        with ThreadPoolExecutor(max_workers=min(8, len(entries))) as pool:
            results = list(pool.map(lambda e: self._probe(e, key_file), entries))
        return {e.HostName: r for e, r in zip(entries, results)}

    def check_hosts(self, entries: list[HostEntry], access: Access) -> None:
        """Raise EngineUnavailable naming every machine that does not answer with the key."""
        results = self._probe_all(entries, access.private_key_file)
        bad = [(e, results[e.HostName][1]) for e in entries if results[e.HostName][0] is None]
        if bad:
            what = "; ".join(f"{e.HostName} ({e.User}@{e.Address}:{e.Port}): {why}" for e, why in bad)
            raise EngineUnavailable(
                f"host(s) not reachable over SSH with the cluster key: {what}. Fix: make sshd listen there and "
                f"add this public key to {bad[0][0].User}'s ~/.ssh/authorized_keys on each machine: "
                f"{access.public_key}")

    # --- Engine --------------------------------------------------------------
    def check(self) -> None:
        """Nothing to check without a plan (SSH is a Python library); machines are checked per cluster."""
        return None

    def converge(self, plan: ClusterPlan, access: Access, progress: Progress = no_progress) -> ConvergeResult:
        hosts = self.entries(plan)
        entries = [hosts[n.hostname] for n in plan.nodes if n.hostname in hosts]
        missing = [n.hostname for n in plan.nodes if n.hostname not in hosts]
        if missing:
            raise InvalidParams("Hosts", f"no host given for the planned node(s) {', '.join(missing)}")
        progress(f"checking {len(entries)} existing machine(s) over SSH")
        self.check_hosts(entries, access)
        results = self._probe_all(entries, access.private_key_file)
        nodes = {}
        for node in plan.nodes:
            probed, why = results[node.hostname]
            if probed is None:  # answered a moment ago, not now
                raise EngineError(f"{node.hostname} stopped answering over SSH: {why}")
            cpus, mem = node_limits(node.cpus, node.memory_mb, *probed)
            nodes[node.hostname] = self._output(node.hostname, node.instance_id, hosts[node.hostname], RUNNING,
                                                cpus, mem)
        return ConvergeResult(nodes=nodes, unchanged=[n.hostname for n in plan.nodes])

    @staticmethod
    def _output(hostname, instance_id, e: HostEntry, status, cpus=1, memory_mb=1024) -> NodeOutput:
        return NodeOutput(hostname=hostname, instance_id=instance_id, status=status, address=e.Address,
                          port=e.Port, private_ip=e.Address, cpus=cpus, memory_mb=memory_mb)

    def inspect(self, plan: ClusterPlan) -> dict[str, NodeOutput]:
        """``running`` when the machine's sshd answers (an SSH banner on its address and port),
        ``exception`` otherwise. The engine holds no key, so CPUs and memory here are the
        instance type's (converge reports them capped by what the machine has)."""
        hosts = hosts_from_labels(plan.labels)
        entries = [hosts[n.hostname] for n in plan.nodes if n.hostname in hosts]
        with ThreadPoolExecutor(max_workers=max(1, min(8, len(entries)))) as pool:
            alive = dict(zip([e.HostName for e in entries], pool.map(lambda e: self._tcp(e, self.timeout), entries)))
        out: dict[str, NodeOutput] = {}
        for node in plan.nodes:
            e = hosts.get(node.hostname)
            if e is None:
                out[node.hostname] = NodeOutput(node.hostname, node.instance_id, EXCEPTION)
                continue
            status = RUNNING if alive[node.hostname] else EXCEPTION
            out[node.hostname] = self._output(node.hostname, node.instance_id, e, status, node.cpus, node.memory_mb)
        return out

    tcp_probe: Optional[Callable[[HostEntry, float], bool]] = None

    def _tcp(self, e: HostEntry, timeout: float) -> bool:
        return (self.tcp_probe or ssh_banner)(e, timeout)

    def stop(self, plan: ClusterPlan, progress: Progress = no_progress,
             hostnames: Optional[list[str]] = None) -> None:
        raise EngineError("the hosts engine does not power machines: they are the admin's existing machines; "
                          "stop them yourself (jobs can be held with Slurm)")

    def start(self, plan: ClusterPlan, progress: Progress = no_progress,
              hostnames: Optional[list[str]] = None) -> dict[str, NodeOutput]:
        raise EngineError("the hosts engine does not power machines: start them yourself, then RecoverCluster "
                          "re-applies the configuration")

    def remove_nodes(self, plan: ClusterPlan, hostnames: list[str], progress: Progress = no_progress) -> None:
        """Forget only: the machines stay as they are (the operation removes them from Slurm)."""
        progress(f"hosts engine: leaving machine(s) {', '.join(hostnames)} as they are (forgotten)")

    def destroy(self, cluster_id: str, progress: Progress = no_progress) -> list[str]:
        """Nothing to remove: the machines are the admin's; DeleteCluster forgets the cluster."""
        progress("hosts engine: the machines are left as they are; the cluster is forgotten")
        return []


def ssh_banner(e: HostEntry, timeout: float) -> bool:
    """Whether an SSH server answers at the entry's address and port."""
    import socket
    try:
        with socket.create_connection((e.Address, e.Port), timeout=min(timeout, 5)) as s:
            s.settimeout(min(timeout, 5))
            return s.recv(64).startswith(b"SSH-")
    except OSError:
        return False
