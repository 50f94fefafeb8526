"""Shell commands on cluster nodes: InvokeShellCommand, ListCommands, ListInvocationStatus,
ListInvocationResults.

InvokeShellCommand records the command and one ``Running`` result per node, returns the
CommandId at once and runs the command on every named node in parallel (all nodes when
no ``Instance.N.Id`` is given) over SSH (paramiko) as root with the cluster's key:

* the command text travels on the SSH channel's standard input into a private temporary
  file on the node (never on a command line), then ``bash FILE`` runs in ``WorkingDir``
  under ``timeout``, which kills the command's whole process group after ``Timeout``
  seconds; the command's standard input is /dev/null;
* per node: ``Finished`` (it ran and exited; ``ExitCode`` is its exit code, ``Success`` is
  ExitCode == 0), ``Failed`` (it could not be run: node down, SSH failure, missing
  working directory; or it was killed by Timeout), ``Stopped`` (the process running it
  ended before the node answered);
* ``Message`` is the node's standard output and error, interleaved, as plain text (as in
  the reference's example), at most 64 KiB.

Commands do not take the cluster's write lock (several may run at once, also while a
write operation runs) but need the cluster ``running``. In the background they run in a
thread (``async_mode="thread"``) or a detached child process (``"fork"``, the CLI's
``--no-wait``); ``wait=True`` runs them in the caller, reporting each node's end to
``progress``.
"""
from __future__ import annotations

import shlex
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

import paramiko

from ..engines import Progress, no_progress
from ..engines.base import RUNNING as NODE_RUNNING
from ..engines.base import NodeOutput
from ..errors import InvalidClusterStatus, InvalidParams, ObjectNotFound
from ..spec.commands import (InvokeShellCommandRequest, ListCommandsRequest, ListInvocationResultsRequest,
                             ListInvocationStatusRequest)
from .commands_state import FAILED, FINISHED, RUNNING, STOPPED, CommandStore
from .core import EXCEPTION as CLUSTER_EXCEPTION
from .core import RUNNING as CLUSTER_RUNNING
from .core import Area, new_request_id
from .state import ClusterRecord

OUTPUT_MAX = 64 * 1024
CONNECT_TIMEOUT_S = 10
KILL_AFTER_S = 5          # SIGKILL this long after the SIGTERM of Timeout
ANSWER_GRACE_S = 30       # the node must answer this long after Timeout, else the channel is closed
PARALLEL_MAX = 32
START_MARK = b"\x1eEHPC-RUN\x1e"   # written by the wrapper right before the command starts


@dataclass(frozen=True)
class ShellTarget:
    """Where a command runs: one node, reached over SSH as root with the cluster key."""
    hostname: str
    instance_id: str
    address: str
    port: int
    key_file: Path
    user: str = "root"


@dataclass
class ShellRun:
    """What became of a command on one node."""
    status: str                      # Finished | Failed
    exit_code: Optional[int] = None  # None when it never ran
    output: str = ""
    error: str = ""                  # why it Failed (empty when Finished)


ShellRunner = Callable[[ShellTarget, str, str, int], ShellRun]


def remote_wrapper(script_bytes: int, working_dir: str, timeout: int) -> str:
    """The command line sent to the node (no user text in it): read the script from stdin
    into a private file, enter the working directory, mark the start, run it under timeout."""
    wd = shlex.quote(working_dir)
    return (
        "f=$(mktemp /tmp/.ehpc-command.XXXXXXXX) || exit 125; "
        "trap 'rm -f \"$f\"' EXIT; "
        f"head -c {int(script_bytes)} > \"$f\" || exit 125; "
        f"cd -- {wd} 2>/dev/null || {{ printf 'ehpc-iac: cannot enter the working directory %s\\n' {wd}; "
        "exit 125; }; "
        "printf '\\036EHPC-RUN\\036'; "
        f"timeout -k {KILL_AFTER_S} {int(timeout)} bash \"$f\" </dev/null 2>&1; "
        "exit $?"
    )


def interpret(raw: bytes, exit_code: Optional[int], timeout: int, elapsed: float,
              received: Optional[int] = None) -> ShellRun:
    """Turn the wrapper's output (``received`` bytes in all, ``raw`` kept) and exit status into a ShellRun."""
    started = raw.startswith(START_MARK)
    body = raw[len(START_MARK):] if started else raw
    total = (received if received is not None else len(raw)) - (len(START_MARK) if started else 0)
    text = body[:OUTPUT_MAX].decode("utf-8", errors="replace")
    if total > OUTPUT_MAX:
        text += f"\n[ehpc-iac: output truncated to the first {OUTPUT_MAX} of {total} bytes]"
    if not started:
        reason = text.strip() or f"the command could not be started (exit status {exit_code})"
        return ShellRun(FAILED, None, text, reason)
    if exit_code is None:
        return ShellRun(FAILED, None, text, f"no exit status within Timeout={timeout}s + {ANSWER_GRACE_S}s")
    if exit_code in (124, 137) and elapsed >= timeout:
        return ShellRun(FAILED, exit_code, text, f"killed after Timeout={timeout}s")
    return ShellRun(FINISHED, exit_code, text, "")


def ssh_shell(target: ShellTarget, command: str, working_dir: str, timeout: int) -> ShellRun:
    """Run ``command`` with bash on ``target`` over SSH; never raises for node-side problems."""
    script = command.encode() + (b"" if command.endswith("\n") else b"\n")
    client = paramiko.SSHClient()
    # Host keys are generated per node at first boot on a private network; the cluster key
    # authenticates us, there is nothing to pin against (as in ehpc_iac.ssh).
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    t0 = time.monotonic()
    try:
        try:
            client.connect(target.address, port=target.port, username=target.user,
                           pkey=paramiko.Ed25519Key.from_private_key_file(str(target.key_file)),
                           timeout=CONNECT_TIMEOUT_S, banner_timeout=CONNECT_TIMEOUT_S,
                           auth_timeout=CONNECT_TIMEOUT_S, allow_agent=False, look_for_keys=False)
            chan = client.get_transport().open_session(timeout=CONNECT_TIMEOUT_S)
            chan.set_combine_stderr(True)
            t0 = time.monotonic()  # before the node can start its Timeout clock
            chan.exec_command(remote_wrapper(len(script), working_dir, timeout))
            chan.sendall(script)
            chan.shutdown_write()
        except (paramiko.SSHException, OSError, EOFError) as exc:
            return ShellRun(FAILED, None, "", f"SSH to {target.hostname} ({target.address}) failed: "
                                              f"{type(exc).__name__}: {exc}")
        deadline = t0 + timeout + KILL_AFTER_S + ANSWER_GRACE_S
        chan.settimeout(1.0)
        buf = bytearray()
        received = 0
        keep = OUTPUT_MAX + len(START_MARK) + 1
        while True:
            try:
                data = chan.recv(65536)
            except socket.timeout:
                if chan.exit_status_ready():  # done; a daemon it started may hold the output open
                    while chan.recv_ready():
                        data = chan.recv(65536)
                        received += len(data)
                        buf += data[:max(0, keep - len(buf))]
                    break
                if time.monotonic() > deadline:
                    chan.close()
                    return interpret(bytes(buf), None, timeout, time.monotonic() - t0, received)
                continue
            except (paramiko.SSHException, OSError) as exc:
                return ShellRun(FAILED, None, bytes(buf).decode(errors="replace"),
                                f"the SSH connection to {target.hostname} broke: {exc}")
            if not data:
                break
            received += len(data)
            if len(buf) < keep:  # past the limit keep reading (the command must not block) but only count
                buf += data[:keep - len(buf)]
        remaining = max(1.0, deadline - time.monotonic())
        code = chan.recv_exit_status() if chan.status_event.wait(remaining) else None
        return interpret(bytes(buf), code, timeout, time.monotonic() - t0, received)
    finally:
        client.close()


class CommandOps(Area):
    def _command_store(self) -> CommandStore:
        return CommandStore(self.core.state)

    # --- InvokeShellCommand ------------------------------------------------------------
    def invoke_shell_command(self, params: Optional[Mapping[str, Any]] = None, /, *,
                             progress: Progress = no_progress, wait: bool = False,
                             **kwargs: Any) -> dict[str, Any]:
        """Start ``Command`` on the named nodes (all nodes when none is named); returns the CommandId.

        ``wait=True`` (not an API parameter) runs the command to its end before returning.
        """
        req = self.core._request(InvokeShellCommandRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        if rec.status not in (CLUSTER_RUNNING, CLUSTER_EXCEPTION):  # a repair tool: allowed in exception
            raise InvalidClusterStatus(rec.id, rec.status, "InvokeShellCommand", [CLUSTER_RUNNING, CLUSTER_EXCEPTION])
        nodes = self._select_nodes(rec, [i.Id for i in req.Instance])
        request_id = new_request_id()
        command_id = "c-" + uuid.uuid4().hex
        self._run_command(rec, command_id, request_id, "InvokeShellCommand", "shell", req.Command,
                          req.WorkingDir, req.Timeout, nodes, progress=progress, wait=wait)
        return {"RequestId": request_id, "CommandId": command_id,
                "InstanceIds": {"InstanceId": [n.instance_id for n in nodes]}}

    def _select_nodes(self, rec: ClusterRecord, instance_ids: list[str], field: str = "Instance") -> list:
        """The planned nodes named by instance id (every node when none is named)."""
        by_id = {n.instance_id: n for n in rec.plan.nodes}
        seen: set[str] = set()
        for i, iid in enumerate(instance_ids, start=1):
            name = f"{field}.{i}.Id"
            if iid in seen:
                raise InvalidParams(name, f"{iid} is named twice")
            if iid not in by_id:
                raise ObjectNotFound(f"The specified object {name} ({iid}) does not exist in cluster {rec.id}: "
                                     f"no node has this instance id.", field=name)
            seen.add(iid)
        return [by_id[i] for i in instance_ids] if instance_ids else list(rec.plan.nodes)

    def _run_command(self, rec: ClusterRecord, command_id: str, request_id: str, operation: str, kind: str,
                     content: str, working_dir: str, timeout: int, nodes: list, *,
                     progress: Progress = no_progress, wait: bool = False) -> None:
        """Record the command, then run it on ``nodes`` (planned nodes), now or in the background."""
        store = self._command_store()
        store.purge_orphans()
        outputs = self.core.engine(rec.engine).inspect(rec.plan)
        key_file = self.core.access(rec.id).private_key_file
        store.insert(command_id, rec.id, request_id, content, working_dir, timeout,
                     [(n.instance_id, n.hostname) for n in nodes], kind=kind)
        self.core.state.add_log(rec.id, request_id, operation, "info",
                           f"{operation} started: command {command_id} on {len(nodes)} node(s)")
        plan = [(n, outputs.get(n.hostname)) for n in nodes]

        def run_all(p: Progress) -> None:
            self._execute(rec.id, command_id, request_id, operation, content, working_dir, timeout, plan,
                          key_file, p)

        if wait:
            run_all(progress)
        elif self.core.async_mode == "fork":
            self._fork_command(run_all, rec.id, command_id)
        else:
            threading.Thread(target=_quietly(run_all), args=(no_progress,), name=f"{operation}-{command_id}",
                             daemon=False).start()

    def _execute(self, cluster_id: str, command_id: str, request_id: str, operation: str, content: str,
                 working_dir: str, timeout: int, plan: list[tuple[Any, Optional[NodeOutput]]], key_file: Path,
                 progress: Progress) -> None:
        store = self._command_store()
        runner = self.core.shell_runner
        counts = {FINISHED: 0, FAILED: 0, "nonzero": 0}

        def one(node, out: Optional[NodeOutput]) -> tuple[str, ShellRun]:
            if out is None or out.status != NODE_RUNNING or not out.address:
                state = out.status if out is not None else "missing"
                run = ShellRun(FAILED, None, "", f"node {node.hostname} is {state}: the command was not run")
            else:
                target = ShellTarget(node.hostname, node.instance_id, out.address, out.port, key_file)
                try:
                    run = runner(target, content, working_dir, timeout)
                except Exception as exc:  # noqa: BLE001 - a runner bug must not leave the row Running
                    run = ShellRun(FAILED, None, "", f"{type(exc).__name__}: {exc}")
            store.finish(command_id, node.instance_id, run.status, run.exit_code, run.output, run.error)
            return node.hostname, run

        try:
            with ThreadPoolExecutor(max_workers=max(1, min(PARALLEL_MAX, len(plan)))) as pool:
                futures = [pool.submit(one, n, o) for n, o in plan]
                for done, fut in enumerate(as_completed(futures), start=1):
                    host, run = fut.result()
                    counts[run.status] = counts.get(run.status, 0) + 1
                    if run.status == FINISHED and run.exit_code != 0:
                        counts["nonzero"] += 1
                    what = (f"exit code {run.exit_code}" if run.status == FINISHED else run.error)
                    progress(f"{done}/{len(plan)} {host}: {run.status} ({what})")
        except BaseException as exc:
            reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}: {exc}"
            store.stop_running(command_id, reason)
            self.core.state.add_log(cluster_id, request_id, operation, "error",
                               f"{operation} failed: command {command_id}: {reason}")
            raise
        ok = counts[FINISHED] - counts["nonzero"]
        level = "info" if ok == len(plan) else "warn"
        self.core.state.add_log(cluster_id, request_id, operation, level,
                           f"{operation} finished: command {command_id}: {ok} of {len(plan)} node(s) exited 0, "
                           f"{counts['nonzero']} with another exit code, {counts[FAILED]} failed")

    def _fork_command(self, run_all: Callable[[Progress], None], cluster_id: str, command_id: str) -> None:
        """Run in a detached child (the CLI returns at once); the child is the command's runner."""
        pid = self.core._spawn_detached(cluster_id, "InvokeShellCommand", run_all)
        self._command_store().set_runner(command_id, pid)

    # --- reads ------------------------------------------------------------------------------
    def _command(self, rec: ClusterRecord, command_id: str) -> dict[str, Any]:
        cmd = self._command_store().get(command_id)
        if cmd is None or cmd["cluster_id"] != rec.id:
            raise ObjectNotFound(f"The specified CommandId {command_id} does not exist in cluster {rec.id}.",
                                 field="CommandId")
        return cmd

    def list_commands(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(ListCommandsRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        total, rows = self._command_store().commands(rec.id, req.CommandId, (req.PageNumber - 1) * req.PageSize,
                                                     req.PageSize)
        return {"RequestId": new_request_id(), "TotalCount": total, "PageNumber": req.PageNumber,
                "PageSize": req.PageSize,
                "Commands": {"Command": [{"CommandId": r["id"], "CommandContent": r["content"],
                                          "WorkingDir": r["working_dir"], "Timeout": r["timeout"],
                                          "CreateTime": r["create_time"]} for r in rows]}}

    def list_invocation_status(self, params: Optional[Mapping[str, Any]] = None, /,
                               **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(ListInvocationStatusRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        self._command(rec, req.CommandId)
        results = self._command_store().results(req.CommandId)
        return {"RequestId": new_request_id(), "CommandId": req.CommandId,
                "InvokeStatus": overall_status([r["status"] for r in results]),
                "InvokeInstances": {"InvokeInstance": [{"InstanceId": r["instance_id"],
                                                        "InstanceInvokeStatus": r["status"]} for r in results]}}

    def list_invocation_results(self, params: Optional[Mapping[str, Any]] = None, /,
                                **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(ListInvocationResultsRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        self._command(rec, req.CommandId)
        results = self._command_store().results(req.CommandId)
        wanted = {i.Id for i in req.Instance}
        if wanted:
            results = [r for r in results if r["instance_id"] in wanted]
        if req.InvokeRecordStatus:
            results = [r for r in results if r["status"] == req.InvokeRecordStatus]
        page = results[(req.PageNumber - 1) * req.PageSize: req.PageNumber * req.PageSize]
        return {"RequestId": new_request_id(), "TotalCount": len(results), "PageNumber": req.PageNumber,
                "PageSize": req.PageSize,
                "InvocationResults": {"InvocationResult": [result_view(req.CommandId, r) for r in page]}}


def _quietly(fn: Callable[[Progress], None]) -> Callable[[Progress], None]:
    """Background runs record failures in the result rows and the cluster log; nothing to raise to."""
    def wrapped(p: Progress) -> None:
        try:
            fn(p)
        except BaseException:  # noqa: BLE001
            pass
    return wrapped


def result_view(command_id: str, r: Mapping[str, Any]) -> dict[str, Any]:
    """One node's result with the reference's names (+ HostName and ErrorInfo)."""
    return {"CommandId": command_id, "InstanceId": r["instance_id"], "HostName": r["hostname"],
            "InvokeRecordStatus": r["status"],
            "Success": r["status"] == FINISHED and r["exit_code"] == 0,
            "ExitCode": r["exit_code"], "Message": r["output"], "ErrorInfo": r["error"],
            "FinishedTime": r["finished_time"]}


def overall_status(statuses: list[str]) -> str:
    """Running while any node runs; then Failed if any failed, Stopped if any stopped, else Finished."""
    for s in (RUNNING, FAILED, STOPPED):
        if s in statuses:
            return s
    return FINISHED


__all__ = ["CommandOps", "ShellRun", "ShellTarget", "interpret", "overall_status", "remote_wrapper", "ssh_shell"]
