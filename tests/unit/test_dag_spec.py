"""DAG job requests (ehpc_iac/spec/dag.py): the seed's names, limits and error codes; topological
order; the Slurm options a task becomes (ehpc_iac/ops/dag.py helpers)."""
import pytest

from ehpc_iac.errors import EhpcError
from ehpc_iac.ops.dag import job_request, job_state, priority_to_nice, task_command, time_limit_minutes
from ehpc_iac.scheduler.base import JobRequest
from ehpc_iac.scheduler.slurm.jobs import sbatch_argv
from ehpc_iac.spec.dag import DagTask, parse_dag_request, topological_order


def base(**kw):
    r = {"ClusterId": "ehpc-lo-abcdefghij", "RunasUser": "carol", "Name": "j", "Priority": 1,
         "JobFailOnInstanceFail": True, "Type": "DAG",
         "DAG": {"Tasks": {"A": {"InstanceCount": 1, "Timeout": 60,
                                 "Parameters": {"Command": {"CommandLine": "echo a", "EnvVars": {"K": "v"}},
                                                "StdoutRedirectPath": "out/", "StderrRedirectPath": "/tmp/e"}},
                           "B": {"InstanceCount": 2, "CommandLine": "echo b"}},
                 "Dependencies": {"A": ["B"]}}}
    r.update(kw)
    return r


def err(data):
    with pytest.raises(EhpcError) as e:
        parse_dag_request(data)
    return e.value


def test_seed_shape_and_flat_task_fields():
    r = parse_dag_request(base())
    a, b = r.tasks["A"], r.tasks["B"]
    assert (a.command, a.env, a.stdout, a.stderr, a.timeout, a.instance_count) == (
        "echo a", {"K": "v"}, "out/", "/tmp/e", 60, 1)
    assert (b.command, b.instance_count, b.max_retry) == ("echo b", 2, 0)
    assert r.order == ["A", "B"] and r.sources("B") == ["A"] and r.priority == 1 and r.fail_on_instance_fail


def test_defaults_and_cluster_from_a_task():
    data = base()
    del data["ClusterId"], data["Priority"], data["JobFailOnInstanceFail"], data["Type"]
    data["DAG"]["Tasks"]["A"]["ClusterId"] = "ehpc-lo-abcdefghij"
    r = parse_dag_request(data)
    assert (r.cluster_id, r.priority, r.fail_on_instance_fail) == ("ehpc-lo-abcdefghij", 0, True)


def test_topological_order_breaks_ties_by_request_order():
    assert topological_order(["D", "C", "B", "A"], {"A": ["B", "C"], "B": ["D"], "C": ["D"]}) == ["A", "C", "B", "D"]
    assert topological_order(["X", "Y"], {}) == ["X", "Y"]


@pytest.mark.parametrize("mutate,code,field,status", [
    (lambda r: r["DAG"].update(Dependencies={"A": ["B"], "B": ["A"]}), "InvalidDependencies", "DAG.Dependencies", 400),
    (lambda r: r["DAG"].update(Dependencies={"A": ["A"]}), "InvalidDependencies.A.value",
     "DAG.Dependencies.A.value", 400),
    (lambda r: r["DAG"].update(Dependencies={"A": ["nope"]}), "InvalidDependencies.A.value",
     "DAG.Dependencies.A.value", 400),
    (lambda r: r["DAG"].update(Dependencies={"A": "B", "nope": []}), "InvalidDependencies.nope",
     "DAG.Dependencies.nope", 400),
    (lambda r: r["DAG"].update(Dependencies={"A": {"B": 1}}), "InvalidDependencies.A.value",
     "DAG.Dependencies.A.value", 400),
    (lambda r: r["DAG"].update(Dependencies=["A"]), "InvalidDependencies", "DAG.Dependencies", 400),
    (lambda r: r["DAG"].update(Tasks={}), "InvalidTasks", "DAG.Tasks", 400),
    (lambda r: r["DAG"].update(Tasks=[]), "InvalidTasks", "DAG.Tasks", 400),
    (lambda r: r["DAG"].update(Tasks={f"t{i}": {"InstanceCount": 1, "CommandLine": "x"} for i in range(17)},
                               Dependencies={}), "InvalidTasks", "DAG.Tasks", 400),
    (lambda r: r["DAG"]["Tasks"].update({"9bad": {"InstanceCount": 1, "CommandLine": "x"}}),
     "InvalidTasks.9bad", "DAG.Tasks.9bad", 400),
    (lambda r: r["DAG"].pop("Tasks"), "MissingTasks", "DAG.Tasks", 400),
    (lambda r: r.pop("DAG"), "MissingDAG", "DAG", 400),
    (lambda r: r.update(DAG="x"), "InvalidDAG", "DAG", 400),
    (lambda r: r.pop("Name"), "MissingName", "Name", 400),
    (lambda r: r.update(Name="1abc"), "InvalidName", "Name", 400),
    (lambda r: r.update(Name="x" * 65), "InvalidName", "Name", 400),
    (lambda r: r.update(Description=5), "InvalidDescription", "Description", 400),
    (lambda r: r.update(Priority=1001), "InvalidPriority", "Priority", 400),
    (lambda r: r.update(Priority=-1), "InvalidPriority", "Priority", 400),
    (lambda r: r.update(Priority="5"), "InvalidPriority", "Priority", 400),
    (lambda r: r.update(Type="Batch"), "InvalidType", "Type", 400),
    (lambda r: r.update(JobFailOnInstanceFail="yes"), "InvalidJobFailOnInstanceFail", "JobFailOnInstanceFail", 400),
    (lambda r: r.pop("ClusterId"), "MissingClusterId", "ClusterId", 400),
    (lambda r: r.update(ClusterId="1x"), "InvalidClusterId", "ClusterId", 400),
    (lambda r: r["DAG"]["Tasks"]["B"].update(ClusterId="other"), "InvalidClusterId", "DAG.Tasks.B.ClusterId", 400),
    (lambda r: r.update(RunasUser="root"), "InvalidRunasUser", "RunasUser", 400),
    (lambda r: r.pop("RunasUser"), "MissingRunasUser", "RunasUser", 400),
    (lambda r: r["DAG"]["Tasks"]["B"].pop("CommandLine"), "MissingCommandLine", "DAG.Tasks.B.CommandLine", 400),
    (lambda r: r["DAG"]["Tasks"]["B"].update(CommandLine="x" * 1025), "InvalidCommandLine",
     "DAG.Tasks.B.CommandLine", 400),
    (lambda r: r["DAG"]["Tasks"]["B"].update(CommandLine=["ls"]), "InvalidCommandLine", "DAG.Tasks.B.CommandLine", 400),
    (lambda r: r["DAG"]["Tasks"]["A"]["Parameters"].update(Command=5), "InvalidCommand",
     "DAG.Tasks.A.Parameters.Command", 400),
    (lambda r: r["DAG"]["Tasks"]["A"].update(Parameters=5), "InvalidParameters", "DAG.Tasks.A.Parameters", 400),
    (lambda r: r["DAG"]["Tasks"]["B"].pop("InstanceCount"), "MissingInstanceCount", "DAG.Tasks.B.InstanceCount", 400),
    (lambda r: r["DAG"]["Tasks"]["B"].update(InstanceCount=0), "InvalidInstanceCount",
     "DAG.Tasks.B.InstanceCount", 400),
    (lambda r: r["DAG"]["Tasks"]["B"].update(InstanceCount=True), "InvalidInstanceCount",
     "DAG.Tasks.B.InstanceCount", 400),
    (lambda r: r["DAG"]["Tasks"]["B"].update(InstanceCount=101), "QuotaExhausted.MaxTaskInstanceCount",
     "DAG.Tasks.B.InstanceCount", 403),
    (lambda r: r["DAG"]["Tasks"]["B"].update(MaxRetryCount=-1), "InvalidMaxRetryCount",
     "DAG.Tasks.B.MaxRetryCount", 400),
    (lambda r: r["DAG"]["Tasks"]["B"].update(Timeout=0), "InvalidTimeout", "DAG.Tasks.B.Timeout", 400),
    (lambda r: r["DAG"]["Tasks"]["B"].update(Timeout="60"), "InvalidTimeout", "DAG.Tasks.B.Timeout", 400),
    (lambda r: r["DAG"]["Tasks"]["B"].update(Timeout=10 ** 7), "QuotaExhausted.MaxInstanceTimeout",
     "DAG.Tasks.B.Timeout", 403),
    (lambda r: r["DAG"]["Tasks"]["B"].update(EnvVars=[]), "InvalidEnvVars", "DAG.Tasks.B.EnvVars", 400),
    (lambda r: r["DAG"]["Tasks"]["B"].update(EnvVars={"A B": "x"}), "InvalidEnvVars.A B",
     "DAG.Tasks.B.EnvVars.A B", 400),
    (lambda r: r["DAG"]["Tasks"]["B"].update(EnvVars={"K": 1}), "InvalidEnvVars.K.value",
     "DAG.Tasks.B.EnvVars.K.value", 400),
    (lambda r: r["DAG"]["Tasks"]["B"].update(EnvVars={f"K{i}": "" for i in range(65)}), "InvalidEnvVars",
     "DAG.Tasks.B.EnvVars", 400),
    (lambda r: r["DAG"]["Tasks"]["B"].update(StdoutRedirectPath="a b"), "InvalidStdoutRedirectPath",
     "DAG.Tasks.B.StdoutRedirectPath", 400),
    (lambda r: r["DAG"]["Tasks"]["B"].update(StderrRedirectPath="../x"), "InvalidStderrRedirectPath",
     "DAG.Tasks.B.StderrRedirectPath", 400),
    (lambda r: r["DAG"]["Tasks"]["B"].update(InputMapping={"oss://b/": "/x"}), "InvalidInputMapping",
     "DAG.Tasks.B.InputMapping", 400),
    (lambda r: r.update(AutoRelease=True), "InvalidAutoRelease", "AutoRelease", 400),
])
def test_seed_error_codes(mutate, code, field, status):
    data = base()
    mutate(data)
    e = err(data)
    assert (e.code, e.field, e.http_status, e.exit_code) == (code, field, status, 2)
    assert e.to_dict()["Code"] == code


def test_not_a_mapping():
    assert err([1]).code == "InvalidHttpBody"


def test_slurm_options_of_a_task():
    r = parse_dag_request(base(Priority=250))
    b = r.tasks["B"]
    jr = job_request(r, "job-X", b, ["41"], "/home/carol/o.%A.%a", None)
    assert isinstance(jr, JobRequest)
    argv = sbatch_argv(jr)
    assert argv[:5] == ["runuser", "-u", "carol", "--", "sbatch"]
    for opt in ("--dependency=afterok:41", "--kill-on-invalid-dep=yes", "--array=0-1", "--nice=750",
                "--no-requeue", "--job-name=j.B", "--output=/home/carol/o.%A.%a", "--time=1441"):
        assert opt in argv, opt
    first = sbatch_argv(job_request(r, "job-X", r.tasks["A"], [], None, None))
    assert not any(a.startswith(("--dependency", "--kill-on-invalid-dep", "--array")) for a in first)
    assert "--time=2" in first
    nofail = parse_dag_request(base(JobFailOnInstanceFail=False))
    jr = job_request(nofail, "job-X", b, ["41", "42"], None, None)
    assert (jr.after, jr.after_policy) == (["41", "42"], "any")


def test_helpers():
    assert priority_to_nice(1000) == 0 and priority_to_nice(0) == 1000
    assert time_limit_minutes(DagTask("A", "x", timeout=60, max_retry=0)) == 2
    assert time_limit_minutes(DagTask("A", "x", timeout=61, max_retry=1)) == 4
    cmd = task_command("job-1", DagTask("A", "echo 'it''s' ; exit 1", timeout=5, max_retry=3))
    assert "timeout --kill-after=10 5 bash -c" in cmd and "-gt 3 ]" in cmd and cmd.endswith("(exit $__ehpc_rc)")
    assert job_state(["Finished", "Waiting"], False, True) == "Running"
    assert job_state(["Waiting", "Waiting"], False, True) == "Waiting"
    assert job_state(["Failed", "Stopped"], False, True) == "Failed"
    assert job_state(["Failed", "Finished"], False, False) == "Finished"
    assert job_state(["Running"], True, True) == "Stopped"


def test_existing_requests_have_no_dependency_options():
    argv = sbatch_argv(JobRequest(command="x", user="u", workdir="/home/u"))
    assert not any("dependency" in a for a in argv)
