"""Parsing what slurmctld says about faults: who drained a node (its Reason's [user@time]) and which
held jobs are refused duplicate launches."""
from ehpc_iac.scheduler.slurm.nodes import fault_drained_nodes, held_duplicates, parse_show_oneliners

NODES = (
    "NodeName=compute0 Arch=x86_64 CoresPerSocket=1 State=IDLE+DRAIN ThreadsPerCore=1 "
    "Reason=Duplicate jobid [slurm@2026-11-29T10:00:00]\n"
    "NodeName=compute1 Arch=x86_64 State=IDLE+DRAIN Reason=maintenance window [root@2026-11-29T10:01:00]\n"
    "NodeName=compute2 Arch=x86_64 State=DOWN+NOT_RESPONDING Reason=Not responding [slurm@2026-11-29T10:02:00]\n"
    "NodeName=compute3 Arch=x86_64 State=IDLE\n"
    "NodeName=compute4 Arch=x86_64 State=DOWN\n"
    "NodeName=compute5 Arch=x86_64 State=MIXED+DRAIN Reason=DeleteNodes [root@2026-11-29T10:03:00]\n"
)
JOBS = (
    "JobId=7 JobName=sleep UserId=carol(1000) JobState=PENDING Reason=launch_failed_requeued_held "
    "Dependency=(null) Requeue=0 Restarts=1 BatchFlag=1 BatchHost=compute0 NumNodes=1\n"
    "JobId=8 JobName=other JobState=PENDING Reason=launch_failed_requeued_held BatchHost=compute9 "
    "SubmitTime=2026-11-29T09:00:00\n"
    "JobId=10 JobName=x JobState=PENDING Reason=launch_failed_requeued_held SubmitTime=2026-11-29T10:00:02 "
    "NodeList= NumNodes=1\n"
    "JobId=9 JobName=run JobState=RUNNING Reason=None BatchHost=compute0\n"
)


def test_values_with_spaces_run_to_the_next_key():
    recs = parse_show_oneliners(NODES)
    assert recs[1]["Reason"] == "maintenance window [root@2026-11-29T10:01:00]"
    assert recs[0]["State"] == "IDLE+DRAIN"


def test_only_drains_slurmctld_made_are_faults():
    assert fault_drained_nodes(NODES) == {"compute0": "Duplicate jobid (at 2026-11-29T10:00:00)",
                                          "compute2": "Not responding (at 2026-11-29T10:02:00)",
                                          "compute4": "not responding"}


def test_held_duplicates_are_the_refused_launches_on_those_nodes():
    # by the node when Slurm kept it, else by the requeue's SubmitTime = the moment of the drain
    assert held_duplicates(JOBS, {"compute0": "Duplicate jobid (at 2026-11-29T10:00:00)"}) == ["7", "10"]
    assert held_duplicates(JOBS, {"compute3": "Duplicate jobid (at 2026-11-29T11:00:00)"}) == []
    assert held_duplicates(JOBS, {}) == []
