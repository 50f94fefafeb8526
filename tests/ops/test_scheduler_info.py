"""GetSchedulerInfo / SetSchedulerInfo with the fake engine and configurator: the back end's settings
field, the reference's SchedName values, the plan kept, the configuration run on the scheduler's hosts,
and nothing changed when the run fails or the input is bad."""
import json

import pytest

from ehpc_iac.errors import ConfigureError, InvalidParams


def create(ehpc):
    return ehpc.create_cluster({"Name": "demo", "DeployMode": "Standard", "EcsOrder.Compute.Count": 2})["ClusterId"]


def settings(ehpc, cid):
    info = ehpc.get_scheduler_info(ClusterId=cid)["SchedInfo"]
    assert [i["SchedName"] for i in info] == ["slurm"]
    return json.loads(info[0]["Configuration"])


def test_get_shows_the_defaults_and_set_applies_them_on_the_slurm_hosts(ehpc, conf):
    cid = create(ehpc)
    assert settings(ehpc, cid) == {"SchedInterval": 5, "BackfillInterval": 5}
    ehpc.set_scheduler_info({"ClusterId": cid, "Scheduler.1.SchedName": "slurm", "SlurmInfo.1.SchedInterval": "20"})
    call = conf.calls[-1]
    assert sorted(call["limit"]) == ["compute0", "compute1", "login0", "scheduler0"]   # not account0
    assert call["scheduler_vars"] == {"ehpc_slurm_config_overrides": {
        "SchedulerParameters": "bf_interval=5,sched_interval=20"}}
    assert settings(ehpc, cid) == {"SchedInterval": 20, "BackfillInterval": 5}
    ehpc.set_scheduler_info(ClusterId=cid, SlurmInfo=[{"BackfillInterval": 30}])
    assert settings(ehpc, cid) == {"SchedInterval": 20, "BackfillInterval": 30}
    # every later configuration run keeps applying the settings
    ehpc.add_queue(ClusterId=cid, QueueName="gpu")
    assert conf.calls[-1]["scheduler_vars"]["ehpc_slurm_config_overrides"]["SchedulerParameters"] == \
        "bf_interval=30,sched_interval=20"


@pytest.mark.parametrize("params, field", [
    ({"PbsInfo.1.SchedInterval": "10"}, "PbsInfo"),
    ({"Scheduler.1.SchedName": "pbs"}, "Scheduler.1.SchedName"),
    ({"Scheduler.1.SchedName": "lsf"}, "Scheduler.1.SchedName"),
    ({"SlurmInfo.1.SchedInterval": "0"}, "SlurmInfo.1.SchedInterval"),
    ({"SlurmInfo.1.Foo": "1"}, "SlurmInfo.1.Foo"),
])
def test_bad_input_names_the_field_and_changes_nothing(ehpc, conf, params, field):
    cid = create(ehpc)
    before = len(conf.calls)
    with pytest.raises(InvalidParams) as e:
        ehpc.set_scheduler_info({"ClusterId": cid, **params})
    assert e.value.field == field
    assert len(conf.calls) == before and settings(ehpc, cid) == {"SchedInterval": 5, "BackfillInterval": 5}


def test_a_failed_configuration_run_puts_the_settings_back(ehpc, conf):
    cid = create(ehpc)
    conf.fail = "slurmctld did not start"
    with pytest.raises(ConfigureError):
        ehpc.set_scheduler_info(ClusterId=cid, SlurmInfo=[{"SchedInterval": 9}])
    conf.fail = None
    assert settings(ehpc, cid) == {"SchedInterval": 5, "BackfillInterval": 5}
    assert ehpc.describe_cluster(ClusterId=cid)["ClusterInfo"]["Status"] == "running"


def test_pbs_settings_map_to_server_attributes_and_unsupported_ones_are_refused():
    from ehpc_iac.scheduler import get_scheduler
    pbs = get_scheduler("pbs")
    assert pbs.settings_field == "PbsInfo" and "pbs" in pbs.sched_names
    attrs = pbs.config_vars({"SchedInterval": 30, "SchedMaxJobs": 4})["ehpc_pbs_server_attributes"]
    assert attrs["scheduler_iteration"] == "30" and attrs["max_run"] == "[o:PBS_ALL=4]"
    assert attrs["flatuid"] == "True" and "max_queued" not in attrs and pbs.config_vars({}) == {}
    with pytest.raises(InvalidParams) as e:
        pbs.check_settings({"AclLimit": [{"Queue": "workq", "AclUsers": "a"}]})
    assert e.value.field == "PbsInfo.1.AclLimit"
    sge = get_scheduler("opengridscheduler")
    assert sge.settings_field == "" and sge.config_vars({}) == {}
