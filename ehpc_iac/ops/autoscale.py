"""Auto scaling settings: SetAutoScaleConfig, GetAutoScaleConfig, DescribeAutoScaleConfig.

SetAutoScaleConfig validates (InvalidParams naming the field: ranges, queue names of the
cluster, ExcludeNodes of the cluster, the cluster's image) and stores the settings; the scaler
(``ops/scaler.py``, run by ``ehpc-iac serve`` or ``ehpc-iac autoscale``) acts on them. A field
left out keeps its stored value (the reference's default the first time); ``Queues``, when
given, replaces the stored queue entries. Nothing runs on the nodes, so no cluster lock is
taken and any status but ``releasing`` accepts it.

Engines that cannot make machines (``hosts``: the admin's existing machines) refuse enabling
auto scaling with ``InvalidOpt`` naming the field: there is nothing to grow into.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from ..errors import InvalidClusterStatus, InvalidOpt, InvalidParams
from ..spec import parse
from ..spec.autoscale import (KEPT_GLOBAL, KEPT_QUEUE, DescribeAutoScaleConfigRequest, GetAutoScaleConfigRequest,
                              SetAutoScaleConfigRequest)
from .autoscale_state import AutoScaleStore
from .core import RELEASING, Area, new_request_id
from .state import ClusterRecord

DEFAULTS: dict[str, Any] = {k: f.default for k, f in SetAutoScaleConfigRequest.model_fields.items() if k in KEPT_GLOBAL}


def stored_defaults() -> dict[str, Any]:
    return {**DEFAULTS, "Queues": []}


class AutoScaleOps(Area):

    @property
    def store(self) -> AutoScaleStore:
        return AutoScaleStore(self.core.state)

    def settings(self, cluster_id: str) -> dict[str, Any]:
        """The stored settings of a cluster (the defaults when none were set)."""
        return self.store.config(cluster_id) or stored_defaults()

    # --- SetAutoScaleConfig ----------------------------------------------------------------
    def set_auto_scale_config(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(SetAutoScaleConfigRequest, params, kwargs)
        rec = self.core._cluster(req.ClusterId)
        if rec.status == RELEASING:
            raise InvalidClusterStatus(rec.id, rec.status, "SetAutoScaleConfig", ["any but releasing"])
        given = req.model_dump(exclude_unset=True)
        merged = {**self.settings(rec.id), **{k: v for k, v in given.items() if k in KEPT_GLOBAL}}
        if "Queues" in given:
            merged["Queues"] = [{**{k: v for k, v in q.model_dump().items() if k in KEPT_QUEUE},
                                 "InstanceType": q.instance_type} for q in req.Queues]
        full = parse(SetAutoScaleConfigRequest, {"ClusterId": rec.id, **merged})
        self._check_cluster(rec, req, full)
        self.store.save_config(rec.id, merged)
        on = [q["QueueName"] for q in merged["Queues"] if q.get("EnableAutoGrow") or q.get("EnableAutoShrink")]
        summary = (f"auto scaling: grow {'on' if full.EnableAutoGrow else 'off'}, shrink "
                   f"{'on' if full.EnableAutoShrink else 'off'}")
        if on:
            summary += f"; queues with their own: {', '.join(on)}"
        self.core.state.add_log(rec.id, new_request_id(), "SetAutoScaleConfig", "info", summary)
        return {"RequestId": new_request_id()}

    def _check_cluster(self, rec: ClusterRecord, req: SetAutoScaleConfigRequest,
                       full: SetAutoScaleConfigRequest) -> None:
        queues = {q.name for q in rec.plan.queues}
        for i, q in enumerate(full.Queues, start=1):
            if q.QueueName not in queues:
                raise InvalidParams(f"Queues.{i}.QueueName", f"no queue {q.QueueName!r} in the cluster; queues: "
                                                            f"{', '.join(sorted(queues))}")
        image = rec.plan.image_id or ""
        if req.ImageId and req.ImageId != image:
            raise InvalidParams("ImageId", "the nodes of a cluster share its image; leave ImageId empty")
        for i, q in enumerate(req.Queues, start=1):
            if q.QueueImageId and q.QueueImageId != image:
                raise InvalidParams(f"Queues.{i}.QueueImageId",
                                    "the nodes of a cluster share its image; leave it empty")
        known = {n.hostname for n in rec.plan.nodes} | {n.instance_id for n in rec.plan.nodes}
        unknown = [x for x in req.exclude_nodes if x not in known]
        if unknown:
            raise InvalidParams("ExcludeNodes", f"not nodes of the cluster: {', '.join(unknown)} (give instance ids "
                                                "or host names, comma separated)")
        enabled = [("EnableAutoGrow", full.EnableAutoGrow), ("EnableAutoShrink", full.EnableAutoShrink)]
        enabled += [(f"Queues.{i}.{k}", getattr(q, k)) for i, q in enumerate(full.Queues, start=1)
                    for k in ("EnableAutoGrow", "EnableAutoShrink")]
        field = next((f for f, on in enabled if on), None)
        if field and getattr(self.core.engine(rec.engine), "makes_machines", True) is False:
            raise InvalidOpt(f"auto scaling ({field}) is not possible with the {rec.engine} engine: it attaches "
                             "existing machines and cannot make new ones; add and remove hosts with AddNodes and "
                             "DeleteNodes", field=field)

    # --- GetAutoScaleConfig / DescribeAutoScaleConfig --------------------------------------------
    def _view(self, rec: ClusterRecord) -> dict[str, Any]:
        cfg = self.settings(rec.id)
        queues = [{"QueueName": q["QueueName"], "InstanceType": q.get("InstanceType") or "",
                   "InstanceTypes": {"InstanceTypeInfo": [{"InstanceType": q["InstanceType"], "SpotStrategy": "NoSpot",
                                                           "SpotPriceLimit": 0}] if q.get("InstanceType") else []},
                   "EnableAutoGrow": cfg["EnableAutoGrow"] if q.get("EnableAutoGrow") is None else q["EnableAutoGrow"],
                   "EnableAutoShrink": (cfg["EnableAutoShrink"] if q.get("EnableAutoShrink") is None
                                        else q["EnableAutoShrink"]),
                   "MinNodesInQueue": q.get("MinNodesInQueue", 0),
                   "MaxNodesInQueue": cfg["MaxNodesInCluster"] if q.get("MaxNodesInQueue") is None
                   else q["MaxNodesInQueue"],
                   "MaxNodesPerCycle": q.get("MaxNodesPerCycle", 0), "MinNodesPerCycle": q.get("MinNodesPerCycle", 1),
                   "HostNamePrefix": q.get("HostNamePrefix") or "", "HostNameSuffix": q.get("HostNameSuffix") or "",
                   "QueueImageId": rec.plan.image_id or "", "SpotStrategy": "NoSpot", "SpotPriceLimit": 0,
                   "ResourceGroupId": "", "SystemDiskCategory": "", "SystemDiskSize": 0, "SystemDiskLevel": "",
                   "DataDisks": {"DataDisksInfo": []}}
                  for q in cfg["Queues"]]
        return {"RequestId": new_request_id(), "ClusterId": rec.id, "ClusterType": rec.plan.scheduler_type,
                "Uid": "local", "EnableAutoGrow": cfg["EnableAutoGrow"], "EnableAutoShrink": cfg["EnableAutoShrink"],
                "GrowIntervalInMinutes": cfg["GrowIntervalInMinutes"],
                "ShrinkIntervalInMinutes": cfg["ShrinkIntervalInMinutes"], "ShrinkIdleTimes": cfg["ShrinkIdleTimes"],
                "GrowTimeoutInMinutes": cfg["GrowTimeoutInMinutes"], "ExtraNodesGrowRatio": cfg["ExtraNodesGrowRatio"],
                "GrowRatio": cfg["GrowRatio"], "MaxNodesInCluster": cfg["MaxNodesInCluster"],
                "ExcludeNodes": cfg["ExcludeNodes"], "ImageId": rec.plan.image_id or "", "SpotStrategy": "NoSpot",
                "SpotPriceLimit": 0, "Queues": {"QueueInfo": queues},
                # extensions (not E-HPC)
                "GrowIntervalInSeconds": cfg.get("GrowIntervalInSeconds"),
                "ShrinkIntervalInSeconds": cfg.get("ShrinkIntervalInSeconds"),
                "GrowTimeoutInSeconds": cfg.get("GrowTimeoutInSeconds"),
                "ShrinkManualNodes": bool(cfg.get("ShrinkManualNodes"))}

    def get_auto_scale_config(self, params: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> dict[str, Any]:
        req = self.core._request(GetAutoScaleConfigRequest, params, kwargs)
        return self._view(self.core._cluster(req.ClusterId))

    def describe_auto_scale_config(self, params: Optional[Mapping[str, Any]] = None, /,
                                   **kwargs: Any) -> dict[str, Any]:
        """The same settings (DescribeAutoScaleConfig is the reference's later name for the read)."""
        req = self.core._request(DescribeAutoScaleConfigRequest, params, kwargs)
        return self._view(self.core._cluster(req.ClusterId))


__all__ = ["AutoScaleOps", "DEFAULTS", "stored_defaults"]
