"""`ehpc-iac` verbs of the job template operations: create-job-template (flags or ``--file``),
edit-job-template, list-job-templates, delete-job-templates, and submit-job-from-template
(SubmitJob with a template's fields as defaults; any submit-job flag overrides them).

Templates belong to the account, as in E-HPC: only submit-job-from-template needs --cluster-id
(the cluster the job runs on). Given to the other verbs, --cluster-id is checked and the
template's RunasUser, queue and paths are checked against that cluster.

Every verb also takes the whole request as ``--cli-input-json FILE`` (API names); flags override
the file. A RunasUserPassword is read only from standard input (``--password-stdin``)."""
from __future__ import annotations

import sys

import click

from ..errors import EhpcError, InvalidParams
from ..spec import read_request_file
from .common import _fail, _request, _run, cluster_option, input_option, output_option
from .group import cli

file_option = click.option("--file", "-f", "req_file", type=click.Path(dir_okay=False),
                           help="YAML/JSON with the template's fields (API names).")
template_id_option = click.option("--template-id", "TemplateId", help="TemplateId (ehpc-job-tmpl-...).")

# The fields a template holds (SubmitJob's, with the reference's Queue and WithUnzipCmd).
_FIELD_OPTIONS = (
    click.option("--name", "Name", help="Name: the template's, which is also the default job name (1-64 letters, digits, _ . : + @ -)."),
    click.option("--command-line", "CommandLine"),
    click.option("--runas-user", "RunasUser"),
    click.option("--priority", "Priority", type=int, help="0-9 (9 highest)."),
    click.option("--package-path", "PackagePath"),
    click.option("--stdout-redirect-path", "StdoutRedirectPath"),
    click.option("--stderr-redirect-path", "StderrRedirectPath"),
    click.option("--rerunable/--no-rerunable", "ReRunable", default=None),
    click.option("--array-request", "ArrayRequest", help="X-Y:Z"),
    click.option("--variables", "Variables", help='JSON list: [{"Name": "A", "Value": "1"}]'),
    click.option("--input-file-url", "InputFileUrl"),
    click.option("--unzip-cmd", "UnzipCmd"),
    click.option("--with-unzip-cmd/--without-unzip-cmd", "WithUnzipCmd", default=None),
    click.option("--queue", "Queue", help="The job queue (JobQueue)."),
    click.option("--post-cmd-line", "PostCmdLine"),
    click.option("--node", "Node", type=int),
    click.option("--task", "Task", type=int),
    click.option("--thread", "Thread", type=int),
    click.option("--cpu", "Cpu", type=int),
    click.option("--mem", "Mem"),
    click.option("--gpu", "Gpu", type=int),
    click.option("--clock-time", "ClockTime"),
)


def _with(*options):
    def deco(fn):
        for opt in reversed(options):
            fn = opt(fn)
        return fn
    return deco


def _build(req_file, cli_input_json, flags: dict, need_cluster: bool = False) -> dict:
    try:
        req = read_request_file(req_file) if req_file else {}
    except EhpcError as exc:
        _fail(exc)
    req.update(_request(cli_input_json, flags))
    if need_cluster and "ClusterId" not in req:
        _fail(InvalidParams("ClusterId", "this parameter is required (--cluster-id)"))
    return req


@cli.command("create-job-template")
@file_option
@cluster_option
@input_option
@_with(*_FIELD_OPTIONS)
@output_option
@click.pass_context
def create_job_template(ctx, req_file, cluster_id, cli_input_json, output, **flags):
    """CreateJobTemplate: store SubmitJob fields under a name; prints the TemplateId."""
    _run(ctx, "create_job_template", _build(req_file, cli_input_json, {"ClusterId": cluster_id, **flags}), output)


@cli.command("edit-job-template")
@file_option
@cluster_option
@input_option
@template_id_option
@_with(*_FIELD_OPTIONS)
@output_option
@click.pass_context
def edit_job_template(ctx, req_file, cluster_id, cli_input_json, output, **flags):
    """EditJobTemplate: the given fields replace the template's; the others stay ("" clears one)."""
    _run(ctx, "edit_job_template", _build(req_file, cli_input_json, {"ClusterId": cluster_id, **flags}), output)


@cli.command("list-job-templates")
@cluster_option
@input_option
@click.option("--name", "Name", help="Only templates with exactly this name.")
@click.option("--page-number", "PageNumber", type=int)
@click.option("--page-size", "PageSize", type=int)
@output_option
@click.pass_context
def list_job_templates(ctx, cluster_id, cli_input_json, output, **flags):
    """ListJobTemplates: the account's job templates (--cluster-id is accepted and not needed)."""
    _run(ctx, "list_job_templates", _build(None, cli_input_json, {"ClusterId": cluster_id, **flags}), output)


@cli.command("delete-job-templates")
@cluster_option
@input_option
@click.option("--template-id", "template_ids", multiple=True, help="A template id (repeatable): Templates=[{Id: ...}].")
@output_option
@click.pass_context
def delete_job_templates(ctx, cluster_id, cli_input_json, template_ids, output):
    """DeleteJobTemplates: delete the listed templates (all of them or, when one is unknown, none)."""
    req = _build(None, cli_input_json, {"ClusterId": cluster_id})
    if template_ids:
        req["Templates"] = [{"Id": t} for t in template_ids]
    _run(ctx, "delete_job_templates", req, output)


@cli.command("submit-job-from-template")
@file_option
@cluster_option
@input_option
@template_id_option
@_with(*_FIELD_OPTIONS)
@click.option("--job-queue", "JobQueue")
@click.option("--password-stdin", is_flag=True, help="Read RunasUserPassword from standard input.")
@output_option
@click.pass_context
def submit_job_from_template(ctx, req_file, cluster_id, cli_input_json, password_stdin, output, **flags):
    """SubmitJob from a template: its fields are the defaults, the flags given override them; prints the JobId."""
    req = _build(req_file, cli_input_json, {"ClusterId": cluster_id, **flags}, need_cluster=True)
    if password_stdin:
        req["RunasUserPassword"] = sys.stdin.readline().rstrip("\n")
    _run(ctx, "submit_job_from_template", req, output)
