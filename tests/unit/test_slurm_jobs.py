"""Pure parts of the Slurm job adapter: script, argv, parsers."""
import pytest

from ehpc_iac.errors import SchedulerError
from ehpc_iac.scheduler.base import JobRequest
from ehpc_iac.scheduler.slurm.jobs import (SlurmJobs, build_script, map_state, parse_kv_line, parse_sbatch_id,
                                           parse_show_jobs, sbatch_argv)
from ehpc_iac.ssh import CommandResult

LINE = ("JobId=12 JobName=hello UserId=carol(1001) GroupId=users(100) MCS_label=N/A Priority=4294901757 Nice=400 "
        "Account=(null) QOS=(null) JobState=RUNNING Reason=None Dependency=(null) Requeue=1 Restarts=0 "
        "BatchFlag=1 Reboot=0 ExitCode=0:0 RunTime=00:00:03 TimeLimit=UNLIMITED TimeMin=N/A "
        "SubmitTime=2026-11-21T13:00:00 EligibleTime=2026-11-21T13:00:00 StartTime=2026-11-21T13:00:01 "
        "EndTime=Unknown Partition=comp AllocNode:Sid=manager0:123 NodeList=compute[0-1] NumNodes=2 NumCPUs=2 "
        "NumTasks=2 TRES=cpu=2,mem=1G,node=2 Command=(null) WorkDir=/home/carol StdErr=/home/carol/e.err "
        "StdIn=/dev/null StdOut=/home/carol/o.out Power=")
PENDING_ARRAY = ("JobId=20 ArrayJobId=20 ArrayTaskId=3-5:2 JobName=arr UserId=carol(1001) JobState=PENDING "
                 "Reason=Resources Partition=comp NodeList=(null) NumNodes=1 NumCPUs=1 SubmitTime=2026-11-21T13:00:00 "
                 "StartTime=Unknown StdOut=/tmp/arr-%a.out Requeue=0")
ELEMENT = ("JobId=21 ArrayJobId=20 ArrayTaskId=1 JobName=arr UserId=carol(1001) JobState=COMPLETED Reason=None "
           "Partition=comp NodeList=compute0 NumNodes=1 NumCPUs=1 StdOut=/tmp/arr-1.out")


def test_parse_kv_line_keeps_values_with_equals_and_colons():
    kv = parse_kv_line(LINE)
    assert kv["TRES"] == "cpu=2,mem=1G,node=2" and kv["AllocNode:Sid"] == "manager0:123"
    assert kv["UserId"] == "carol(1001)" and kv["Power"] == ""


def test_parse_show_jobs_maps_fields_and_states():
    jobs = parse_show_jobs("\n".join([LINE, PENDING_ARRAY, ELEMENT]))
    j = jobs[0]
    assert (j.id, j.name, j.owner, j.state, j.raw_state, j.queue) == ("12", "hello", "carol", "Running", "RUNNING",
                                                                       "comp")
    assert (j.node_list, j.nodes, j.cores, j.end_time, j.stdout, j.rerunable) == (
        "compute[0-1]", 2, 2, "", "/home/carol/o.out", True)
    assert jobs[1].id == "20_[3-5:2]" and jobs[1].array_request == "3-5:2" and jobs[1].state == "Queued"
    assert jobs[1].node_list == "" and jobs[1].start_time == "" and jobs[1].rerunable is False
    assert jobs[2].id == "20_1" and jobs[2].state == "Finished"
    assert parse_show_jobs("No jobs in the system\n") == []


@pytest.mark.parametrize("raw, state", [("PENDING", "Queued"), ("REQUEUED", "Queued"), ("RUNNING", "Running"),
                                        ("COMPLETING", "Running"), ("COMPLETED", "Finished"),
                                        ("CANCELLED by 1001", "Stopped"), ("FAILED", "Failed"),
                                        ("TIMEOUT", "Failed"), ("WEIRD", "Unknown"), ("", "Unknown")])
def test_map_state(raw, state):
    assert map_state(raw) == state


def test_parse_sbatch_id():
    assert parse_sbatch_id("42\n") == "42" and parse_sbatch_id("42;cluster\n") == "42"
    with pytest.raises(SchedulerError):
        parse_sbatch_id("sbatch: error: x\n")


def req(**kw):
    base = dict(command="echo hi", user="carol", workdir="/home/carol")
    base.update(kw)
    return JobRequest(**base)


def test_sbatch_argv_one_element_per_option_as_the_user():
    a = sbatch_argv(req(name="n", queue="comp", nice=400, rerunable=False, array="1-5:2", stdout="/tmp/o b",
                        stderr="/tmp/e", nodes=2, tasks=4, cpus_per_task=1, mem_mb=512, time_s=3600))
    assert a[:6] == ["runuser", "-u", "carol", "--", "sbatch", "--parsable"]
    assert a[6:] == ["--chdir=/home/carol", "--job-name=n", "--partition=comp", "--nice=400", "--no-requeue",
                     "--array=1-5:2", "--output=/tmp/o b", "--error=/tmp/e", "--nodes=2", "--ntasks=4",
                     "--cpus-per-task=1", "--mem=512M", "--time=60"]
    assert "--requeue" in sbatch_argv(req(rerunable=True))
    assert sbatch_argv(req()) == ["runuser", "-u", "carol", "--", "sbatch", "--parsable", "--chdir=/home/carol"]


def test_build_script_quotes_variables_and_keeps_exit_code():
    s = build_script(req(env={"A": "x'; rm -rf / #", "B": "$(id)"}, post_command="echo post"))
    lines = s.splitlines()
    assert lines[0] == "#!/bin/bash" and lines[1].startswith(":")   # ends #SBATCH parsing
    assert "export A='x'\"'\"'; rm -rf / #'" in lines and "export B='$(id)'" in lines
    assert lines[-4:] == ["echo hi", "__ehpc_rc=$?", "echo post", "exit $__ehpc_rc"]


class FakeSSH:
    def __init__(self, results):
        self.results, self.calls = list(results), []

    def run(self, argv, timeout=60, stdin=None):
        self.calls.append((argv, stdin))
        return self.results.pop(0)

    def close(self):
        pass


def test_submit_sends_script_on_stdin():
    ssh = FakeSSH([CommandResult(0, "7\n", "")])
    assert SlurmJobs(ssh).submit(req(command="echo $HOME; ls")) == "7"
    argv, stdin = ssh.calls[0]
    assert argv[4] == "sbatch" and "echo $HOME; ls\n" in stdin


def test_submit_failure_is_scheduler_error():
    ssh = FakeSSH([CommandResult(1, "", "sbatch: error: invalid partition")])
    with pytest.raises(SchedulerError, match="sbatch failed.*invalid partition"):
        SlurmJobs(ssh).submit(req())


def test_describe_unknown_is_none_and_stop_collects_failures():
    ssh = FakeSSH([CommandResult(1, "", "slurm_load_jobs error: Invalid job id specified")])
    assert SlurmJobs(ssh).describe("99") is None
    ssh = FakeSSH([CommandResult(0, "", ""), CommandResult(1, "", "boom"),
                   CommandResult(1, "", "scancel: error: Kill job error on job id 3: Job/step already completing "
                                        "or completed")])
    assert SlurmJobs(ssh).stop(["1", "2", "3"]) == {"2": "boom"}
    assert [c[0] for c in ssh.calls] == [["scancel", "1"], ["scancel", "2"], ["scancel", "3"]]


def test_log_reads_as_owner_from_offset():
    ssh = FakeSSH([CommandResult(0, "abcdef", "")])
    assert SlurmJobs(ssh).log("1", "/home/carol/o", 2, 3, "carol") == "abc"
    assert ssh.calls[0][0] == ["runuser", "-u", "carol", "--", "tail", "-c", "+3", "--", "/home/carol/o"]


def test_hostlist_and_time_rendering():
    from ehpc_iac.scheduler.hostlist import expand_hostlist
    from ehpc_iac.scheduler.slurm.jobs import slurm_time
    assert expand_hostlist("compute[0-2,5],login0") == ["compute0", "compute1", "compute2", "compute5", "login0"]
    assert expand_hostlist("node[08-10]-ib") == ["node08-ib", "node09-ib", "node10-ib"] and expand_hostlist("") == []
    assert expand_hostlist("a[x]") == ["a[x]"]
    assert (slurm_time(3600), slurm_time(90), slurm_time(30)) == ("60", "1:30", "0:30")
