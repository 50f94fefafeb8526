"""One exception tree for the whole project.

Every error carries the E-HPC error code and HTTP status of the reference
(seed 004 error table, seed 000), a message, and a CLI exit code. Front ends
(CLI, HTTP) translate errors in exactly one place each, from these attributes.

    EhpcError
    +-- ClientError            bad input; exit code 2
    |   +-- InvalidParams      400
    |   +-- ImageNotSupported  403
    |   +-- InvalidOpt         403 (e.g. deleting the default queue)
    +-- NotFoundError          exit code 3
    |   +-- ClusterNotFound    404
    |   +-- ComputeNotFound    404 (an Instance.N.Id that is not in the cluster)
    |   +-- ImageNotFound      404
    |   +-- ObjectNotFound     404 (commands, queues ...)
    |   +-- UserNotExist       406 (AgentError.Account.UserNotExist)
    |   +-- ManagerNotFound    404: the manager (scheduler or job submission) node is gone or not running
    +-- StateError             exit code 4
    |   +-- ConflictOpt        403
    |   +-- InvalidClusterStatus 403
    |   +-- UsernameExist      403
    +-- ServerError            exit code 1
        +-- EngineUnavailable  503 (ServiceUnavailable): Docker, Pulumi CLI ... missing
        +-- EngineError        406 (EcsError): making machines failed
        +-- ConfigureError     406 (AgentError): Ansible failed
        +-- SchedulerError     406 (AgentError): scheduler command failed
        |   +-- AgentResponseTimeout 406: a node does not answer (SSH unreachable or timed out)
        +-- UnknownError       500
"""
from __future__ import annotations


class EhpcError(Exception):
    code = "UnknownError"
    http_status = 500
    exit_code = 1

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict:
        return {"Code": self.code, "Message": self.message}


class ClientError(EhpcError):
    exit_code = 2


class InvalidParams(ClientError):
    code = "InvalidParams"
    http_status = 400

    def __init__(self, field: str, reason: str):
        super().__init__(f"The specified parameter {field} is invalid: {reason}", field=field)
        self.reason = reason


class ImageNotSupported(ClientError):
    code = "ImageNotSupported"
    http_status = 403


class NotFoundError(EhpcError):
    exit_code = 3
    http_status = 404


class ClusterNotFound(NotFoundError):
    code = "ClusterNotFound"

    def __init__(self, cluster_id: str):
        super().__init__(f"The specified cluster {cluster_id} does not exist.", field="ClusterId")
        self.cluster_id = cluster_id


class ImageNotFound(NotFoundError):
    code = "ImageNotFound"


class ObjectNotFound(NotFoundError):
    code = "ObjectNotFound"


class StateError(EhpcError):
    exit_code = 4
    http_status = 403


class ConflictOpt(StateError):
    code = "ConflictOpt"

    def __init__(self, cluster_id: str, running: str | None = None):
        what = f" ({running})" if running else ""
        super().__init__(
            f"A conflicting operation is running on cluster {cluster_id}{what}. Please try again later.")


class InvalidClusterStatus(StateError):
    code = "InvalidClusterStatus"

    def __init__(self, cluster_id: str, status: str, operation: str, allowed: list[str]):
        super().__init__(
            f"The operation {operation} failed due to invalid cluster status: cluster {cluster_id} is "
            f"{status}; allowed: {', '.join(allowed)}.")


class ServerError(EhpcError):
    exit_code = 1


class EngineUnavailable(ServerError):
    code = "ServiceUnavailable"
    http_status = 503
    exit_code = 5


class EngineError(ServerError):
    code = "EcsError"
    http_status = 406


class ConfigureError(ServerError):
    code = "AgentError"
    http_status = 406


class SchedulerError(ServerError):
    code = "AgentError"
    http_status = 406


class ManagerNotFound(NotFoundError):
    """Seed 000: 404 ManagerNotFound, "The manager nodes do not exist or their status is abnormal." """
    code = "ManagerNotFound"

    def __init__(self, detail: str):
        super().__init__(f"The manager nodes do not exist or their status is abnormal: {detail}.")


class AgentResponseTimeout(SchedulerError):
    """Seed 000: 406 AgentResponseTimeout, "Agent response timeout: %s" (the node does not answer)."""
    code = "AgentResponseTimeout"

    def __init__(self, detail: str):
        super().__init__(f"Agent response timeout: {detail}")


class UnknownError(ServerError):
    code = "UnknownError"
    http_status = 500


class UsernameExist(StateError):
    code = "UsernameExist"

    def __init__(self, name: str, field: str = "User.N.Name"):
        super().__init__(f"The username {name} already exists.", field=field)


class UserNotExist(NotFoundError):
    """DeleteUsers, ModifyUserPasswords, ModifyUserGroups of a user the cluster does not have."""
    code = "AgentError.Account.UserNotExist"
    http_status = 406   # the reference lists every AgentError.* code with 406

    def __init__(self, name: str, field: str = "User.N.Name"):
        super().__init__(f"The user {name} does not exist ({field}).", field=field)


class InvalidOpt(ClientError):
    """An operation the object's current state does not allow (e.g. deleting the default queue)."""
    code = "InvalidOpt"
    http_status = 403

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message, field=field)


class ComputeNotFound(NotFoundError):
    code = "ComputeNotFound"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message, field=field)


class IncorrectCredential(StateError):
    """A RunasUserPassword that does not match the user's password."""
    code = "IncorrectCredential"


class JobPartFailure(StateError):
    """StopJobs, RerunJobs, DeleteJobs: some of the jobs failed (seed 000: 409 PartFailure)."""
    code = "PartFailure"
    http_status = 409

    def __init__(self, message: str, *, failed: list[str] | None = None, field: str | None = "Jobs"):
        super().__init__(message, field=field)
        self.failed = failed or []


class RerunFailure(ConfigureError):
    """RerunJobs of a job that cannot run again (e.g. finished): AgentError.Job.RerunFailure (406)."""
    code = "AgentError.Job.RerunFailure"
    http_status = 406

    def __init__(self, detail: str):
        super().__init__(f"Failed to run the job again: {detail}.", field="Jobs")


# --- DAG jobs (BatchCompute CreateJob, seed 002) -------------------------------------------
class DagParamError(ClientError):
    """A DAG job parameter that the seed's error table names: ``code`` is ``Invalid{Parameter}``
    (or ``Invalid{Parameter}.{key}`` / ``...{key}.value`` when a key is given), HTTP 400."""
    code = "InvalidParameter"
    http_status = 400

    def __init__(self, field: str, reason: str, *, suffix: str = ""):
        param = field.rsplit(".", 1)[-1] if not suffix else field
        super().__init__(f"Specified parameter {param} is not valid. {reason}", field=field)
        self.reason = reason
        if suffix:
            self.code = f"{type(self).code}.{suffix}"


class InvalidName(DagParamError):
    code = "InvalidName"


class InvalidDescription(DagParamError):
    code = "InvalidDescription"


class InvalidPriority(DagParamError):
    code = "InvalidPriority"


class InvalidType(DagParamError):
    code = "InvalidType"


class InvalidJobFailOnInstanceFail(DagParamError):
    code = "InvalidJobFailOnInstanceFail"


class InvalidClusterId(DagParamError):
    code = "InvalidClusterId"


class InvalidRunasUser(DagParamError):
    code = "InvalidRunasUser"


class InvalidDAG(DagParamError):
    code = "InvalidDAG"


class InvalidTasks(DagParamError):
    code = "InvalidTasks"


class InvalidDependencies(DagParamError):
    code = "InvalidDependencies"


class InvalidParameters(DagParamError):
    code = "InvalidParameters"


class InvalidCommand(DagParamError):
    code = "InvalidCommand"


class InvalidCommandLine(DagParamError):
    code = "InvalidCommandLine"


class InvalidEnvVars(DagParamError):
    code = "InvalidEnvVars"


class InvalidInstanceCount(DagParamError):
    code = "InvalidInstanceCount"


class InvalidMaxRetryCount(DagParamError):
    code = "InvalidMaxRetryCount"


class InvalidTimeout(DagParamError):
    code = "InvalidTimeout"


class InvalidStdoutRedirectPath(DagParamError):
    code = "InvalidStdoutRedirectPath"


class InvalidStderrRedirectPath(DagParamError):
    code = "InvalidStderrRedirectPath"


class InvalidHttpBody(DagParamError):
    code = "InvalidHttpBody"


class DagMissingParam(ClientError):
    """``Missing{Parameter}``: "{Parameter} is mandatory for this action." (400)."""
    code = "MissingParameter"
    http_status = 400

    def __init__(self, field: str):
        param = field.rsplit(".", 1)[-1]
        super().__init__(f"{param} is mandatory for this action.", field=field)
        self.code = f"Missing{param}"


class DagQuotaExhausted(ClientError):
    """``QuotaExhausted.{Quota}`` (403): MaxInstanceTimeout, MaxJobTaskCount, MaxTaskInstanceCount."""
    code = "QuotaExhausted"
    http_status = 403

    def __init__(self, quota: str, value: int, field: str):
        super().__init__(f"The {quota} ({value}) quota is exhausted.", field=field)
        self.code = f"QuotaExhausted.{quota}"


# --- the HTTP endpoint: authentication and protocol (Alibaba Cloud's gateway codes) ----------
class ApiRequestError(ClientError):
    """A request the HTTP endpoint refuses before any operation runs: signature, keys,
    replay, protocol. ``code`` and ``http_status`` are those of Alibaba Cloud's API gateway,
    which the official SDKs recognise."""
    code = "InvalidParameter"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None, http_status: int | None = None,
                 field: str | None = None):
        super().__init__(message, field=field)
        if code:
            self.code = code
        if http_status:
            self.http_status = http_status


class SignatureDoesNotMatch(ApiRequestError):
    """The SDK compares the text after the first ':' of the message with its own string to sign
    (aliyunsdkcore/client.py); the message therefore ends with the server's string to sign."""
    code = "SignatureDoesNotMatch"
    http_status = 400

    def __init__(self, string_to_sign: str):
        super().__init__("Specified signature is not matched with our calculation. "
                         f"server string to sign is:{string_to_sign}", field="Signature")
        self.string_to_sign = string_to_sign


class AccessKeyNotFound(ApiRequestError):
    code = "InvalidAccessKeyId.NotFound"
    http_status = 404

    def __init__(self):
        super().__init__("Specified access key is not found.", field="AccessKeyId")


class AccessKeyInactive(ApiRequestError):
    code = "InvalidAccessKeyId.Inactive"
    http_status = 403

    def __init__(self):
        super().__init__("Specified access key is disabled.", field="AccessKeyId")


class SignatureNonceUsed(ApiRequestError):
    code = "SignatureNonceUsed"
    http_status = 400

    def __init__(self):
        super().__init__("Specified signature nonce was used already.", field="SignatureNonce")


class TimestampExpired(ApiRequestError):
    code = "InvalidTimeStamp.Expired"
    http_status = 400

    def __init__(self, field: str, value: str):
        super().__init__(f"Specified time stamp or date value is expired: {field}={value} is more than "
                         "15 minutes away from the server's time.", field=field)


class UnsupportedAction(ApiRequestError):
    """An E-HPC action ehpc-iac does not implement, or a name that is no action at all."""
    code = "InvalidAction.NotFound"
    http_status = 404

    def __init__(self, action: str, version: str, known: bool):
        what = (f"The E-HPC {version} action {action} is not implemented by ehpc-iac."
                if known else f"Specified api {action} is not found for version {version}.")
        super().__init__(what, field="Action")
        if known:
            self.code = "UnsupportedOperation"
            self.http_status = 400
