"""Request models of the cluster operations other than CreateCluster (API parameter names)."""
from __future__ import annotations

from typing import Optional

from pydantic import Field, field_validator

from .cluster import NAME_RE, Strict

CLUSTER_ID = r"^ehpc-[a-z]{2}-[A-Za-z0-9]{10}$"


class ClusterRequest(Strict):
    RegionId: Optional[str] = None
    ClusterId: str = Field(min_length=1, max_length=64)


class PagedRequest(Strict):
    RegionId: Optional[str] = None
    PageNumber: int = Field(default=1, ge=1, le=100000)
    PageSize: int = Field(default=10, ge=1, le=50)


class DescribeClusterRequest(ClusterRequest):
    pass


class StartClusterRequest(ClusterRequest):
    Async: bool = False


class StopClusterRequest(ClusterRequest):
    Async: bool = False


class DeleteClusterRequest(ClusterRequest):
    Async: bool = False
    ReleaseInstance: Optional[str] = Field(default=None, pattern=r"^(true|false|all|none)$")


class ListClustersRequest(PagedRequest):
    pass


class ListClustersMetaRequest(PagedRequest):
    pass


class ModifyClusterAttributesRequest(ClusterRequest):
    Name: Optional[str] = None
    Description: Optional[str] = Field(default=None, max_length=256)
    ImageId: Optional[str] = Field(default=None, max_length=255)
    ImageOwnerAlias: Optional[str] = Field(default=None, pattern=r"^(self|system|others|marketplace)$")
    WinAdPar: Optional[dict[str, Optional[str]]] = None

    @field_validator("WinAdPar")
    @classmethod
    def _win_ad(cls, v: Optional[dict]) -> Optional[dict]:
        if v and any(v.values()):
            raise ValueError("Windows Active Directory domains are not available: the cluster's accounts are its "
                             "own directory service (AccountType)")
        return None

    @field_validator("Name")
    @classmethod
    def _name(cls, v: Optional[str]) -> Optional[str]:
        if v is not None and not NAME_RE.match(v):
            raise ValueError("must be 2-64 characters, start with a letter and contain only letters, "
                             "digits, '_', '-', '.' and ':' (no spaces)")
        return v
