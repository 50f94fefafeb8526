"""Job template requests (CreateJobTemplate, EditJobTemplate, ListJobTemplates, DeleteJobTemplates)
and the submit-from-template request, with the API's parameter names.

A template holds SubmitJob's fields, so it is validated by SubmitJob's own model: ``JobTemplate``
subclasses ``SubmitJobRequest`` (spec/jobs.py) and inherits every field validator and the
cross-field checks; only what differs for a template is changed here:

- ``Name`` (the template's name, also the default job name) is required, with the job-name rule;
- ``RunasUser`` is optional (the submit request may give it);
- ``Queue`` is the reference's name of SubmitJob's ``JobQueue`` (either name is accepted);
- ``WithUnzipCmd`` (reference) says whether UnzipCmd is run; false drops it at submit;
- a template never holds a password (``RunasUserPassword``) nor ``Async``.
"""
from __future__ import annotations

import json
from typing import Any, Optional

from pydantic import Field, field_validator, model_validator

from .cluster import Strict
from .jobs import SubmitJobRequest, _json_list
from .requests import ClusterRequest

MAX_TEMPLATES_PER_DELETE = 100
# Fields a template never stores.
NOT_IN_TEMPLATE = ("RunasUserPassword", "Async")


class JobTemplate(SubmitJobRequest):
    """A template's fields: SubmitJob's rules, Name required, RunasUser optional; ClusterId optional
    (templates belong to the account; a ClusterId given is checked, for older scripts)."""
    ClusterId: Optional[str] = Field(default=None, min_length=1, max_length=64)  # type: ignore[assignment]
    Name: str = Field(min_length=1, max_length=64)            # type: ignore[assignment]
    RunasUser: Optional[str] = Field(default=None, min_length=1, max_length=32)  # type: ignore[assignment]
    WithUnzipCmd: Optional[bool] = None

    @model_validator(mode="before")
    @classmethod
    def _template_names(cls, data: Any) -> Any:
        from ..errors import InvalidParams
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for f in NOT_IN_TEMPLATE:
            if data.get(f) not in (None, False):
                raise InvalidParams(f, "a job template does not hold it; give it when submitting")
            data.pop(f, None)
        if "Queue" in data:
            q = data.pop("Queue")
            if data.get("JobQueue") not in (None, "", q):
                raise InvalidParams("Queue", "Queue and JobQueue name the same setting; give one of them")
            data["JobQueue"] = q
        if data.get("JobQueue") == "":
            data["JobQueue"] = None
        return data

    def stored_fields(self) -> dict[str, Any]:
        """The normalised values to store (API names, JSON-friendly, unset fields left out)."""
        return self.model_dump(mode="json", exclude_none=True,
                               exclude={"ClusterId", "RegionId", "Async", "RunasUserPassword"})


class CreateJobTemplateRequest(JobTemplate):
    pass


class AccountRequest(ClusterRequest):
    """A request about the account's templates: ClusterId is optional (older scripts send it)."""
    ClusterId: Optional[str] = Field(default=None, min_length=1, max_length=64)  # type: ignore[assignment]


class TemplateRequest(AccountRequest):
    """TemplateId (an id that matches no template is ObjectNotFound, not InvalidParams)."""
    TemplateId: str = Field(min_length=1, max_length=64)


class ListJobTemplatesRequest(AccountRequest):
    Name: Optional[str] = Field(default=None, max_length=64)
    PageNumber: int = Field(default=1, ge=1, le=100000)
    PageSize: int = Field(default=10, ge=1, le=50)


class TemplateRef(Strict):
    Id: str = Field(min_length=1, max_length=64)


class DeleteJobTemplatesRequest(AccountRequest):
    Templates: list[TemplateRef] = Field(min_length=1, max_length=MAX_TEMPLATES_PER_DELETE)

    @field_validator("Templates", mode="before")
    @classmethod
    def _templates(cls, v: Any) -> Any:
        return _json_list(v, '{"Id": ...} objects')


def template_view(template_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A stored template as ListJobTemplates shows it (reference: Templates.JobTemplates[])."""
    view: dict[str, Any] = {"Id": template_id, "Name": fields.get("Name")}
    for k, v in fields.items():
        if k == "JobQueue":
            view["Queue"] = v
        elif k == "Variables":
            view["Variables"] = json.dumps(v, ensure_ascii=False)
        else:
            view[k] = v
    view.setdefault("ReRunable", False)
    view.setdefault("Priority", 0)
    first = ("Id", "Name", "RunasUser", "CommandLine", "Queue", "Priority", "ReRunable")
    return {**{k: view[k] for k in first if k in view}, **{k: v for k, v in view.items() if k not in first}}


__all__ = ["JobTemplate", "CreateJobTemplateRequest", "TemplateRequest", "ListJobTemplatesRequest",
           "DeleteJobTemplatesRequest", "TemplateRef", "template_view"]
