"""A user's own Pulumi program: a Slurm cluster with NIS accounts on this machine's Docker.

    pulumi config set --secret alicePassword 'Alic3!secret'
    pulumi config set computeCount 2          # change it and `pulumi up` again: nodes join or leave
    pulumi up
"""
import pulumi

from ehpc_iac.pulumi import Cluster, DockerMachines, Queue, User

cfg = pulumi.Config()
alice = User("alice", password=cfg.require_secret("alicePassword"))
cluster = Cluster(
    "hpc",
    spec={"Name": "demo", "DeployMode": "Tiny"},
    machines=DockerMachines(subnet=cfg.get("subnet") or "172.30.0.0/24"),
    queues=[Queue("comp", compute_count=cfg.get_int("computeCount") or 2)],
    users=[alice],
)
pulumi.export("clusterId", cluster.cluster_id)
pulumi.export("loginAddress", cluster.login_address)
pulumi.export("nodes", cluster.nodes)
pulumi.export("queues", cluster.queues)
pulumi.export("stateDir", str(cluster.state_dir))
