"""The Pulumi engine: the cluster's machines are a Pulumi stack driven through the Automation API.

Pulumi engine
-------------
``Engine: pulumi`` in the cluster YAML (or ``create-cluster --engine pulumi``) makes the
machines with the Pulumi programs in ``stacks/`` instead of the embedded docker engine:

- one stack per cluster, named after the cluster id, in the project ``ehpc-<program>``
  (``ehpc-docker`` by default; ``EHPC_IAC_PULUMI_PROGRAM=alicloud`` drives ``stacks/alicloud``);
- the program runs in process (an *inline* program wrapping ``stacks/<program>/program.py``'s
  ``program`` function); the stack config carries what the program was given (``clusterId``,
  ``plan`` as JSON, ``image``/``imageId``, ``publicKey``, ``hostCpus``; on alicloud also ``zoneId``
  and ``allowedSshCidr`` from ``EHPC_IAC_ALICLOUD_ZONE_ID`` / ``EHPC_IAC_ALICLOUD_SSH_CIDR``,
  the image from ``ImageId`` or ``EHPC_IAC_ALICLOUD_IMAGE_ID``), the keys
  ``stacks/<program>/__main__.py`` reads for users who run ``pulumi up`` by hand; the node
  inventory comes back as the stack output ``nodes``; the docker program needs a reachable
  Docker (the node image is built as for the docker engine);
- state: a local file backend ``file://$EHPC_IAC_HOME/pulumi`` by default, or any backend URL
  in ``EHPC_IAC_PULUMI_BACKEND`` (``s3://...``, ``https://api.pulumi.com`` ...);
- secrets: the ``passphrase`` provider; the passphrase is ``PULUMI_CONFIG_PASSPHRASE`` when set,
  otherwise one is generated per cluster and kept (mode 0600) in
  ``$EHPC_IAC_HOME/clusters/<id>/pulumi-passphrase``; it is never logged;
- progress: Pulumi's output lines are streamed to the operation's progress (stderr on the CLI);
- errors: no ``pulumi`` CLI or a missing provider plugin is ``ServiceUnavailable`` (503) naming
  what to install; a stack already being updated is ``ConflictOpt``; any other Pulumi failure is
  ``EcsError`` with the last lines Pulumi printed.
- StopCluster / StartCluster are refused for now; DeleteNodes is an ``up`` of the smaller plan;
  DeleteCluster is ``pulumi destroy`` followed by ``pulumi stack rm``.

The engine needs the Pulumi CLI and the provider plugin of the program::

    curl -fsSL https://get.pulumi.com | sh        # https://www.pulumi.com/docs/install/
    pulumi plugin install resource docker          # or: alicloud
"""
from __future__ import annotations

import importlib.util
import inspect
import json
import os
import re
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any, Callable, Optional

from ..errors import ConflictOpt, EngineError, EngineUnavailable, InvalidParams
from ..plan import ClusterPlan
from .base import (MISSING, RUNNING, Access, ConvergeResult, Engine, NodeOutput, Progress,
                   no_progress)

INSTALL_URL = "https://www.pulumi.com/docs/install/"
ENV_BACKEND = "EHPC_IAC_PULUMI_BACKEND"
ENV_PROGRAM = "EHPC_IAC_PULUMI_PROGRAM"
ENV_STACKS_DIR = "EHPC_IAC_STACKS_DIR"
ENV_PASSPHRASE = "PULUMI_CONFIG_PASSPHRASE"
PASSPHRASE_FILE = "pulumi-passphrase"
PROGRAMS = ("docker", "alicloud")
# Stack config keys (in the project's namespace) the programs read.
CFG_CLUSTER, CFG_PLAN, CFG_IMAGE, CFG_PUBLIC_KEY = "clusterId", "plan", "image", "publicKey"
OUTPUT_NODES = "nodes"
STDERR_LINES = 6

_PLUGIN_RES = (re.compile(r"pulumi-resource-([A-Za-z0-9_-]+)"),
               re.compile(r"plugin install resource ([A-Za-z0-9_-]+)"),
               re.compile(r"(?:no resource plugin|could not find plugin)(?: for provider)? ['\"]?([A-Za-z][A-Za-z0-9_-]+)"))
_NOT_A_NAME = {"for", "found", "resource", "provider", "the", "in"}
_PLUGIN_MISSING_RE = re.compile(r"no resource plugin|could not find plugin", re.I)


def default_stacks_dir() -> Path:
    return Path(os.environ.get(ENV_STACKS_DIR) or Path(__file__).resolve().parents[2] / "stacks")


def _home() -> Path:
    """The state directory when the operations layer did not hand one over (same rule as ops.state)."""
    return Path(os.environ.get("EHPC_IAC_HOME") or Path.home() / ".ehpc-iac")


def cli_missing_message(program: str = "docker") -> str:
    return (f"The Pulumi CLI (`pulumi`) is not installed or not on PATH; the pulumi engine needs it. "
            f"Install it (see {INSTALL_URL}, e.g. `curl -fsSL https://get.pulumi.com | sh`), put "
            f"~/.pulumi/bin on PATH, then install the provider plugin: "
            f"`pulumi plugin install resource {program}`.")


def translate_error(exc: BaseException, cluster_id: str, program: str = "docker",
                    redact: tuple[str, ...] = ()) -> Exception:
    """Pulumi's exceptions as the project's errors (returned, not raised)."""
    from pulumi.automation import errors as perr
    if isinstance(exc, FileNotFoundError):
        return EngineUnavailable(cli_missing_message(program))
    if isinstance(exc, perr.ConcurrentUpdateError):
        return ConflictOpt(cluster_id, "another Pulumi update of this stack is in progress")
    if isinstance(exc, perr.CommandError):
        text = str(exc)
        if _PLUGIN_MISSING_RE.search(text):
            plugin = _plugin_name(text, program)
            return EngineUnavailable(
                f"The Pulumi resource plugin {plugin!r} is not installed. Install it with "
                f"`pulumi plugin install resource {plugin}` (see {INSTALL_URL}).")
        return EngineError(f"pulumi failed for cluster {cluster_id}: {last_lines(exc, redact)}")
    if isinstance(exc, (EngineError, EngineUnavailable, ConflictOpt, InvalidParams)):
        return exc
    return EngineError(f"pulumi failed for cluster {cluster_id}: {type(exc).__name__}: {exc}")


def _plugin_name(text: str, default: str) -> str:
    for rx in _PLUGIN_RES:
        for m in rx.finditer(text):
            if m.group(1).lower() not in _NOT_A_NAME:
                return m.group(1)
    return default


def last_lines(exc: BaseException, redact: tuple[str, ...] = (), n: int = STDERR_LINES) -> str:
    """The last meaningful lines Pulumi printed (stderr, else stdout), secrets removed."""
    text = str(exc)
    m = re.search(r"\n stderr: (.*)\Z", text, re.S)
    stderr = m.group(1) if m else ""
    so = re.search(r"\n stdout: (.*?)\n stderr:", text, re.S)
    source = stderr if stderr.strip() else (so.group(1) if so else text)
    lines = []
    for line in source.splitlines():
        line = line.strip()
        if not line or set(line) <= set("-=*~ ") or re.search(r"passphrase|password|secret", line, re.I):
            continue
        for s in redact:
            if s:
                line = line.replace(s, "[redacted]")
        lines.append(line)
    return " | ".join(lines[-n:]) or f"exit code {getattr(exc, 'code', '?')}"


def load_program_module(name: str, stacks_dir: Optional[Path] = None):
    """``stacks/<name>/program.py`` (its ``program`` function is the stack's program)."""
    path = (stacks_dir or default_stacks_dir()) / name / "program.py"
    if not path.is_file():
        raise EngineUnavailable(f"The Pulumi program {path} does not exist (stacks/{name} is not built yet, "
                                f"or set {ENV_STACKS_DIR} to a folder holding {name}/program.py).")
    try:
        spec = importlib.util.spec_from_file_location(f"ehpc_stacks_{name}_program", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    except ImportError as exc:
        raise EngineUnavailable(f"The Pulumi program {path} cannot be imported ({exc}); install the provider "
                                f"SDK: pip install pulumi-{name}") from None
    if not callable(getattr(module, "program", None)):
        raise EngineUnavailable(f"{path} has no program(...) function")
    return module


def bind_program(fn: Callable[..., Any], values: dict[str, Any]) -> Callable[[], Any]:
    """An argument-less inline program calling ``fn`` with the values its signature names."""
    params = inspect.signature(fn).parameters
    kwargs, missing = {}, []
    for pname, p in params.items():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if pname in values:
            kwargs[pname] = values[pname]
        elif p.default is p.empty:
            missing.append(pname)
    if missing:
        raise EngineError(f"the Pulumi program {getattr(fn, '__name__', fn)} needs {', '.join(missing)}; "
                          f"the engine provides {', '.join(sorted(values))}")
    return lambda: fn(**kwargs)


def node_outputs(plan: ClusterPlan, raw: Any) -> dict[str, NodeOutput]:
    """The stack output ``nodes`` (a list, or a dict by host name) as NodeOutputs of every planned node."""
    items = list(raw.values()) if isinstance(raw, dict) else list(raw or [])
    if isinstance(raw, dict):
        for k, v in raw.items():
            if isinstance(v, dict):
                v.setdefault("hostname", k)
    by_host = {}
    for it in items:
        if isinstance(it, dict) and it.get("hostname"):
            by_host[it["hostname"]] = it

    def get(d: dict, *keys, default=None):
        for k in keys:
            if d.get(k) not in (None, ""):
                return d[k]
        return default

    out = {}
    for node in plan.nodes:
        d = by_host.get(node.hostname)
        if d is None:
            out[node.hostname] = NodeOutput(node.hostname, node.instance_id, MISSING,
                                            cpus=node.cpus, memory_mb=node.memory_mb)
            continue
        private = get(d, "private_ip", "privateIp", "ip")
        out[node.hostname] = NodeOutput(
            hostname=node.hostname,
            instance_id=str(get(d, "instance_id", "instanceId", default=node.instance_id)),
            status=str(get(d, "status", default=RUNNING)),
            address=get(d, "address", "public_ip", "publicIp", default=private),
            port=int(get(d, "port", "ssh_port", "sshPort", default=22)),
            private_ip=private,
            cpus=int(get(d, "cpus", default=node.cpus)),
            memory_mb=int(get(d, "memory_mb", "memoryMb", default=node.memory_mb)),
            created_at=get(d, "created_at", "createdAt"))
    return out


class PulumiEngine(Engine):
    name = "pulumi"

    def __init__(self, home: Optional[Path | str] = None, *, program_name: Optional[str] = None,
                 program: Optional[Callable[..., Any]] = None, backend_url: Optional[str] = None,
                 prepare: Optional[Callable[[ClusterPlan, Progress], dict[str, Any]]] = None):
        self._home = Path(home) if home else None
        self.program_name = program_name or os.environ.get(ENV_PROGRAM) or "docker"
        if self.program_name not in PROGRAMS:
            raise InvalidParams("Engine", f"unknown Pulumi program {self.program_name!r}; "
                                          f"available: {', '.join(PROGRAMS)}")
        # ``program``: a stand-in for stacks/<program>/program.py: a module, or the program function itself
        if program is not None and not hasattr(program, "program"):
            import types
            program = types.SimpleNamespace(program=program)
        self._program = program
        self._backend_url = backend_url
        self._secrets: set[str] = set()   # passphrases in use: never shown in an error
        self._prepare_fn = prepare

    # --- settings -----------------------------------------------------------------
    @property
    def home(self) -> Path:
        """The state directory: given, else $EHPC_IAC_HOME (or ~/.ehpc-iac). Settable, so the
        operations layer can hand its own home (``--home``) to the engine."""
        return self._home or _home()

    @home.setter
    def home(self, value: Path | str) -> None:
        self._home = Path(value)

    @property
    def project_name(self) -> str:
        return f"ehpc-{self.program_name}"

    def backend_url(self) -> str:
        url = self._backend_url or os.environ.get(ENV_BACKEND)
        if url:
            return url
        d = self.home / "pulumi"
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
        return f"file://{d}"

    def cluster_dir(self, cluster_id: str) -> Path:
        return self.home / "clusters" / cluster_id

    def passphrase(self, cluster_id: str) -> str:
        env = os.environ.get(ENV_PASSPHRASE)
        if env:
            return env
        f = self.cluster_dir(cluster_id) / PASSPHRASE_FILE
        if f.is_file():
            value = f.read_text().strip()
            self._secrets.add(value)
            return value
        f.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        value = secrets.token_urlsafe(32)
        fd = os.open(f, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(value + "\n")
        self._secrets.add(value)
        return value

    def workspace_options(self, cluster_id: str):
        from pulumi import automation as auto
        backend = self.backend_url()
        work_dir = self.cluster_dir(cluster_id) / "pulumi"
        work_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        return auto.LocalWorkspaceOptions(
            work_dir=str(work_dir),
            project_settings=auto.ProjectSettings(name=self.project_name, runtime="python",
                                                  backend=auto.ProjectBackend(url=backend)),
            secrets_provider="passphrase",
            env_vars={"PULUMI_BACKEND_URL": backend, ENV_PASSPHRASE: self.passphrase(cluster_id),
                      "PULUMI_SKIP_UPDATE_CHECK": "true"})

    def _module(self):
        return self._program or load_program_module(self.program_name)

    def _stack(self, cluster_id: str, program: Callable[[], Any]):
        from pulumi import automation as auto
        self._require_cli()
        return auto.create_or_select_stack(stack_name=cluster_id, project_name=self.project_name,
                                           program=program, opts=self.workspace_options(cluster_id))

    def _require_cli(self) -> None:
        if shutil.which("pulumi") is None:
            raise EngineUnavailable(cli_missing_message(self.program_name))

    def _run(self, cluster_id: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except (EngineError, EngineUnavailable, ConflictOpt, InvalidParams):
            raise
        except Exception as exc:  # noqa: BLE001 - every Pulumi failure is translated here
            redact = (os.environ.get(ENV_PASSPHRASE, ""), *self._secrets)
            raise translate_error(exc, cluster_id, self.program_name, redact) from exc

    # --- Engine ---------------------------------------------------------------------
    def check(self) -> None:
        self._require_cli()
        try:
            r = subprocess.run(["pulumi", "version"], capture_output=True, text=True, timeout=60)
        except FileNotFoundError:
            raise EngineUnavailable(cli_missing_message(self.program_name)) from None
        except subprocess.TimeoutExpired:
            raise EngineUnavailable("`pulumi version` did not answer within 60 s") from None
        if r.returncode != 0:
            raise EngineUnavailable(f"`pulumi version` failed: {(r.stderr or r.stdout).strip()[-300:]}")
        self.version = r.stdout.strip()

    def _up(self, plan: ClusterPlan, access: Optional[Access], progress: Progress) -> dict[str, NodeOutput]:
        self._require_cli()
        cid = plan.cluster_id
        module = self._module()
        prepared = {}
        if access is not None:
            prepared = {**self._prepare(plan, progress), CFG_PUBLIC_KEY: access.public_key}
        values: dict[str, Any] = {}

        def inline():
            return bind_program(module.program, values)()

        def go():
            stack = self._stack(cid, inline)
            previous = _value(stack.outputs().get(OUTPUT_NODES))
            if access is None:   # DeleteNodes: the settings of the last up stay
                prepared.update(self._saved_settings(stack))
            values.update(self.program_values(module, plan, prepared, previous))
            stack.set_all_config(self.stack_config(plan, prepared))
            progress(f"pulumi up of stack {cid} ({self.project_name})")
            stack.up(on_output=_line_sink(progress), color="never")
            return stack.outputs()
        outputs = self._run(cid, go)
        return node_outputs(plan, _value(outputs.get(OUTPUT_NODES)))

    def _prepare(self, plan: ClusterPlan, progress: Progress) -> dict[str, Any]:
        """Settings of a converge: node image, Docker host CPUs, public key (see ``stack_config``)."""
        if self._prepare_fn:
            return dict(self._prepare_fn(plan, progress))
        if self.program_name == "docker":
            from .docker import DockerEngine
            docker_engine = DockerEngine()
            return {"image": docker_engine.ensure_image(plan, progress), "hostCpus": docker_engine.host_cpus()}
        return {"image": plan.image_id or os.environ.get("EHPC_IAC_ALICLOUD_IMAGE_ID", ""),
                "zoneId": os.environ.get("EHPC_IAC_ALICLOUD_ZONE_ID", ""),
                "allowedSshCidr": os.environ.get("EHPC_IAC_ALICLOUD_SSH_CIDR", "")}

    def _saved_settings(self, stack) -> dict[str, Any]:
        out = {}
        for key, value in stack.get_all_config().items():
            short = key.split(":", 1)[-1]
            if short not in (CFG_CLUSTER, CFG_PLAN, "cluster"):
                out[short] = _value(value)
        return out

    def stack_config(self, plan: ClusterPlan, prepared: dict[str, Any]) -> dict[str, Any]:
        """The stack config the program (and ``stacks/<program>/__main__.py``) reads."""
        from pulumi import automation as auto
        config = {CFG_CLUSTER: auto.ConfigValue(plan.cluster_id),
                  "cluster": auto.ConfigValue(json.dumps({"Name": plan.name, "DeployMode": plan.deploy_mode})),
                  CFG_PLAN: auto.ConfigValue(json.dumps(plan.to_dict(), sort_keys=True))}
        for key, value in prepared.items():
            if key == CFG_IMAGE and self.program_name == "alicloud":
                key = "imageId"
            config[key] = auto.ConfigValue(str(value), secret=(key == CFG_PUBLIC_KEY and self.program_name != "docker"))
        return config

    def program_values(self, module, plan: ClusterPlan, prepared: dict[str, Any],
                       previous: Any) -> dict[str, Any]:
        """What the program function may ask for, by parameter name."""
        pk = str(prepared.get(CFG_PUBLIC_KEY, ""))
        values: dict[str, Any] = {"plan": plan, "cluster_id": plan.cluster_id,
                                  "image": str(prepared.get(CFG_IMAGE) or prepared.get("imageId") or ""),
                                  "access_public_key": pk, "public_key": pk}
        if self.program_name == "docker":
            from .docker import _assign_ips
            subnet = str(prepared.get("subnet") or getattr(module, "DEFAULT_SUBNET", "172.28.0.0/24"))
            current = {d["hostname"]: d.get("ip") for d in _node_dicts(previous) if d.get("ip")}
            import ipaddress
            values.update(host_cpus=int(prepared.get("hostCpus") or 1), subnet=subnet,
                          ips=_assign_ips(ipaddress.ip_network(subnet), plan, current))
        elif hasattr(module, "AliConfig"):
            values["config"] = module.AliConfig(
                image_id=values["image"], zone_id=str(prepared.get("zoneId") or ""),
                allowed_ssh_cidr=str(prepared.get("allowedSshCidr") or ""), public_key=pk)
        return values

    def converge(self, plan: ClusterPlan, access: Access, progress: Progress = no_progress) -> ConvergeResult:
        before = self._inspect_quiet(plan)
        nodes = self._up(plan, access, progress)
        return _diff(before, nodes)

    def _inspect_quiet(self, plan: ClusterPlan) -> dict[str, NodeOutput]:
        try:
            return self.inspect(plan)
        except (EngineError, ConflictOpt):
            return {}

    def inspect(self, plan: ClusterPlan, refresh: bool = False,
                progress: Progress = no_progress) -> dict[str, NodeOutput]:
        self._require_cli()
        cid = plan.cluster_id

        def go():
            stack = self._stack(cid, _no_program)
            if refresh:
                stack.refresh(on_output=_line_sink(progress), color="never")
            return stack.outputs()
        outputs = self._run(cid, go)
        raw = outputs.get(OUTPUT_NODES)
        return node_outputs(plan, getattr(raw, "value", raw))

    def stop(self, plan: ClusterPlan, progress: Progress = no_progress,
             hostnames: Optional[list[str]] = None) -> None:
        raise EngineError("StopCluster is not supported by the pulumi engine yet; use DeleteCluster, or the "
                          "docker engine for clusters that stop and start")

    def start(self, plan: ClusterPlan, progress: Progress = no_progress,
              hostnames: Optional[list[str]] = None) -> dict[str, NodeOutput]:
        raise EngineError("StartCluster is not supported by the pulumi engine yet; use the docker engine for "
                          "clusters that stop and start")

    def remove_nodes(self, plan: ClusterPlan, hostnames: list[str], progress: Progress = no_progress) -> None:
        gone = set(hostnames)
        smaller = plan.replace(nodes=tuple(n for n in plan.nodes if n.hostname not in gone))
        self._up(smaller, None, progress)

    def destroy(self, cluster_id: str, progress: Progress = no_progress) -> list[str]:
        self._require_cli()

        def go():
            stack = self._stack(cluster_id, _no_program)
            raw = _value(stack.outputs().get(OUTPUT_NODES))
            progress(f"pulumi destroy of stack {cluster_id} ({self.project_name})")
            res = stack.destroy(on_output=_line_sink(progress), color="never")
            stack.workspace.remove_stack(cluster_id)
            hosts = [d.get("hostname") for d in _node_dicts(raw)]
            changes = getattr(getattr(res, "summary", None), "resource_changes", None) or {}
            return [h for h in hosts if h] or [f"{k}:{v}" for k, v in changes.items()]
        return self._run(cluster_id, go)


def _no_program() -> None:
    """Reading outputs, refresh and destroy do not run the program."""


def _value(v: Any) -> Any:
    return getattr(v, "value", v)


def _node_dicts(raw: Any) -> list[dict]:
    items = list(raw.values()) if isinstance(raw, dict) else list(raw or [])
    return [d for d in items if isinstance(d, dict)]


def _line_sink(progress: Progress) -> Callable[[str], None]:
    def sink(line: str) -> None:
        line = line.rstrip()
        if line.strip():
            progress(line)
    return sink


def _diff(before: dict[str, NodeOutput], after: dict[str, NodeOutput]) -> ConvergeResult:
    had = {h for h, n in before.items() if n.status != MISSING}
    res = ConvergeResult(nodes=after)
    for h, n in after.items():
        if n.status == MISSING:
            continue
        if h not in had:
            res.created.append(h)
        elif (before[h].address, before[h].private_ip) != (n.address, n.private_ip):
            res.replaced.append(h)
        else:
            res.unchanged.append(h)
    res.removed = sorted(had - {h for h, n in after.items() if n.status != MISSING})
    return res
