"""E-HPC 2.0 job actions: CreateJob, GetJob, ListJobs, StopJobs.

CreateJob is the facade's own ``create_job`` (the 2.0 JobSpec shape, seed 001). Job states are
reported in the 2.0 words of a Slurm cluster (Pending, Running, Completed, Failed, Cancelled).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from ..errors import InvalidParams
from ..ops import ACTIVE_JOB_STATES, Ehpc
from .v2024_common import Args, Out, all_pages, compact, page, sliced

JOB_STATE = {"Queued": "Pending", "Running": "Running", "Finished": "Completed", "Failed": "Failed",
             "Stopped": "Cancelled", "Unknown": "Unknown"}
JOB_STATUS_FILTER = {"all": lambda s: True, "finished": lambda s: s not in ACTIVE_JOB_STATES,
                     "notfinish": lambda s: s in ACTIVE_JOB_STATES}
ORDER = ("asc", "desc")


def create_job(ehpc: Ehpc, params: dict[str, Any]) -> dict[str, Any]:
    a = Args.of(params)
    out = Out(ClusterId=a.take("ClusterId"), JobName=a.take("JobName"), JobSpec=a.obj("JobSpec").data or None)
    a.done()
    r = ehpc.create_job(out.params)
    return {"RequestId": r["RequestId"], "JobId": r["JobId"], "Success": "true"}


def _array(job_id: str, array_request: str) -> dict[str, str]:
    base, _, task = job_id.partition("_")
    if task:
        return {"ArrayJobId": base, "ArrayJobSubId": task}
    return {"ArrayJobId": base} if array_request else {}


def _resources(v: dict[str, Any]) -> dict[str, str]:
    return {k: str(n) for k, n in v["Resources"].items() if n}


def get_job(ehpc: Ehpc, params: dict[str, Any]) -> dict[str, Any]:
    a = Args.of(params)
    out = Out(ClusterId=a.take("ClusterId"), JobId=a.take("JobId"))
    a.done()
    v = ehpc.describe_job(out.params)["Message"]
    return {"Success": "true", "JobInfo": compact({
        "JobId": v["Id"], "JobName": v["Name"], "RunasUser": v["Owner"], "State": JOB_STATE.get(v["State"]),
        "JobQueue": v["JobQueue"], "NodeList": v["NodeList"], "Priority": str(v["Priority"]),
        "CreateTime": v["SubmitTime"], "StartTime": v["StartTime"], "LastModifyTime": v["LastModifyTime"],
        "OutputLog": v["Stdout"], "ErrorLog": v["Stderr"], "ArrayRequest": v["ArrayRequest"],
        "ExtraInfo": v["Comment"], "Resources": _resources(v), **_array(v["Id"], v["ArrayRequest"]),
    })}


def _epoch(value: Any, field: str) -> Optional[float]:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidParams(field, "must be a UNIX time in seconds") from None


def _submitted(v: dict[str, Any]) -> Optional[float]:
    try:
        t = datetime.fromisoformat(v["SubmitTime"])
    except ValueError:
        return None
    return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).timestamp()


def _job_filter(f: Args):
    """The JobFilter as a predicate over facade job views, and the sort (key, reverse)."""
    name, users, queues = f.take("JobName"), set(f.strings("Users")), set(f.strings("Queues"))
    nodes = set(f.strings("Nodes"))
    status = str(f.only("JobStatus", JOB_STATUS_FILTER, "must be all, finished or notfinish") or "all").lower()
    start, end = _epoch(f.take("CreateTimeStart"), f.field("CreateTimeStart")), \
        _epoch(f.take("CreateTimeEnd"), f.field("CreateTimeEnd"))
    f.only("Diagnosis", (), "job diagnosis is not available")
    sort = f.obj("SortBy")
    submit = sort.only("SubmitOrder", ORDER, "must be asc or desc")
    execute = sort.only("ExecuteOrder", ORDER, "must be asc or desc")
    sort.only("PendOrder", (), "sorting by waiting time is not available; use SubmitOrder or ExecuteOrder")
    sort.done()
    f.done()

    def keep(v: dict[str, Any]) -> bool:
        t = _submitted(v) if start is not None or end is not None else None
        return ((not name or name in v["Name"]) and (not users or v["Owner"] in users)
                and (not queues or v["JobQueue"] in queues) and JOB_STATUS_FILTER[status](v["State"])
                and (start is None or (t is not None and t >= start)) and (end is None or (t is not None and t <= end)))

    if execute and not submit:
        return keep, sorted(nodes), (lambda v: v["StartTime"]), execute.lower() == "desc"
    return keep, sorted(nodes), (lambda v: _job_number(v["Id"])), (submit or "desc").lower() == "desc"


def _job_number(job_id: str) -> tuple[int, int]:
    base, _, task = job_id.partition("_")
    return (int(base) if base.isdigit() else 0, int(task) if task.isdigit() else -1)


def _listed(v: dict[str, Any]) -> dict[str, Any]:
    return {"JobName": v["Name"], "JobSpec": compact({
        "Id": v["Id"], "RunasUser": v["Owner"], "State": JOB_STATE.get(v["State"]), "JobQueue": v["JobQueue"],
        "NodeList": v["NodeList"], "Priority": str(v["Priority"]), "SubmitTime": v["SubmitTime"],
        "StartTime": v["StartTime"], "LastModifyTime": v["LastModifyTime"], "StdoutPath": v["Stdout"],
        "StderrPath": v["Stderr"], "Comment": v["Comment"], "ArrayRequest": v["ArrayRequest"],
        "Resources": _resources(v), **_array(v["Id"], v["ArrayRequest"]),
    })}


def list_jobs(ehpc: Ehpc, params: dict[str, Any]) -> dict[str, Any]:
    a = Args.of(params)
    cid = a.take("ClusterId")
    keep, nodes, key, reverse = _job_filter(a.obj("JobFilter"))
    number, size = page(a, 50)
    a.done()
    views = all_pages(lambda n, s: ehpc.list_jobs({**Out(ClusterId=cid, PageNumber=n, PageSize=s).params,
                                                   **({"Nodes": nodes} if nodes else {})}),
                      ("Jobs", "JobInfo"))
    views = sorted((v for v in views if keep(v)), key=key, reverse=reverse)
    return {"Success": True, "TotalCount": len(views), "PageNumber": number, "PageSize": size,
            "Jobs": [_listed(v) for v in sliced(views, number, size)]}


def stop_jobs(ehpc: Ehpc, params: dict[str, Any]) -> dict[str, Any]:
    a = Args.of(params)
    out = Out(ClusterId=a.take("ClusterId"))
    out.ids("Jobs", a, "JobIds")
    a.done()
    with out.errors_named():
        r = ehpc.stop_jobs(out.params)
    return {"RequestId": r["RequestId"], "Success": "true"}


ACTIONS = {"CreateJob": create_job, "GetJob": get_job, "ListJobs": list_jobs, "StopJobs": stop_jobs}
