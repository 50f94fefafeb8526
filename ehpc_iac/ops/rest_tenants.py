"""The REST job API's tenant map: where the job of a request runs (cluster, queue, user).

``ehpc-iac serve --tenants FILE`` reads it (YAML)::

    default:                      # requests without X-Tenant-Id; also the base of every tenant
      ClusterId: ehpc-lo-xxxx
      JobQueue: comp
      RunasUser: alice
    tenants:                      # X-Tenant-Id -> placement; keys a tenant leaves out come from default
      team-a:
        ClusterId: ehpc-lo-xxxx
        JobQueue: comp
        RunasUser: alice          # a NIS user of the cluster (AddUsers); never root
        Resources: {NPU: 8}       # entrypoint_resources its jobs may ask for (at most this much each)
        PipIndexUrl: https://pypi.example/simple   # runtime_env.pip installs from this index
        AccessKeyIds: [LTAI...]   # only these access keys may act as team-a (any key when absent)
    pool_labels:                  # X-Pool-Label -> JobQueue (and optionally ClusterId, Resources)
      gpu: {JobQueue: gpu, Resources: {GPU: 4}}

``AccessKeyIds`` is not inherited from ``default``: it limits requests without X-Tenant-Id only.
``pip_index_url`` is accepted as a spelling of ``PipIndexUrl``.

It lives in the operations layer, not beside the routes, because it decides: which access key
may act for a tenant (403 otherwise), and where a job runs and with what (cluster, queue,
run-as user, resource quotas, package index). The HTTP side only hands it the two headers.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from ..errors import ApiRequestError, InvalidParams
from ..spec import parse
from ..spec.users import USER_RE

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"       # tenant ids and pool labels
RESOURCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_./-]{0,63}$"
NAME_RE = re.compile(NAME_PATTERN)
URL_RE = re.compile(r"^(https?://|file:///)[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]{1,2040}$")
DEFAULT_TENANT = ""        # the tenant key of requests without X-Tenant-Id


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    ClusterId: Optional[str] = Field(default=None, min_length=1, max_length=64)
    JobQueue: Optional[str] = Field(default=None, min_length=1, max_length=64)
    Resources: dict[str, float] = Field(default_factory=dict)

    @field_validator("Resources")
    @classmethod
    def _resources(cls, v: dict[str, float]) -> dict[str, float]:
        for name, amount in v.items():
            if not re.match(RESOURCE_PATTERN, name):
                raise ValueError(f"resource name {name!r} must be 1-64 letters, digits or _ . / -")
            if not amount > 0 or amount == float("inf"):
                raise ValueError(f"the amount of {name} must be a positive number")
        return v


class Placement(_Entry):
    RunasUser: Optional[str] = None
    PipIndexUrl: Optional[str] = Field(default=None, validation_alias=AliasChoices("PipIndexUrl", "pip_index_url"))
    AccessKeyIds: Optional[list[str]] = None

    @field_validator("RunasUser")
    @classmethod
    def _user(cls, v: Optional[str]) -> Optional[str]:
        if v == "root":
            raise ValueError("jobs never run as root: give a cluster user (AddUsers)")
        if v is not None and not USER_RE.match(v):
            raise ValueError("must be the name of a cluster user (AddUsers)")
        return v

    @field_validator("PipIndexUrl")
    @classmethod
    def _index(cls, v: Optional[str]) -> Optional[str]:
        if v is not None and not URL_RE.match(v):
            raise ValueError("must be an http(s):// URL of a package index (PEP 503), or file:/// for an index "
                             "on the cluster's shared storage")
        return v


class Pool(_Entry):
    pass


class _MapFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default: Optional[Placement] = None
    tenants: dict[str, Placement] = Field(default_factory=dict)
    pool_labels: dict[str, Pool] = Field(default_factory=dict)

    @field_validator("tenants", "pool_labels")
    @classmethod
    def _names(cls, v: dict[str, Any]) -> dict[str, Any]:
        for name in v:
            if not NAME_RE.match(name):
                raise ValueError(f"{name!r} must be 1-64 letters, digits, _ or -, starting with a letter or digit")
        return v


@dataclass(frozen=True)
class Target:
    """Where one request's job runs."""
    tenant: str                 # DEFAULT_TENANT for requests without X-Tenant-Id
    cluster_id: str
    user: str
    queue: Optional[str] = None
    resources: dict[str, float] = field(default_factory=dict)
    pip_index_url: Optional[str] = None


class TenantMap:
    def __init__(self, data: _MapFile):
        self._m = data
        base = data.default.model_dump(exclude_unset=True, exclude={"AccessKeyIds"}) if data.default else {}
        for name, entry in data.tenants.items():
            merged = {**base, **entry.model_dump(exclude_unset=True)}
            for key in ("ClusterId", "RunasUser"):
                if not merged.get(key):
                    raise InvalidParams(f"tenants.{name}.{key}", "is required (here or under default)")

    @classmethod
    def empty(cls) -> "TenantMap":
        return cls(_MapFile())

    @classmethod
    def from_dict(cls, data: Any) -> "TenantMap":
        if data is None:
            return cls.empty()
        if not isinstance(data, dict):
            raise InvalidParams("tenants", "the tenant map must be a mapping with default, tenants, pool_labels")
        return cls(parse(_MapFile, data))

    @classmethod
    def load(cls, path: Path | str) -> "TenantMap":
        try:
            data = yaml.safe_load(Path(path).read_text())
        except OSError as exc:
            raise InvalidParams("--tenants", f"cannot read {path}: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise InvalidParams("--tenants", f"{path} is not valid YAML: {exc}") from None
        return cls.from_dict(data)

    # --- requests ---------------------------------------------------------------------
    def tenant(self, tenant_id: Optional[str], access_key_id: str) -> str:
        """The tenant key of a request (X-Tenant-Id), after checking the key may act as it."""
        if not tenant_id:
            entry = self._m.default
            key = DEFAULT_TENANT
        else:
            entry = self._m.tenants.get(tenant_id)
            if entry is None:
                raise InvalidParams("X-Tenant-Id", f"the tenant {tenant_id!r} is not in the server's tenant map")
            key = tenant_id
        allowed = entry.AccessKeyIds if entry is not None else None
        if allowed is not None and access_key_id not in allowed:
            who = f"the tenant {tenant_id!r}" if tenant_id else "requests without X-Tenant-Id"
            raise ApiRequestError(f"The access key {access_key_id} may not act for {who}.",
                                  code="Forbidden.Tenant", http_status=403, field="X-Tenant-Id")
        return key

    def resolve(self, tenant_id: Optional[str], pool_label: Optional[str], access_key_id: str) -> Target:
        """Cluster, queue, user and allowed resources of a new job."""
        key = self.tenant(tenant_id, access_key_id)
        merged: dict[str, Any] = {}
        if self._m.default is not None:
            merged.update(self._m.default.model_dump(exclude_unset=True))
        if key:
            merged.update(self._m.tenants[key].model_dump(exclude_unset=True))
        resources = dict(merged.get("Resources") or {})
        if pool_label:
            pool = self._m.pool_labels.get(pool_label)
            if pool is None:
                raise InvalidParams("X-Pool-Label", f"the pool label {pool_label!r} is not in the server's tenant map")
            merged.update(pool.model_dump(exclude_unset=True, exclude={"Resources"}))
            resources.update(pool.Resources)
        if not merged.get("ClusterId") or not merged.get("RunasUser"):
            raise ApiRequestError("The server's tenant map does not say where to run jobs of requests without "
                                  "X-Tenant-Id: give X-Tenant-Id, or add a default (ClusterId, JobQueue, RunasUser) "
                                  "to the tenant map.", code="TenantNotMapped", http_status=400,
                                  field="X-Tenant-Id")
        return Target(tenant=key, cluster_id=merged["ClusterId"], user=merged["RunasUser"],
                      queue=merged.get("JobQueue"), resources=resources, pip_index_url=merged.get("PipIndexUrl"))
