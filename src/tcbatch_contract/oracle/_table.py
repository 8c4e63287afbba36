"""The rule table: every rule id the oracle judges, its code and its function.

One entry per catalogue rule (``contracts/catalogue.yaml``); a test holds the two against
each other. This table is the only place that ties a rule id to its code and its
function: a rule function yields :class:`Breach` values (where and why) and nothing else,
and ``evaluate`` adds the id and the code of the entry that ran it. Schema rules S1-S6
come out of the single walk of ``_request``, filed under their rule id; the functions here
only hand those breaches on, so that every rule has one entry of the same shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .. import codes
from . import _rules_actions as actions
from . import _rules_env as env
from . import _rules_job as job
from . import _rules_values as values
from ._model import Breach
from ._request import Request

RuleFunction = Callable[[Request], Iterable[Breach]]


@dataclass(frozen=True)
class OracleRule:
    id: str
    code: str
    check: RuleFunction
    actions: frozenset[str] = frozenset({"SubmitJob"})


def _schema(rule: str) -> RuleFunction:
    def check(req: Request) -> Iterable[Breach]:
        return req.schema.get(rule, ())

    check.__name__ = f"schema_{rule}"
    return check


ALL_ACTIONS = frozenset(
    {"SubmitJob", "DescribeJob", "DescribeJobSubmitInfo", "TerminateJob", "DeleteJob"}
)
JOB_ACTIONS = ALL_ACTIONS - {"SubmitJob"}

RULES: tuple[OracleRule, ...] = (
    OracleRule("S1", codes.MISSING_PARAMETER, _schema("S1"), ALL_ACTIONS),
    OracleRule("S2", codes.MISSING_PARAMETER, _schema("S2")),
    OracleRule("S3", codes.UNKNOWN_PARAMETER, _schema("S3"), ALL_ACTIONS),
    OracleRule("S4", codes.INVALID_PARAMETER, _schema("S4"), ALL_ACTIONS),
    OracleRule("S5", codes.NEGATIVE, _schema("S5")),
    OracleRule("S6", codes.INVALID_PARAMETER_VALUE, _schema("S6")),
    OracleRule("B1", codes.JOB_NAME_TOO_LONG, job.job_name_too_long),
    OracleRule("B2", codes.JOB_DESCRIPTION_TOO_LONG, job.job_description_too_long),
    OracleRule("B3", codes.TASK_NAME_TOO_LONG, job.task_name_too_long),
    OracleRule("B4", codes.TASK_NAME, job.task_name_invalid),
    OracleRule("B5", codes.DEPENDENCE_NOT_FOUND, job.dependence_not_found),
    OracleRule("B6", codes.DEPENDENCE_UNFEASIBLE, job.dependence_cycle),
    OracleRule("B7", codes.ALLOWED_ONE_ENV, env.env_id_xor_compute_env),
    OracleRule("B8", codes.ENV_ID_MALFORMED, env.env_id_malformed),
    OracleRule("B9", codes.RESOURCE_NOT_FOUND_COMPUTE_ENV, env.env_id_unknown),
    OracleRule("B10", codes.IMAGE_ID_MALFORMED, env.image_id_malformed),
    OracleRule("B11", codes.COMPUTE_ENV, env.compute_env_invalid),
    OracleRule("B12", codes.INVALID_COMBINATION, env.exclusive_members),
    OracleRule("B13", codes.MISSING_PARAMETER, env.application_incomplete),
    OracleRule("B14", codes.INSTANCE_TYPE_DUPLICATE, env.instance_type_duplicate),
    OracleRule("B15", codes.LIMIT_EXCEEDED_VALUE, env.instance_types_limit),
    OracleRule("B15", codes.LIMIT_EXCEEDED_VALUE, job.tags_limit),
    OracleRule("B16", codes.MAX_RETRY_COUNT, values.retry_count_too_large),
    OracleRule("B17", codes.INVALID_PARAMETER_VALUE, values.value_out_of_range),
    OracleRule("B18", codes.TASK_INSTANCE_NUM, values.task_instance_num_zero),
    OracleRule("B19", codes.REMOTE_STORAGE_SCHEME, values.remote_scheme),
    OracleRule("B20", codes.REMOTE_STORAGE_PATH, values.remote_path),
    OracleRule("B21", codes.LOCAL_PATH, values.local_path),
    OracleRule("B22", codes.NOT_FLOAT, env.max_price_not_decimal),
    OracleRule("B23", codes.NOTIFICATION_TOPIC_NAME_TOO_LONG, job.topic_name_too_long),
    OracleRule("B24", codes.NOTIFICATION_TOPIC_NAME, job.topic_name_invalid),
    OracleRule("B25", codes.NOTIFICATION_EVENT_NAME_DUPLICATE, job.event_name_duplicate),
    OracleRule("B26", codes.INVALID_ZONE_MISMATCH_REGION, env.zone_mismatch),
    OracleRule("B27", codes.CVM_PARAMETERS, env.cvm_parameters),
    OracleRule("B28", codes.UNSUPPORTED_CHARGE_TYPE, env.charge_type_unsupported),
    OracleRule("B29", codes.INVALID_PARAMETER_VALUE, job.client_token_invalid),
    OracleRule("B30", codes.JOB_QUOTA, job.job_quota),
    OracleRule("B31", codes.USER_NOT_ALLOWED, job.credential_denied),
    OracleRule("A1", codes.JOB_ID_MALFORMED, actions.job_id_malformed, JOB_ACTIONS),
    OracleRule("A2", codes.RESOURCE_NOT_FOUND_JOB, actions.job_not_found, JOB_ACTIONS),
)

#: Rule id -> code, one entry per id.
CODES: dict[str, str] = {rule.id: rule.code for rule in RULES}
