"""Pure parts of the OpenPBS back end: qsub argv, job script, ids, qstat/pbsnodes JSON."""
import json
import subprocess

import pytest

from ehpc_iac.errors import InvalidParams, SchedulerError
from ehpc_iac.scheduler import get_scheduler
from ehpc_iac.scheduler.base import FAILED, FINISHED, QUEUED, RUNNING, STOPPED, JobRequest
from ehpc_iac.scheduler.pbs.jobs import (build_script, map_state, neutral_id, output_target, parse_jobs,
                                         parse_qsub_id, pbs_array, pbs_forms, qsub_argv)
from ehpc_iac.scheduler.pbs.nodes import node_state, parse_pbsnodes


def req(**kw):
    base = {"command": "echo hi", "user": "sam", "workdir": "/home/sam"}
    return JobRequest(**{**base, **kw})


def test_qsub_argv_runs_as_the_user_from_the_workdir_with_every_option():
    a = qsub_argv(req(name="j1", queue="comp", nice=300, rerunable=True, array="1-5:2", nodes=2, tasks=4,
                      cpus_per_task=1, mem_mb=512, time_s=3725, after=["7"]), after=["7", "8[]"])
    assert a[:8] == ["runuser", "-u", "sam", "--", "env", "-C", "/home/sam", "qsub"]
    joined = " ".join(a)
    for part in ("-N j1", "-q comp", "-p -300", "-r y", "-J 1-5:2", "-l select=2:ncpus=2:mpiprocs=2:mem=512mb",
                 "-l place=scatter", "-l walltime=01:02:05", "-W depend=afterok:7:8[]", "-k oed", "-o /dev/null"):
        assert part in joined, part


def test_qsub_argv_minimal_and_afterany():
    a = qsub_argv(req(after=["3"], after_policy="any"), after=["3"])
    assert "-l" not in a and "-p" not in a and a[-2:] == ["-W", "depend=afterany:3"]
    assert "select=3:ncpus=1:mpiprocs=1" in qsub_argv(req(tasks=3), None)[-3]


def test_array_needs_two_elements_and_names_the_field():
    assert pbs_array("0-1") == "0-1" and pbs_array("2-10:4") == "2-10:4"
    for bad in ("3-3", "1-2:5", "x"):
        with pytest.raises(InvalidParams) as ei:
            pbs_array(bad)
        assert ei.value.field == "ArrayRequest"


def test_ids_between_pbs_and_neutral_forms():
    assert neutral_id("12.manager0") == "12" and neutral_id("12[].manager0") == "12"
    assert neutral_id("12[3].manager0") == "12_3" and parse_qsub_id("44[].manager0\n") == "44"
    assert pbs_forms("12") == ["12", "12[]"] and pbs_forms("12_3") == ["12[3]"]
    with pytest.raises(SchedulerError):
        parse_qsub_id("qsub: illegal -l value")


def test_states():
    assert map_state("Q", None) == QUEUED and map_state("R", None) == RUNNING and map_state("B", None) == RUNNING
    assert map_state("F", 0) == FINISHED and map_state("F", 1) == FAILED and map_state("F", -29) == FAILED
    assert map_state("F", 271) == STOPPED and map_state("F", None) == STOPPED and map_state("X", 0) == FINISHED
    assert map_state("F", 1, array=True) == FAILED and map_state("F", 2, array=True) == STOPPED


def test_output_target_fills_patterns_on_the_node_and_quotes_the_rest():
    t = output_target("/home/sam/it's %x.%A.%a.%u.%j%%", "sam", "job")
    env = {"PBS_JOBID": "12[3].manager0", "PBS_ARRAY_INDEX": "3"}
    out = subprocess.run(["bash", "-c", f"printf %s {t}"], env=env, capture_output=True, text=True).stdout
    assert out == "/home/sam/it's job.12.3.sam.12.3%"
    out = subprocess.run(["bash", "-c", f"printf %s {output_target('/tmp/o-%j.out', 'sam', 'x')}"],
                         env={"PBS_JOBID": "7.manager0"}, capture_output=True, text=True).stdout
    assert out == "/tmp/o-7.out"


def test_script_redirects_exports_and_keeps_the_exit_code(tmp_path):
    script = build_script(req(command="echo $EHPC_ARRAY_INDEX $V; false", env={"V": "a b'c"},
                              workdir=str(tmp_path), post_command="echo post",
                              stdout=str(tmp_path / "o-%j.out")), "/unused")
    assert script.splitlines()[1] == ": ehpc-iac job"
    p = subprocess.run(["bash", "-s"], input=script, text=True, capture_output=True,
                       env={"PBS_JOBID": "5[2].m", "PBS_ARRAY_INDEX": "2", "PATH": "/usr/bin:/bin"})
    assert p.returncode == 1
    assert (tmp_path / "o-5.2.out").read_text() == "2 a b'c\npost\n"


QSTAT = {"timestamp": 1, "pbs_version": "23.06.06", "pbs_server": "manager0", "Jobs": {
    "5.manager0": {"Job_Name": "STDIN", "Job_Owner": "sam@manager0", "job_state": "F", "queue": "comp",
                   "exec_host": "compute0/0+compute1/0", "Exit_status": 0, "Rerunable": "False",
                   "qtime": "Mon Nov 30 12:00:00 2026", "stime": "Mon Nov 30 12:00:01 2026",
                   "obittime": "Mon Nov 30 12:00:02 2026", "Resource_List": {"nodect": 2, "ncpus": 2}},
    "6[].manager0": {"Job_Name": "arr", "Job_Owner": "sam@manager0", "job_state": "B", "array": "True",
                     "array_indices_submitted": "1-5:2", "queue": "comp"},
    "6[1].manager0": {"Job_Name": "arr", "Job_Owner": "sam@manager0", "job_state": "X", "Exit_status": 0,
                      "array_id": "6[].manager0", "queue": "comp"},
    "6[3].manager0": {"Job_Name": "arr", "Job_Owner": "sam@manager0", "job_state": "R", "queue": "comp",
                      "exec_host": "compute1/0", "Rerunable": "True"}}}


def test_parse_jobs_lists_jobs_and_array_elements():
    jobs = {j.id: j for j in parse_jobs(json.dumps(QSTAT))}
    assert set(jobs) == {"5", "6_1", "6_3"}
    j = jobs["5"]
    assert (j.state, j.owner, j.node_list, j.nodes, j.cores) == (FINISHED, "sam", "compute0,compute1", 2, 2)
    assert j.start_time == "2026-11-30T12:00:01" and j.rerunable is False
    assert jobs["6_3"].state == RUNNING and jobs["6_3"].rerunable is True and jobs["6_1"].state == FINISHED
    assert parse_jobs("") == [] and parse_jobs('{"timestamp": 1}') == []


def test_nodes_json_and_states():
    text = json.dumps({"nodes": {
        "compute0": {"state": "free", "resources_available": {"ncpus": 1}, "resources_assigned": {"ncpus": 0},
                     "queue": "comp"},
        "compute1": {"state": "job-busy", "resources_available": {"ncpus": 1}, "resources_assigned": {"ncpus": 1},
                     "jobs": ["7.manager0/0"], "queue": "comp"},
        "compute2": {"state": "down,offline", "resources_available": {"ncpus": 2}}}})
    info = parse_pbsnodes(text)
    assert info["compute0"] == {"state": "idle", "cpus_alloc": 0, "cpus_total": 1, "features": ["comp"], "jobs": 0}
    assert info["compute1"]["state"] == "allocated" and info["compute1"]["jobs"] == 1
    assert info["compute2"]["state"] == "down"
    assert node_state("offline", 0) == "drained" and node_state("free", 1) == "mixed"


def test_backend_expands_its_output_patterns():
    b = get_scheduler("pbs")
    assert b.expand_output(b.default_stdout("sam"), "12_3", "sam", "") == "/home/sam/pbs-12.3.out"
    assert b.expand_output("/tmp/%x.%A.%a.out", "12_3", "sam", "j") == "/tmp/j.12.3.out"
    assert b.expand_hostlist("compute0,compute1") == ["compute0", "compute1"]


def test_pbs_refuses_ha_naming_the_field():
    from ehpc_iac.spec import load_cluster_spec
    spec = load_cluster_spec({"Name": "pbs-ha", "SchedulerType": "pbs", "HaEnable": True})
    with pytest.raises(InvalidParams) as ei:
        get_scheduler("pbs").check_cluster(spec)
    assert ei.value.field == "HaEnable"
    get_scheduler("slurm").check_cluster(spec)
