"""A user's own Pulumi program: a Slurm cluster with NIS accounts on Alibaba Cloud.

    pulumi config set alicloud:region cn-hangzhou
    pulumi config set --secret alicloud:accessKey ...; pulumi config set --secret alicloud:secretKey ...
    pulumi config set imageId <an ECS image with the node image's software>
    pulumi config set zoneId cn-hangzhou-k
    pulumi config set allowedSshCidr 203.0.113.0/24
    pulumi config set --secret alicePassword 'Alic3!secret'
    pulumi up
"""
import pulumi

from ehpc_iac.pulumi import AliCloudMachines, Cluster, Queue, User

cfg = pulumi.Config()
alice = User("alice", password=cfg.require_secret("alicePassword"))
cluster = Cluster(
    "hpc",
    spec={"Name": "demo", "DeployMode": "Simple", "RegionId": "cn-hangzhou",
          "EcsOrder": {"Manager": {"InstanceType": "ecs.c6.large"}, "Login": {"Count": 1}}},
    machines=AliCloudMachines(image_id=cfg.require("imageId"), zone_id=cfg.require("zoneId"),
                              allowed_ssh_cidr=cfg.require("allowedSshCidr")),
    queues=[Queue("comp", compute_count=cfg.get_int("computeCount") or 2, instance_type="ecs.c6.xlarge")],
    users=[alice],
)
pulumi.export("clusterId", cluster.cluster_id)
pulumi.export("loginAddress", cluster.login_address)
pulumi.export("nodes", cluster.nodes)
