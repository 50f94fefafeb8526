"""The Pulumi engine: error translation, workspace/stack settings, missing CLI, and (where the
Pulumi CLI is installed) a real up/destroy of a tiny stack."""
from __future__ import annotations

import itertools
import json
import os
import shutil
import stat
import types

import pytest
from click.testing import CliRunner
from pulumi import automation as auto
from pulumi.automation._cmd import CommandResult
from pulumi.automation.errors import (CommandError, ConcurrentUpdateError, StackNotFoundError,
                                      create_command_error)

from ehpc_iac.engines import get_engine
from ehpc_iac.engines.base import MISSING, RUNNING, Access
from ehpc_iac.engines.pulumi import (CFG_CLUSTER, CFG_IMAGE, CFG_PLAN, CFG_PUBLIC_KEY, ENV_BACKEND,
                                     ENV_PASSPHRASE, INSTALL_URL, PASSPHRASE_FILE, PulumiEngine,
                                     node_outputs, translate_error)
from ehpc_iac.errors import ConflictOpt, EngineError, EngineUnavailable
from ehpc_iac.plan import plan_cluster
from ehpc_iac.spec import load_cluster_spec

CID = "ehpc-lo-pulumitest"
ACCESS = Access(public_key="ssh-ed25519 AAAAtestkey ehpc", private_key_file=None)  # type: ignore[arg-type]


def make_plan(computes: int = 2):
    counter = itertools.count()
    spec = load_cluster_spec({"Name": "pulu", "DeployMode": "Simple",
                              "EcsOrder": {"Compute": {"Count": computes}, "Login": {"Count": 1}}})
    return plan_cluster(spec, CID, lambda: f"i-{next(counter):04d}")


def stand_in_program(plan, public_key):
    """A tiny stand-in for stacks/<x>/program.py: exports the inventory without any provider."""
    import pulumi
    nodes = [{"hostname": n.hostname, "instance_id": n.instance_id, "ip": f"10.0.0.{10 + i}"}
             for i, n in enumerate(plan.nodes)]
    pulumi.export("nodes", nodes)
    pulumi.export("keyLength", len(public_key))


def command_error(stderr: str, stdout: str = "", code: int = 255) -> CommandError:
    """As the SDK makes them (_cmd.py: create_command_error(CommandResult(...)))."""
    return create_command_error(CommandResult(stdout=stdout, stderr=stderr, code=code))


# --- error translation --------------------------------------------------------------------
def test_missing_cli_file_not_found_is_engine_unavailable():
    err = translate_error(FileNotFoundError(2, "No such file or directory", "pulumi"), CID, "docker")
    assert isinstance(err, EngineUnavailable)
    assert err.http_status == 503 and err.code == "ServiceUnavailable"
    assert "Pulumi CLI (`pulumi`)" in err.message and INSTALL_URL in err.message
    assert "pulumi plugin install resource docker" in err.message


def test_missing_plugin_names_plugin_and_command():
    exc = command_error("error: no resource plugin 'pulumi-resource-docker' found in the workspace at version "
                        "v4.5.0 or on your $PATH, install the plugin using `pulumi plugin install resource docker`")
    assert type(exc) is CommandError
    err = translate_error(exc, CID, "docker")
    assert isinstance(err, EngineUnavailable)
    assert "'docker'" in err.message and "pulumi plugin install resource docker" in err.message

    exc = command_error("error: could not find plugin for provider alicloud")
    err = translate_error(exc, CID, "alicloud")
    assert isinstance(err, EngineUnavailable)
    assert "pulumi plugin install resource alicloud" in err.message


def test_concurrent_update_is_conflict():
    for stderr in ("error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) "
                   "to end or delete the lock file", "[409] Conflict: Another update is currently in progress."):
        exc = command_error(stderr)
        assert isinstance(exc, ConcurrentUpdateError)
        err = translate_error(exc, CID)
        assert isinstance(err, ConflictOpt)
        assert CID in err.message


def test_other_command_error_is_engine_error_with_last_lines_without_secrets():
    stderr = "\n".join(["warning: something early"] * 10 + [
        "", "error: passphrase must be set with PULUMI_CONFIG_PASSPHRASE",
        "error: update failed: container ehpc-lo-x-manager0: image not found",
        "token hunter2 leaked here", ""])
    exc = command_error(stderr, stdout="Updating (ehpc-lo-x)\n")
    err = translate_error(exc, CID, redact=("hunter2",))
    assert isinstance(err, EngineError) and not isinstance(err, EngineUnavailable)
    assert err.code == "EcsError"
    assert "image not found" in err.message
    assert "passphrase" not in err.message.lower()
    assert "hunter2" not in err.message and "[redacted]" in err.message
    assert err.message.count("something early") <= 4   # only the last lines

    nf = command_error("error: no stack named 'ehpc-lo-x' found")
    assert isinstance(nf, StackNotFoundError)
    assert isinstance(translate_error(nf, CID), EngineError)


def test_stdout_used_when_stderr_is_empty():
    err = translate_error(command_error("", stdout="error: resource create failed: quota exceeded\n"), CID)
    assert isinstance(err, EngineError) and "quota exceeded" in err.message


# --- workspace and stack settings (automation calls patched) ------------------------------
class FakeStack:
    def __init__(self, name, program, opts, outputs=None, fail=None):
        self.name, self.program, self.opts = name, program, opts
        self.config = {}
        self._outputs = outputs or {}
        self.fail = fail
        self.calls = []
        self.workspace = types.SimpleNamespace(remove_stack=lambda n: self.calls.append(("remove_stack", n)))

    def outputs(self):
        return self._outputs

    def set_all_config(self, config):
        self.config.update(config)

    def get_all_config(self):
        return {f"ehpc-docker:{k}": v for k, v in self.config.items()}

    def up(self, on_output=None, color=None):
        self.calls.append("up")
        if self.fail:
            raise self.fail
        exported = {}
        import pulumi
        real_export = pulumi.export
        pulumi.export = lambda k, v: exported.__setitem__(k, v)
        try:
            self.program()
        finally:
            pulumi.export = real_export
        on_output("Updating (ehpc-lo-pulumitest)")
        on_output("   + docker:index:Container manager0 created")
        self._outputs = {k: auto.OutputValue(v, False) for k, v in exported.items()}

    def refresh(self, on_output=None, color=None):
        self.calls.append("refresh")

    def destroy(self, on_output=None, color=None):
        self.calls.append("destroy")
        on_output("Destroying (ehpc-lo-pulumitest)")
        self._outputs = {}
        return types.SimpleNamespace(summary=types.SimpleNamespace(resource_changes={"delete": 5}))


@pytest.fixture
def patched(monkeypatch, tmp_path):
    """The automation API replaced by FakeStack; `pulumi` "on PATH"; home under tmp."""
    monkeypatch.setattr("ehpc_iac.engines.pulumi.shutil.which", lambda name: f"/opt/{name}")
    monkeypatch.delenv(ENV_PASSPHRASE, raising=False)
    monkeypatch.delenv(ENV_BACKEND, raising=False)
    stacks: dict[str, FakeStack] = {}
    calls = []

    def create_or_select_stack(stack_name, project_name=None, program=None, work_dir=None, opts=None):
        calls.append(dict(stack_name=stack_name, project_name=project_name, program=program, opts=opts))
        st = stacks.get(stack_name)
        if st is None:
            st = stacks[stack_name] = FakeStack(stack_name, program, opts)
        st.program, st.opts = program, opts
        return st

    monkeypatch.setattr(auto, "create_or_select_stack", create_or_select_stack)
    engine = PulumiEngine(tmp_path / "home", program=stand_in_program,
                          prepare=lambda plan, progress: {"image": "ehpc-iac/node:test", "hostCpus": 2})
    return types.SimpleNamespace(engine=engine, stacks=stacks, calls=calls, home=tmp_path / "home")


def test_workspace_settings_default_backend_and_generated_passphrase(patched):
    plan = make_plan()
    lines = []
    result = patched.engine.converge(plan, ACCESS, lines.append)
    call = patched.calls[-1]
    assert call["stack_name"] == CID and call["project_name"] == "ehpc-docker"
    opts = call["opts"]
    backend = f"file://{patched.home / 'pulumi'}"
    assert opts.env_vars["PULUMI_BACKEND_URL"] == backend
    assert opts.project_settings.name == "ehpc-docker" and opts.project_settings.backend.url == backend
    assert opts.secrets_provider == "passphrase"
    assert opts.work_dir == str(patched.home / "clusters" / CID / "pulumi")
    pf = patched.home / "clusters" / CID / PASSPHRASE_FILE
    assert stat.S_IMODE(pf.stat().st_mode) == 0o600
    passphrase = pf.read_text().strip()
    assert len(passphrase) >= 32 and opts.env_vars[ENV_PASSPHRASE] == passphrase
    assert not any(passphrase in line for line in lines)      # never logged
    # the same passphrase on the next run
    patched.engine.inspect(plan)
    assert patched.calls[-1]["opts"].env_vars[ENV_PASSPHRASE] == passphrase

    # config from the plan
    cfg = patched.stacks[CID].config
    assert cfg[CFG_CLUSTER].value == CID
    assert json.loads(cfg[CFG_PLAN].value)["cluster_id"] == CID
    assert len(json.loads(cfg[CFG_PLAN].value)["nodes"]) == len(plan.nodes)
    assert cfg[CFG_IMAGE].value == "ehpc-iac/node:test"
    assert cfg[CFG_PUBLIC_KEY].value == ACCESS.public_key and cfg["hostCpus"].value == "2"

    # outputs -> NodeOutputs; progress streamed
    assert set(result.nodes) == {n.hostname for n in plan.nodes}
    assert sorted(result.created) == sorted(n.hostname for n in plan.nodes)
    m = result.nodes["manager0"]
    assert m.status == RUNNING and m.address == "10.0.0.10" and m.private_ip == "10.0.0.10" and m.port == 22
    assert m.instance_id == plan.node("manager0").instance_id
    assert any("pulumi up of stack" in line for line in lines)
    assert any("Container manager0 created" in line for line in lines)


def test_second_converge_reports_unchanged(patched):
    plan = make_plan()
    patched.engine.converge(plan, ACCESS)
    again = patched.engine.converge(plan, ACCESS)
    assert not again.changed and len(again.unchanged) == len(plan.nodes)


def test_user_backend_and_passphrase_from_env(patched, monkeypatch):
    monkeypatch.setenv(ENV_BACKEND, "s3://bucket/ehpc")
    monkeypatch.setenv(ENV_PASSPHRASE, "from-the-env")
    patched.engine.converge(make_plan(), ACCESS)
    opts = patched.calls[-1]["opts"]
    assert opts.env_vars["PULUMI_BACKEND_URL"] == "s3://bucket/ehpc"
    assert opts.project_settings.backend.url == "s3://bucket/ehpc"
    assert opts.env_vars[ENV_PASSPHRASE] == "from-the-env"
    assert not (patched.home / "clusters" / CID / PASSPHRASE_FILE).exists()


def test_remove_nodes_is_up_of_smaller_plan_keeping_settings(patched):
    plan = make_plan(computes=3)
    patched.engine.converge(plan, ACCESS)
    patched.engine.remove_nodes(plan, ["compute1"])
    cfg = patched.stacks[CID].config
    hosts = [n["hostname"] for n in json.loads(cfg[CFG_PLAN].value)["nodes"]]
    assert "compute1" not in hosts and "compute0" in hosts and "compute2" in hosts
    assert cfg[CFG_PUBLIC_KEY].value == ACCESS.public_key          # kept from the last up
    assert patched.stacks[CID].calls.count("up") == 2
    left = patched.engine.inspect(plan)
    assert left["compute1"].status == MISSING and left["compute2"].status == RUNNING


def test_inspect_refresh_and_destroy(patched):
    plan = make_plan()
    patched.engine.converge(plan, ACCESS)
    patched.engine.inspect(plan, refresh=True)
    assert "refresh" in patched.stacks[CID].calls
    lines = []
    removed = patched.engine.destroy(CID, lines.append)
    assert sorted(removed) == sorted(n.hostname for n in plan.nodes)
    assert ("remove_stack", CID) in patched.stacks[CID].calls
    assert any("Destroying" in line for line in lines)


def test_errors_during_up_are_translated(patched):
    plan = make_plan()
    patched.engine.converge(plan, ACCESS)
    patched.stacks[CID].fail = command_error("error: the stack is currently locked by 1 lock(s)")
    with pytest.raises(ConflictOpt):
        patched.engine.converge(plan, ACCESS)
    patched.stacks[CID].fail = command_error("error: no resource plugin 'pulumi-resource-docker' found")
    with pytest.raises(EngineUnavailable, match="pulumi plugin install resource docker"):
        patched.engine.converge(plan, ACCESS)
    passphrase = (patched.home / "clusters" / CID / PASSPHRASE_FILE).read_text().strip()
    patched.stacks[CID].fail = command_error(f"error: boom with {passphrase}\nerror: update failed")
    with pytest.raises(EngineError) as ei:
        patched.engine.converge(plan, ACCESS)
    assert passphrase not in ei.value.message and "update failed" in ei.value.message


def test_program_missing_parameter_is_clear(patched):
    def needs_more(plan, zone_of_the_moon):
        pass
    engine = PulumiEngine(patched.home, program=needs_more, prepare=lambda p, g: {"image": "x"})
    with pytest.raises(EngineError, match="zone_of_the_moon"):
        engine.converge(make_plan(), ACCESS)


def test_stop_start_refused():
    engine = PulumiEngine("/nonexistent")
    with pytest.raises(EngineError, match="not supported by the pulumi engine"):
        engine.stop(make_plan())
    with pytest.raises(EngineError, match="not supported by the pulumi engine"):
        engine.start(make_plan())


def test_node_outputs_dict_and_camel_case():
    plan = make_plan(computes=1)
    out = node_outputs(plan, {"manager0": {"privateIp": "10.1.0.5", "publicIp": "47.1.2.3", "status": "running"}})
    assert out["manager0"].address == "47.1.2.3" and out["manager0"].private_ip == "10.1.0.5"
    assert out["compute0"].status == MISSING


def test_get_engine_pulumi():
    assert isinstance(get_engine("pulumi"), PulumiEngine)


def test_docker_stack_program_values_if_present(patched):
    """The real stacks/docker program's signature is satisfied (program not run)."""
    from ehpc_iac.engines.pulumi import bind_program, default_stacks_dir, load_program_module
    if not (default_stacks_dir() / "docker" / "program.py").is_file():
        pytest.fail("stacks/docker/program.py missing")
    module = load_program_module("docker")
    engine = PulumiEngine(patched.home, program=module)
    plan = make_plan()
    values = engine.program_values(module, plan, {"image": "img", "hostCpus": 2, CFG_PUBLIC_KEY: "k"}, None)
    bind_program(module.program, values)   # raises when a parameter is not provided
    assert values["ips"]["manager0"].startswith("172.28.0.") and values["host_cpus"] == 2


# --- no `pulumi` on PATH: the real SDK, no patches of the automation API ------------------
@pytest.fixture
def no_cli(monkeypatch, tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("EHPC_IAC_HOME", str(tmp_path / "home"))
    return tmp_path


def test_no_cli_check_and_converge_raise_engine_unavailable(no_cli):
    engine = PulumiEngine(no_cli / "home", program=stand_in_program, prepare=lambda p, g: {"image": "x"})
    for call in (engine.check, lambda: engine.converge(make_plan(), ACCESS), lambda: engine.destroy(CID)):
        with pytest.raises(EngineUnavailable) as ei:
            call()
        assert "Pulumi CLI (`pulumi`) is not installed" in ei.value.message
        assert INSTALL_URL in ei.value.message


def test_no_cli_file_not_found_from_the_sdk_is_translated(no_cli, monkeypatch):
    """shutil.which fooled into saying yes: the SDK's own FileNotFoundError is still translated."""
    monkeypatch.setattr("ehpc_iac.engines.pulumi.shutil.which", lambda name: "/gone/pulumi")
    engine = PulumiEngine(no_cli / "home", program=stand_in_program, prepare=lambda p, g: {"image": "x"})
    with pytest.raises(EngineUnavailable, match="Pulumi CLI"):
        engine.converge(make_plan(), ACCESS)
    with pytest.raises(EngineUnavailable, match="Pulumi CLI"):
        engine.inspect(make_plan())


def test_cli_create_cluster_engine_pulumi_without_cli(no_cli):
    from ehpc_iac.cli.main import cli
    res = CliRunner().invoke(cli, ["--home", str(no_cli / "home"), "create-cluster", "--name", "pulu",
                                   "--engine", "pulumi", "--dryrun"])
    assert res.exit_code == 5, res.output
    assert "ServiceUnavailable" in res.output and "Pulumi CLI" in res.output


# --- a real stack (only where the Pulumi CLI is installed) --------------------------------
@pytest.mark.skipif(shutil.which("pulumi") is None, reason="Pulumi CLI not installed on this machine")
def test_real_up_and_destroy_of_a_tiny_stack(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_BACKEND, raising=False)
    monkeypatch.delenv(ENV_PASSPHRASE, raising=False)
    monkeypatch.setenv("PULUMI_HOME", os.environ.get("PULUMI_HOME") or str(tmp_path / "pulumi-home"))
    engine = PulumiEngine(tmp_path / "home", program=stand_in_program, prepare=lambda p, g: {"image": "none"})
    engine.check()
    plan = make_plan(computes=1)
    lines = []
    res = engine.converge(plan, ACCESS, lines.append)
    assert {h for h, n in res.nodes.items() if n.status == RUNNING} == {n.hostname for n in plan.nodes}
    assert (tmp_path / "home" / "pulumi").is_dir() and lines
    assert not engine.converge(plan, ACCESS).changed
    removed = engine.destroy(CID, lines.append)
    assert sorted(removed) == sorted(n.hostname for n in plan.nodes)


def test_create_cluster_engine_pulumi_without_cli_records_nothing(no_cli):
    from ehpc_iac.ops import Ehpc
    ehpc = Ehpc(no_cli / "home")
    with pytest.raises(EngineUnavailable, match="Pulumi CLI"):
        ehpc.create_cluster({"Name": "pulu", "Engine": "pulumi"})
    assert ehpc.list_clusters_meta()["Clusters"]["ClusterInfoSimple"] == []
