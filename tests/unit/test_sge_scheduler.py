"""Pure parts of the Grid Engine back end: script, qsub argv, qstat/qacct parsers, node states, the
capability check, and the qconf object handling of ehpc-sge-sync."""
import importlib.machinery
import importlib.util
import subprocess
from pathlib import Path

import pytest

from ehpc_iac.errors import InvalidParams, SchedulerError
from ehpc_iac.scheduler import get_scheduler
from ehpc_iac.scheduler.base import JobRequest
from ehpc_iac.scheduler.sge.jobs import (build_script, job_from_qacct, map_state, parse_qacct, parse_qstat_xml,
                                         parse_qsub_id, qsub_argv, to_sge_id, _in_range)
from ehpc_iac.scheduler.sge.nodes import node_state, parse_queue_instances, parse_running_hosts
from ehpc_iac.spec import load_cluster_spec

SYNC = Path(__file__).resolve().parents[2] / "roles" / "sge_master" / "files" / "ehpc-sge-sync"

# qstat -u '*' -xml -g t -r -s prs, as Grid Engine 8.1.9 prints it (trimmed): a 2-host parallel job,
# a running array task and the pending rest of its range, a job held by -hold_jid
QSTAT = """<?xml version='1.0'?>
<job_info  xmlns:xsd="http://arc.liv.ac.uk/repos/darcs/sge/source/dist/util/resources/schemas/qstat/qstat.xsd">
  <queue_info>
    <job_list state="running">
      <JB_job_number>7</JB_job_number>
      <JAT_prio>0.55500</JAT_prio>
      <JB_name>multi</JB_name>
      <JB_owner>sam</JB_owner>
      <state>r</state>
      <JAT_start_time>2026-11-29T22:51:01.123</JAT_start_time>
      <queue_name>comp@compute0</queue_name>
      <slots>1</slots>
      <master>MASTER</master>
      <hard_req_queue>comp</hard_req_queue>
    </job_list>
    <job_list state="running">
      <JB_job_number>7</JB_job_number>
      <JB_name>multi</JB_name>
      <JB_owner>sam</JB_owner>
      <state>r</state>
      <queue_name>comp@compute1</queue_name>
      <slots>1</slots>
      <master>SLAVE</master>
    </job_list>
    <job_list state="running">
      <JB_job_number>8</JB_job_number>
      <JB_name>arr</JB_name>
      <JB_owner>sam</JB_owner>
      <state>Rr</state>
      <queue_name>comp@compute1</queue_name>
      <slots>1</slots>
      <tasks>1</tasks>
    </job_list>
  </queue_info>
  <job_info>
    <job_list state="pending">
      <JB_job_number>8</JB_job_number>
      <JB_name>arr</JB_name>
      <JB_owner>sam</JB_owner>
      <state>qw</state>
      <JB_submission_time>2026-11-29T22:50:59</JB_submission_time>
      <queue_name></queue_name>
      <slots>1</slots>
      <tasks>3-5:2</tasks>
    </job_list>
    <job_list state="pending">
      <JB_job_number>9</JB_job_number>
      <JB_name>dag.B</JB_name>
      <JB_owner>sam</JB_owner>
      <state>hqw</state>
      <queue_name></queue_name>
      <slots>1</slots>
      <hard_req_queue>extra</hard_req_queue>
    </job_list>
  </job_info>
</job_info>
"""

QACCT = """==============================================================
qname        comp
hostname     compute1
group        users
owner        sam
jobname      STDIN
jobnumber    3
account      sge
failed       25  : rescheduling
exit_status  0
slots        1
==============================================================
qname        comp
hostname     compute0
group        users
owner        sam
jobname      STDIN
jobnumber    3
qsub_time    Sun Nov 29 22:26:24 2026
start_time   Sun Nov 29 22:26:33 2026
end_time     Sun Nov 29 22:26:36 2026
account      sge
failed       0
exit_status  0
slots        1
"""

QSTAT_F = """<?xml version='1.0'?>
<job_info  xmlns:xsd="http://arc.liv.ac.uk/repos/darcs/sge/source/dist/util/resources/schemas/qstat/qstat.xsd">
  <queue_info>
    <Queue-List><name>comp@compute0</name><slots_used>1</slots_used><slots_total>2</slots_total></Queue-List>
    <Queue-List><name>comp@compute1</name><slots_used>0</slots_used><slots_total>1</slots_total>
      <state>d</state></Queue-List>
    <Queue-List><name>extra@compute2</name><slots_used>0</slots_used><slots_total>1</slots_total>
      <state>au</state></Queue-List>
    <Queue-List><name>comp@compute3</name><slots_used>1</slots_used><slots_total>1</slots_total></Queue-List>
  </queue_info>
</job_info>
"""


def req(**kw):
    base = dict(command="echo hi", user="sam", workdir="/home/sam")
    return JobRequest(**{**base, **kw})


def test_qsub_argv_maps_every_option():
    a = qsub_argv(req(name="n", queue="comp", nice=400, rerunable=True, array="1-5:2", stdout="/home/sam/o",
                      stderr="/home/sam/e", nodes=2, cpus_per_task=2, mem_mb=1000, time_s=90, after=["7", "8_2"]),
                  "$HOME/sge-$JOB_ID.out")
    assert a[:5] == ["runuser", "-u", "sam", "--", "qsub"]
    opts = " ".join(a[5:])
    assert opts == ("-terse -S /bin/bash -wd /home/sam -N n -q comp -p -400 -r y -t 1-5:2 -o /home/sam/o "
                    "-e /home/sam/e -pe ehpc_2 4 -l h_vmem=500M,h_rt=90 -hold_jid 7,8")


def test_qsub_argv_defaults_join_output_and_clamp_priority():
    a = qsub_argv(req(nice=5000), "$HOME/sge-$JOB_ID.out")
    assert a[a.index("-o") + 1] == "$HOME/sge-$JOB_ID.out" and "-j" in a and "-pe" not in a
    assert a[a.index("-p") + 1] == "-1023"
    one_node_four_tasks = qsub_argv(req(tasks=4), "x")
    assert one_node_four_tasks[one_node_four_tasks.index("-pe") + 1:][:2] == ["ehpc_4", "4"]


def test_script_sets_the_array_index_and_guards_afterok_only():
    s = build_script(req(env={"A": "x y"}, post_command="echo post"))
    assert "SGE_TASK_ID" in s and "export EHPC_ARRAY_INDEX=" in s and "export A='x y'" in s
    assert s.rstrip().endswith("exit $__ehpc_rc") and "qacct" not in s
    guarded = build_script(req(after=["7"], cancel_if_dependency_fails=True))
    assert "qacct -j" in guarded and "qalter -A ehpc_stopped" in guarded
    assert "qacct" not in build_script(req(after=["7"], after_policy="any"))
    assert "qalter" not in build_script(req(after=["7"], cancel_if_dependency_fails=False))


def test_script_runs_the_command_with_the_array_index(tmp_path):
    script = build_script(req(command="echo idx=$EHPC_ARRAY_INDEX; exit 3"))
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env={"SGE_TASK_ID": "undefined"})
    assert out.stdout.strip() == "idx=" and out.returncode == 3
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env={"SGE_TASK_ID": "5"})
    assert out.stdout.strip() == "idx=5"


def test_parse_qsub_id():
    assert parse_qsub_id("12\n") == "12" and parse_qsub_id("13.1-5:2\n") == "13"
    with pytest.raises(SchedulerError):
        parse_qsub_id("Unable to run job: denied\n")


def test_parse_qstat_merges_hosts_and_splits_arrays():
    jobs = {j.id: j for j in parse_qstat_xml(QSTAT)}
    assert set(jobs) == {"7", "8_1", "8_[3-5:2]", "9"}
    assert (jobs["7"].node_list, jobs["7"].nodes, jobs["7"].state, jobs["7"].queue) == (
        "compute0,compute1", 2, "Running", "comp")
    assert jobs["7"].start_time == "2026-11-29 22:51:01"
    assert jobs["8_1"].state == "Running" and jobs["8_[3-5:2]"].array_request == "3-5:2"
    assert jobs["8_[3-5:2]"].state == "Queued" and jobs["9"].queue == "extra" and jobs["9"].raw_state == "hqw"
    assert parse_qstat_xml("") == []


@pytest.mark.parametrize("raw,state", [("r", "Running"), ("Rr", "Running"), ("t", "Running"), ("qw", "Queued"),
                                       ("hqw", "Queued"), ("Eqw", "Failed"), ("dr", "Stopped"), ("s", "Queued"),
                                       ("", "Unknown")])
def test_map_state(raw, state):
    assert map_state(raw) == state


def test_qacct_skips_rescheduled_runs_and_reads_the_outcome():
    records = parse_qacct(QACCT)
    assert len(records) == 2 and records[0]["failed"] == "25  : rescheduling"
    j = job_from_qacct("3", records)
    assert (j.state, j.node_list, j.owner, j.exit_code) == ("Finished", "compute0", "sam", "0")
    failed = QACCT.replace("exit_status  0\nslots        1\n", "exit_status  3\nslots        1\n")
    assert job_from_qacct("3", parse_qacct(failed)).state == "Failed"
    killed = QACCT.replace("account      sge\nfailed       0", "account      ehpc_stopped\nfailed       100 : x")
    assert job_from_qacct("3", parse_qacct(killed)).state == "Stopped"
    assert job_from_qacct("3", []) is None


def test_ids_and_ranges():
    assert to_sge_id("12_3") == "12.3" and to_sge_id("12") == "12"
    assert _in_range(3, "1-5:2") and not _in_range(4, "1-5:2") and _in_range(4, "2,4")


def test_queue_instances_to_node_states():
    info = parse_queue_instances(QSTAT_F)
    assert info["compute0"] == {"state": "mixed", "cpus_alloc": 1, "cpus_total": 2, "features": ["comp"]}
    assert info["compute1"]["state"] == "drained" and info["compute2"]["state"] == "down"
    assert info["compute3"]["state"] == "allocated" and info["compute2"]["features"] == ["extra"]
    assert node_state("", 0, 1) == "idle"
    assert parse_running_hosts(QSTAT) == ["compute0", "compute1", "compute1"]


def test_backend_conventions_and_ha_refused():
    b = get_scheduler("opengridscheduler")
    assert b.expand_output("/home/sam/$JOB_NAME.$JOB_ID.$TASK_ID", "12_3", "sam", "n") == "/home/sam/n.12.3"
    assert b.expand_output(b.default_stdout("sam"), "12", "sam", "") == "/home/sam/sge-12.out"
    assert b.expand_hostlist("compute0,compute1") == ["compute0", "compute1"]
    spec = load_cluster_spec({"Name": "g1", "SchedulerType": "opengridscheduler", "HaEnable": True})
    with pytest.raises(InvalidParams) as ei:
        b.check_cluster(spec)
    assert ei.value.field == "HaEnable"
    b.check_cluster(load_cluster_spec({"Name": "g1", "SchedulerType": "opengridscheduler"}))


def _sync_module():
    loader = importlib.machinery.SourceFileLoader("ehpc_sge_sync", str(SYNC))
    spec = importlib.util.spec_from_loader("ehpc_sge_sync", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def test_sync_parses_qconf_objects_and_compares_lists_loosely():
    sync = _sync_module()
    text = ("#global:\nexecd_spool_dir /var/spool/gridengine/execd\nreporting_params accounting=true \\\n"
            "                 flush_time=00:00:15\nslots 1,[compute0=1], \\\n   [compute1=2]\n")
    attrs = sync.parse(text)
    assert attrs == {"execd_spool_dir": "/var/spool/gridengine/execd",
                     "reporting_params": "accounting=true flush_time=00:00:15", "slots": "1,[compute0=1], [compute1=2]"}
    assert not sync.differs(attrs, {"slots": "1,[compute0=1],[compute1=2]"})
    assert sync.differs(attrs, {"reporting_params": "accounting=true flush_time=00:00:01"})
    assert sync.render({"a": "1", "b": "x y"}) == "a 1\nb x y\n"
