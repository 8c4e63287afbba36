"""Every error code the contract names, as constants.

Code that produces or expects an error names it through this module, so that a typo is an
import error rather than a silently different code.
"""

from __future__ import annotations

# Common codes (API 3.0)
AUTH_INVALID_AUTHORIZATION = "AuthFailure.InvalidAuthorization"
AUTH_SECRET_ID_NOT_FOUND = "AuthFailure.SecretIdNotFound"
AUTH_SIGNATURE_EXPIRE = "AuthFailure.SignatureExpire"
AUTH_SIGNATURE_FAILURE = "AuthFailure.SignatureFailure"
INTERNAL_ERROR = "InternalError"
INVALID_ACTION = "InvalidAction"
INVALID_PARAMETER = "InvalidParameter"
INVALID_PARAMETER_VALUE = "InvalidParameterValue"
MISSING_PARAMETER = "MissingParameter"
NO_SUCH_VERSION = "NoSuchVersion"
REQUEST_LIMIT_EXCEEDED = "RequestLimitExceeded"
REQUEST_SIZE_LIMIT_EXCEEDED = "RequestSizeLimitExceeded"
UNKNOWN_PARAMETER = "UnknownParameter"
UNSUPPORTED_PROTOCOL = "UnsupportedProtocol"
UNSUPPORTED_REGION = "UnsupportedRegion"

# SubmitJob business codes
ALLOWED_ONE_ENV = "AllowedOneAttributeInEnvIdAndComputeEnv"
INTERNAL_ERROR_CALL_CVM = "InternalError.CallCvm"
INTERNAL_ERROR_CALL_TAG_API = "InternalError.CallTagAPI"
CVM_PARAMETERS = "InvalidParameter.CvmParameters"
ENV_ID_MALFORMED = "InvalidParameter.EnvIdMalformed"
IMAGE_ID_MALFORMED = "InvalidParameter.ImageIdMalformed"
INVALID_COMBINATION = "InvalidParameter.InvalidParameterCombination"
JOB_DESCRIPTION_TOO_LONG = "InvalidParameter.JobDescriptionTooLong"
JOB_NAME_TOO_LONG = "InvalidParameter.JobNameTooLong"
NOTIFICATION_EVENT_NAME_DUPLICATE = "InvalidParameter.NotificationEventNameDuplicate"
NOTIFICATION_TOPIC_NAME = "InvalidParameter.NotificationTopicName"
NOTIFICATION_TOPIC_NAME_TOO_LONG = "InvalidParameter.NotificationTopicNameTooLong"
TASK_NAME = "InvalidParameter.TaskName"
TASK_NAME_TOO_LONG = "InvalidParameter.TaskNameTooLong"
COMPUTE_ENV = "InvalidParameterValue.ComputeEnv"
DEPENDENCE_NOT_FOUND = "InvalidParameterValue.DependenceNotFoundTaskName"
DEPENDENCE_UNFEASIBLE = "InvalidParameterValue.DependenceUnfeasible"
INSTANCE_TYPE_DUPLICATE = "InvalidParameterValue.InstanceTypeDuplicate"
INVALID_DATA_TYPE_ANY = "InvalidParameterValue.InvalidDataTypeAny"
INVALID_ZONE_MISMATCH_REGION_VALUE = "InvalidParameterValue.InvalidZoneMismatchRegion"
LIMIT_EXCEEDED_VALUE = "InvalidParameterValue.LimitExceeded"
LOCAL_PATH = "InvalidParameterValue.LocalPath"
MAX_RETRY_COUNT = "InvalidParameterValue.MaxRetryCount"
NEGATIVE = "InvalidParameterValue.Negative"
NOT_FLOAT = "InvalidParameterValue.NotFloat"
REMOTE_STORAGE_PATH = "InvalidParameterValue.RemoteStoragePath"
REMOTE_STORAGE_SCHEME = "InvalidParameterValue.RemoteStorageSchemeType"
UNAVAILABLE_ZONE = "InvalidParameterValue.UnavailableZone"
TASK_INSTANCE_NUM = "InvalidParameterValue.TaskInstanceNum"
UNSUPPORTED_CHARGE_TYPE = "InvalidParameterValue.UnsupportedBatchInstanceChargeType"
INVALID_ZONE_MISMATCH_REGION = "InvalidZone.MismatchRegion"
JOB_QUOTA = "LimitExceeded.JobQuota"
RESOURCE_NOT_FOUND_COMPUTE_ENV = "ResourceNotFound.ComputeEnv"
USER_NOT_ALLOWED = "UnauthorizedOperation.UserNotAllowedToUseBatch"

# The other actions
JOB_ID_MALFORMED = "InvalidParameter.JobIdMalformed"
RESOURCE_NOT_FOUND_JOB = "ResourceNotFound.Job"

#: Codes that no input may ever produce (outside an emulator's fault-injection mode).
NEVER_EXPECTED = frozenset({INTERNAL_ERROR, INTERNAL_ERROR_CALL_CVM, INTERNAL_ERROR_CALL_TAG_API})

#: The public error list of SubmitJob (the reference page, section 6).
SUBMITJOB_DOCUMENTED = frozenset({
    ALLOWED_ONE_ENV, INTERNAL_ERROR, INTERNAL_ERROR_CALL_CVM, INTERNAL_ERROR_CALL_TAG_API,
    CVM_PARAMETERS, ENV_ID_MALFORMED, IMAGE_ID_MALFORMED, INVALID_COMBINATION,
    JOB_DESCRIPTION_TOO_LONG, JOB_NAME_TOO_LONG, NOTIFICATION_EVENT_NAME_DUPLICATE,
    NOTIFICATION_TOPIC_NAME, NOTIFICATION_TOPIC_NAME_TOO_LONG, TASK_NAME, TASK_NAME_TOO_LONG,
    COMPUTE_ENV, DEPENDENCE_NOT_FOUND, DEPENDENCE_UNFEASIBLE, INSTANCE_TYPE_DUPLICATE,
    LIMIT_EXCEEDED_VALUE, LOCAL_PATH, MAX_RETRY_COUNT, NEGATIVE, NOT_FLOAT,
    REMOTE_STORAGE_PATH, REMOTE_STORAGE_SCHEME, INVALID_ZONE_MISMATCH_REGION, JOB_QUOTA,
    RESOURCE_NOT_FOUND_COMPUTE_ENV, USER_NOT_ALLOWED,
})  # fmt: skip

#: Codes that are back-pressure, not a verdict: a client waits and sends again.
BACK_PRESSURE = frozenset({
    REQUEST_LIMIT_EXCEEDED,
    "RequestLimitExceeded.UinLimitExceeded",
    "RequestLimitExceeded.GlobalRegionUinLimitExceeded",
    "RequestLimitExceeded.IPLimitExceeded",
})  # fmt: skip
