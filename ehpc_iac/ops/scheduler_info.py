"""Scheduler settings: GetSchedulerInfo, SetSchedulerInfo.

The settings SetSchedulerInfo may change belong to the cluster's scheduler back end
(``SchedulerBackend.settings_field``: ``SlurmInfo`` for Slurm, ``PbsInfo`` for PBS); the values
given are kept in the plan (``scheduler_settings``) and applied by the scheduler's roles on the
hosts that hold its configuration (``config_hosts``), with the back end's ``config_vars``. A
settings field of another scheduler, or a ``Scheduler.N.SchedName`` of another family, is refused
naming the field before anything changes; if the configuration run fails, the plan is put back.
"""
from __future__ import annotations

import json
from typing import Any, Mapping, Optional

from ..engines import Progress, no_progress
from ..errors import InvalidParams
from ..spec.scheduler_info import GetSchedulerInfoRequest, SetSchedulerInfoRequest
from .core import RUNNING, Area, new_request_id
from .state import ClusterRecord


class SchedulerInfoOps(Area):

    def _check_names(self, rec: ClusterRecord, names) -> None:
        backend = self.core.scheduler_backend(rec)
        for i, n in enumerate(names, start=1):
            if n.SchedName not in backend.sched_names:
                raise InvalidParams(f"Scheduler.{i}.SchedName", f"the cluster's scheduler is {backend.name} "
                                                                f"({', '.join(backend.sched_names)})")

    def _settings(self, rec: ClusterRecord) -> dict[str, Any]:
        return {**self.core.scheduler_backend(rec).default_settings(), **rec.plan.scheduler_settings}

    def get_scheduler_info(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(GetSchedulerInfoRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        self._check_names(rec, req.Scheduler)
        backend = self.core.scheduler_backend(rec)
        return {"RequestId": new_request_id(), "SchedInfo": [
            {"SchedName": backend.name, "Configuration": json.dumps(self._settings(rec), sort_keys=True)}]}

    def set_scheduler_info(self, params: Optional[Mapping[str, Any]] = None, /, *, progress: Progress = no_progress,
                           **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(SetSchedulerInfoRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        self._check_names(rec, req.Scheduler)
        backend = self.core.scheduler_backend(rec)
        given: dict[str, Any] = {}
        for field in ("SlurmInfo", "PbsInfo"):
            entries = getattr(req, field)
            if entries and field != backend.settings_field:
                raise InvalidParams(field, f"the cluster's scheduler is {backend.name}; "
                                           f"{backend.settings_field or 'no settings'} apply to it")
            for entry in entries:
                given.update(entry.model_dump(exclude_none=True, exclude_defaults=True))
        backend.check_settings(given)
        self.core._require_status(rec, "SetSchedulerInfo", (RUNNING,))
        lock, rec = self.core._begin(req.ClusterId, "SetSchedulerInfo", (RUNNING,))

        def body(step: Progress) -> None:
            new = rec.plan.replace(scheduler_settings={**rec.plan.scheduler_settings, **given})
            if new == rec.plan:
                step("the scheduler settings are unchanged")
                return
            self.core.apply_scheduler_plan(rec, new, f"applying {', '.join(sorted(given))}", step)

        task = self.core._operation(rec, "SetSchedulerInfo", body, progress=progress, async_=req.Async,
                                    on_error_status=None, lock=lock)
        return {"RequestId": task}


__all__ = ["SchedulerInfoOps"]
