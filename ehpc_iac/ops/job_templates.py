"""Job template operations: CreateJobTemplate, EditJobTemplate, ListJobTemplates, DeleteJobTemplates,
and ``submit_job_from_template``.

Templates belong to the account, as in E-HPC's reference (its template actions have no
ClusterId), and live in the state database (ops/job_templates_state.py). A template is validated
by SubmitJob's own request model (spec/job_templates.py subclasses it). A ClusterId that an older
script sends is accepted: the cluster must exist, and the checks that need a cluster are run
against it (RunasUser a cluster user and not root, Queue one of its queues, paths inside the
user's home or /tmp); the template still belongs to the account. Without a ClusterId those
checks run when a job is submitted from the template. Nothing is stored when a check fails.

E-HPC's SubmitJob has no TemplateId parameter (its console fills the submit form from a
template), so submitting from a template is its own operation, ``submit_job_from_template``
(CLI ``submit-job-from-template``): ClusterId (the cluster the job runs on), TemplateId, and any
SubmitJob parameter. The template's fields are the defaults, the request's fields override
them, and the result goes through ``submit_job`` unchanged (same validation, same cluster
checks, same record).
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from ..errors import InvalidParams, ObjectNotFound
from ..spec import parse
from ..spec.job_templates import (CreateJobTemplateRequest, DeleteJobTemplatesRequest, JobTemplate,
                                  ListJobTemplatesRequest, TemplateRequest, template_view)
from ..spec.params import unflatten
from .core import new_request_id
from .job_templates_state import JobTemplateStore
from .jobs import JobOps
from .state import ClusterRecord

_ID_KEYS = ("ClusterId", "TemplateId", "RegionId")


def _raw(params: Optional[Mapping[str, Any]], kwargs: dict[str, Any]) -> dict[str, Any]:
    data = dict(params or {})
    data.update(kwargs)
    data.pop("Action", None)
    data.pop("Version", None)
    return unflatten(data)


class JobTemplateOps(JobOps):

    @property
    def job_templates(self) -> JobTemplateStore:
        if getattr(self, "_job_templates", None) is None or self._job_templates.state is not self.core.state:
            self._job_templates = JobTemplateStore(self.core.state)
        return self._job_templates

    # --- helpers ------------------------------------------------------------------
    def _template(self, template_id: str) -> dict[str, Any]:
        row = self.job_templates.get(template_id)
        if row is None:
            raise ObjectNotFound(f"The job template {template_id} does not exist (TemplateId).", field="TemplateId")
        return row

    def _cluster_of(self, cluster_id: Optional[str]) -> Optional[ClusterRecord]:
        """The cluster an older script names (it must exist), or None."""
        return self.core._cluster(cluster_id) if cluster_id else None

    def _log(self, rec: Optional[ClusterRecord], action: str, message: str) -> None:
        if rec is not None:
            self.core.state.add_log(rec.id, new_request_id(), action, "info", message)

    def _check_template(self, rec: Optional[ClusterRecord], t: JobTemplate) -> None:
        """SubmitJob's cluster checks, for the fields the template has, when a cluster is named."""
        if rec is None:
            return
        self._check_queue(rec, t.JobQueue, "Queue")
        if not t.RunasUser:
            return
        self._check_runas(rec, t.RunasUser, None, "RunasUser")
        for f in ("StdoutRedirectPath", "StderrRedirectPath", "PackagePath"):
            self._user_path(t.RunasUser, getattr(t, f), f)
        if t.InputFileUrl and not t.InputFileUrl.startswith(("http://", "https://")):
            self._user_path(t.RunasUser, t.InputFileUrl, "InputFileUrl")

    def _ids(self, raw: dict[str, Any]) -> TemplateRequest:
        return parse(TemplateRequest, {k: raw[k] for k in _ID_KEYS if k in raw})

    # --- CreateJobTemplate ----------------------------------------------------------
    def create_job_template(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(CreateJobTemplateRequest, params, kwargs)
        rec = self._cluster_of(req.ClusterId)
        self._check_template(rec, req)
        tid = self.job_templates.add(req.stored_fields())
        self._log(rec, "CreateJobTemplate", f"job template {tid} ({req.Name}) created")
        return {"RequestId": new_request_id(), "TemplateId": tid}

    # --- EditJobTemplate --------------------------------------------------------------
    def edit_job_template(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        """The given fields replace the template's; absent fields keep their value; a field given as
        null or "" is cleared. The result is validated as a whole, like CreateJobTemplate."""
        raw = _raw(params, kwargs)
        ids = self._ids(raw)
        rec = self._cluster_of(ids.ClusterId)
        row = self._template(ids.TemplateId)
        changes = {k: v for k, v in raw.items() if k not in _ID_KEYS}
        merged = dict(row["fields"])
        if "Queue" in changes:
            merged.pop("JobQueue", None)
        for k, v in changes.items():
            if v is None or v == "":
                merged.pop("JobQueue" if k == "Queue" else k, None)
            else:
                merged[k] = v
        req = parse(CreateJobTemplateRequest, merged)
        self._check_template(rec, req)
        self.job_templates.replace(ids.TemplateId, req.stored_fields())
        self._log(rec, "EditJobTemplate", f"job template {ids.TemplateId} ({req.Name}) edited")
        return {"RequestId": new_request_id(), "TemplateId": ids.TemplateId}

    # --- ListJobTemplates ---------------------------------------------------------------
    def list_job_templates(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        """The account's templates, oldest first; ``Name`` keeps those with exactly that name."""
        req = self.core._request(ListJobTemplatesRequest, params, kwargs)
        self._cluster_of(req.ClusterId)
        rows = self.job_templates.all(req.Name or None)
        start = (req.PageNumber - 1) * req.PageSize
        views = [template_view(r["id"], r["fields"]) for r in rows[start:start + req.PageSize]]
        return {"RequestId": new_request_id(), "TotalCount": len(rows), "PageNumber": req.PageNumber,
                "PageSize": req.PageSize, "Templates": {"JobTemplates": views}}

    # --- DeleteJobTemplates ---------------------------------------------------------------
    def delete_job_templates(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        """All the listed templates or none: an unknown id is ObjectNotFound naming Templates.N.Id."""
        req = self.core._request(DeleteJobTemplatesRequest, params, kwargs)
        rec = self._cluster_of(req.ClusterId)
        ids = [t.Id for t in req.Templates]
        for i, tid in enumerate(ids, start=1):
            if tid in ids[:i - 1]:
                raise InvalidParams(f"Templates.{i}.Id", f"the template {tid} is listed more than once")
        missing = self.job_templates.delete(ids)
        if missing:
            i = ids.index(missing[0]) + 1
            raise ObjectNotFound(f"The job template {missing[0]} does not exist (Templates.{i}.Id); nothing was "
                                 "deleted.", field=f"Templates.{i}.Id")
        self._log(rec, "DeleteJobTemplates", f"job templates deleted: {', '.join(ids)}")
        return {"RequestId": new_request_id()}

    # --- submitting from a template ---------------------------------------------------------
    def submit_job_from_template(self, params: Optional[Mapping[str, Any]] = None, /,
                                 **kwargs: Any) -> dict[str, Any]:
        """SubmitJob with the template's fields as defaults: ClusterId, TemplateId and any SubmitJob
        parameter (``Queue`` is accepted for JobQueue, ``WithUnzipCmd`` as in the template);
        parameters given as null are ignored. Returns SubmitJob's response (JobId)."""
        raw = _raw(params, kwargs)
        ids = self._ids(raw)
        if not ids.ClusterId:
            raise InvalidParams("ClusterId", "this parameter is required: the cluster the job runs on")
        rec = self.core._cluster(ids.ClusterId)
        row = self._template(ids.TemplateId)
        overrides = {k: v for k, v in raw.items() if k not in _ID_KEYS and v is not None}
        if "Queue" in overrides:
            q = overrides.pop("Queue")
            if overrides.get("JobQueue") not in (None, q):
                raise InvalidParams("Queue", "Queue and JobQueue name the same setting; give one of them")
            overrides["JobQueue"] = q
        merged = {**row["fields"], **overrides}
        with_unzip = merged.pop("WithUnzipCmd", None)
        if with_unzip is not None and not isinstance(with_unzip, bool):
            with_unzip = parse(JobTemplate, {"Name": "x", "CommandLine": "x",
                                             "WithUnzipCmd": with_unzip}).WithUnzipCmd
        if with_unzip is False:
            merged.pop("UnzipCmd", None)
        merged["ClusterId"] = rec.id
        if "RegionId" in raw:
            merged["RegionId"] = raw["RegionId"]
        return self.core.submit_job(merged)


__all__ = ["JobTemplateOps"]
