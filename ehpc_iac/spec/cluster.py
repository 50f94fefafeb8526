"""The CreateCluster request as a validated model, with the API's own parameter names.

Load with :func:`ehpc_iac.spec.load_cluster_spec` (YAML/JSON file, nested dict,
or flat ``EcsOrder.Compute.Count`` style parameters). Every bad value raises
InvalidParams naming the field.
"""
from __future__ import annotations

import re
from typing import Literal, Optional

from pydantic import (BaseModel, ConfigDict, Field, SecretStr, field_validator,
                      model_validator)

from ..errors import InvalidParams
from . import cloud_only
from .catalog import (ACCOUNT_TYPES_PLANNED, ACCOUNT_TYPES_SUPPORTED, APPLICATIONS,
                      DEFAULT_INSTANCE_TYPE, DEFAULT_OS_TAG, OS_TAGS,
                      check_instance_type,
                      SCHEDULERS_PLANNED, SCHEDULERS_SUPPORTED)
from .ldap import OpenldapPar as OpenldapParSpec

NAME_RE = re.compile(r"^[A-Za-z\u4e00-\u9fa5][A-Za-z0-9\u4e00-\u9fa5_.:-]{1,63}$")
QUEUE_RE = re.compile(r"^[a-z][a-z0-9_]{0,14}$")
DIR_RE = re.compile(r"^/[A-Za-z0-9_./-]*$")
DEPLOY_MODES = ("Standard", "Simple", "Tiny", "OneBox")
MAX_COMPUTE = 99


class Strict(BaseModel):
    """Every request model: unknown parameters are refused, except the cloud-only ones
    (spec/cloud_only.py), which are accepted and ignored unless the model declares them."""
    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _cloud_only(cls, data):
        return cloud_only.drop(data, cls.model_fields) if isinstance(data, dict) else data


class EcsOrderItem(Strict):
    Count: Optional[int] = None
    InstanceType: str = DEFAULT_INSTANCE_TYPE

    @field_validator("InstanceType")
    @classmethod
    def _known_type(cls, v: str) -> str:
        return check_instance_type(v)

    @field_validator("Count")
    @classmethod
    def _non_negative(cls, v):
        if v is not None and v < 0:
            raise ValueError("must be >= 0")
        return v


class EcsOrderSpec(Strict):
    Manager: EcsOrderItem = Field(default_factory=EcsOrderItem)
    Login: EcsOrderItem = Field(default_factory=EcsOrderItem)
    Compute: EcsOrderItem = Field(default_factory=EcsOrderItem)


class RoleName(Strict):
    Name: Literal["Scheduler", "Account", "Login", "Compute"]


class AdditionalVolume(Strict):
    VolumeType: Literal["nas"] = "nas"
    VolumeProtocol: Literal["nfs"] = "nfs"
    VolumeId: Optional[str] = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    VolumeMountpoint: Optional[str] = Field(default=None, max_length=255)
    VolumeMountOption: Optional[str] = Field(default=None, max_length=255)
    RemoteDirectory: str = "/"
    LocalDirectory: str
    Location: Optional[str] = None
    JobQueue: Optional[str] = None
    Roles: list[RoleName] = Field(default_factory=list)

    @field_validator("LocalDirectory", "RemoteDirectory")
    @classmethod
    def _abs(cls, v: str) -> str:
        if not DIR_RE.match(v) or ".." in v.split("/"):
            raise ValueError("must be an absolute path of letters, digits, '_', '.', '-' and '/'")
        return v


class ApplicationTag(Strict):
    Tag: str

    @field_validator("Tag")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in APPLICATIONS:
            raise ValueError(f"unknown application {v!r}; known: {', '.join(sorted(APPLICATIONS))}")
        return v


class AddOnSpec(Strict):
    """CreateCluster's AddOns.N (reference: software add-ons E-HPC deploys, e.g. a database)."""
    Name: Optional[str] = None
    Version: Optional[str] = None
    ConfigFile: Optional[str] = None
    DBType: Optional[str] = None
    DefaultStart: Optional[bool] = None
    DeployMode: Optional[str] = None
    Port: Optional[float] = None


class PostInstallScriptSpec(Strict):
    Url: str = Field(min_length=1, max_length=1024)
    Args: str = Field(default="", max_length=1024)

    @field_validator("Url")
    @classmethod
    def _scheme(cls, v: str) -> str:
        if not (v.startswith("/") or v.startswith("file://") or re.match(r"^https?://", v)):
            raise ValueError("must be an absolute path, a file:// URL or an http(s) URL")
        return v


def check_password(v: str) -> str:
    """E-HPC rule: 8-30 characters, at least three of upper, lower, digit, special."""
    if not 8 <= len(v) <= 30:
        raise ValueError("must be 8 to 30 characters long")
    kinds = [any(c.isupper() for c in v), any(c.islower() for c in v), any(c.isdigit() for c in v),
             any(c in "()`~!@#$%^&*-_+=|{}[]:;'<>,.?/" for c in v)]
    if sum(kinds) < 3:
        raise ValueError("must contain at least three of: upper case, lower case, digits, special characters")
    if any(ord(c) < 33 or ord(c) > 126 for c in v):
        raise ValueError("may only contain printable ASCII characters without spaces")
    return v


class ClusterSpec(Strict):
    """CreateCluster parameters. Field names are the API's."""

    RegionId: str = "local"
    Name: str
    Description: str = Field(default="", max_length=256)
    DeployMode: str = "Simple"
    HaEnable: bool = False
    SchedulerType: str = "slurm"
    AccountType: str = "nis"
    OsTag: str = DEFAULT_OS_TAG
    ImageId: Optional[str] = Field(default=None, max_length=255)
    ImageOwnerAlias: Optional[Literal["self", "system", "others", "marketplace"]] = None
    EcsOrder: EcsOrderSpec = Field(default_factory=EcsOrderSpec)
    VolumeType: Literal["nas"] = "nas"
    VolumeProtocol: Literal["nfs"] = "nfs"
    VolumeId: Optional[str] = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    VolumeMountpoint: Optional[str] = Field(default=None, max_length=255)
    VolumeMountOption: Optional[str] = Field(default=None, max_length=255)
    RemoteDirectory: str = "/"
    AdditionalVolumes: list[AdditionalVolume] = Field(default_factory=list, max_length=10)
    Application: list[ApplicationTag] = Field(default_factory=list, max_length=20)
    PostInstallScript: list[PostInstallScriptSpec] = Field(default_factory=list, max_length=16)
    AddOns: list[AddOnSpec] = Field(default_factory=list, max_length=10)
    Plugin: Optional[str] = None        # refused when set (see _refused)
    InputFileUrl: Optional[str] = None  # refused when set (see _refused)

    @field_validator("Plugin", "InputFileUrl")
    @classmethod
    def _refused(cls, v: Optional[str], info) -> Optional[str]:
        why = {"Plugin": "scheduler plugins are for SchedulerType custom, which is not available",
               "InputFileUrl": "CreateCluster fetches no input file; give InputFileUrl with SubmitJob"}
        if v:
            raise ValueError(why[info.field_name])
        return None
    JobQueue: str = "comp"
    Password: Optional[SecretStr] = None
    OpenldapPar: Optional[OpenldapParSpec] = None      # AccountType ldap: join this directory (spec/ldap.py)
    KeyPairName: Optional[str] = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9_.-]{1,127}$")
    ClientToken: Optional[str] = Field(default=None, max_length=64, pattern=r"^[\x21-\x7e]+$")

    @field_validator("Name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NAME_RE.match(v):
            raise ValueError("must be 2-64 characters, start with a letter and contain only letters, "
                             "digits, '_', '-', '.' and ':' (no spaces)")
        return v

    @field_validator("DeployMode")
    @classmethod
    def _mode(cls, v: str) -> str:
        # E-HPC documents "Advanced" as the HA flavour of Standard.
        if v == "Advanced":
            return "Standard"
        if v not in DEPLOY_MODES:
            raise ValueError(f"unknown deploy mode {v!r}; one of: {', '.join(DEPLOY_MODES)}")
        return v

    @field_validator("SchedulerType")
    @classmethod
    def _scheduler(cls, v: str) -> str:
        return _supported("scheduler", v, SCHEDULERS_SUPPORTED, SCHEDULERS_PLANNED)

    @field_validator("AccountType")
    @classmethod
    def _account(cls, v: str) -> str:
        return _supported("account type", v, ACCOUNT_TYPES_SUPPORTED, ACCOUNT_TYPES_PLANNED)

    @field_validator("OsTag")
    @classmethod
    def _os(cls, v: str) -> str:
        if v not in OS_TAGS:
            raise ValueError(f"unsupported OS tag {v!r}; supported: {', '.join(OS_TAGS)}")
        return v

    @field_validator("JobQueue")
    @classmethod
    def _queue(cls, v: str) -> str:
        if not QUEUE_RE.match(v):
            raise ValueError("must be 1-15 characters: a lower-case letter, then lower-case letters, digits or '_'")
        return v

    @field_validator("RemoteDirectory")
    @classmethod
    def _remote(cls, v: str) -> str:
        return AdditionalVolume._abs(v)

    @field_validator("Password")
    @classmethod
    def _password(cls, v: Optional[SecretStr]) -> Optional[SecretStr]:
        if v is not None:
            check_password(v.get_secret_value())
        return v

    @model_validator(mode="after")
    def _counts(self) -> "ClusterSpec":
        order = self.EcsOrder
        managers_needed = 2 if self.HaEnable else 1
        if order.Manager.Count is None:
            order.Manager.Count = managers_needed
        elif order.Manager.Count != managers_needed:
            raise _field_error("EcsOrder.Manager.Count",
                               f"must be {managers_needed} when HaEnable is {str(self.HaEnable).lower()}")
        login_on_manager = self.DeployMode in ("Tiny", "OneBox")
        if login_on_manager:
            if order.Login.Count not in (None, 0):
                raise _field_error("EcsOrder.Login.Count",
                                   f"must be 0 in DeployMode {self.DeployMode}: the manager is the login node")
            order.Login.Count = 0
        else:
            if order.Login.Count is None:
                order.Login.Count = 1
            if not 1 <= order.Login.Count <= 4:
                raise _field_error("EcsOrder.Login.Count", "must be between 1 and 4")
        min_compute = 0 if self.DeployMode == "OneBox" else 1
        if order.Compute.Count is None:
            order.Compute.Count = min_compute if self.DeployMode == "OneBox" else 1
        if not min_compute <= order.Compute.Count <= MAX_COMPUTE:
            raise _field_error("EcsOrder.Compute.Count", f"must be between {min_compute} and {MAX_COMPUTE}")
        if self.OpenldapPar is not None and self.AccountType != "ldap":
            raise _field_error("OpenldapPar", f"joins an LDAP directory: only with AccountType ldap, "
                                              f"not {self.AccountType}")
        if self.AddOns:
            raise _field_error("AddOns.1.Name", "E-HPC add-ons are not available; install software with "
                                                "Application or PostInstallScript")
        if self.Password is not None and self.KeyPairName:
            raise _field_error("KeyPairName", "give either Password or KeyPairName, not both")
        locals_ = [v.LocalDirectory for v in self.AdditionalVolumes]
        for i, d in enumerate(locals_):
            if d == "/home" or locals_.index(d) != i:
                raise _field_error(f"AdditionalVolumes.{i + 1}.LocalDirectory",
                                   f"{d} is already used by another volume")
        return self

    def public_dict(self) -> dict:
        """The spec without secrets, for state and responses."""
        return self.model_dump(mode="json", exclude={"Password": True, "OpenldapPar": {"BindPassword"}, "AddOns": True,
                                                     "Plugin": True, "InputFileUrl": True}, exclude_none=True)

    def account_secrets(self) -> dict[str, str]:
        """Secrets of the account service (kept encrypted by the caller), by name."""
        return self.OpenldapPar.secrets() if self.OpenldapPar else {}


def _supported(kind: str, v: str, supported: tuple[str, ...], planned: tuple[str, ...]) -> str:
    """Accept what is implemented; refuse what E-HPC knows but we do not have yet, clearly."""
    if v in supported:
        return v
    state = "is not supported yet" if v in planned else "is unknown"
    raise ValueError(f"{kind} {v!r} {state}; supported: {', '.join(supported)}")


def _field_error(field: str, reason: str) -> InvalidParams:
    # Cross-field checks name their field themselves: pydantic lets non-ValueError exceptions through.
    return InvalidParams(field, reason)
