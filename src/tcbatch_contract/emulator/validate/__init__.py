"""The emulator's own reading of the schema and business rules, one function per rule.

Written from the contract, never from the oracle: when the harness runs against the
emulator, a disagreement is a real difference between two independent readings.

``CHECKS`` maps a rule id to its check; ``ORDER`` says which rules apply to an action and
in which order. The app copies ``CHECKS`` when it is built and looks each rule up there at
request time, so one entry can be swapped (a seeded bug, a stricter reading) without
touching the others. The schema rules run first: a business rule never judges a member of
the wrong type. The first finding wins; for a single-fault request there is only one.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import env, job, paths, schema, task
from ._model import Check, Finding, Subject

CHECKS: dict[str, Check] = {
    "S1": schema.s1_required_present,
    "S2": schema.s2_tasks_not_empty,
    "S3": schema.s3_members_known,
    "S4": schema.s4_types_match,
    "S5": schema.s5_unsigned_not_negative,
    "S6": schema.s6_enums,
    "B1": job.b1_job_name_length,
    "B2": job.b2_job_description_length,
    "B3": job.b3_task_name_length,
    "B4": job.b4_task_name_form,
    "B5": job.b5_dependence_names_known,
    "B6": job.b6_dependences_acyclic,
    "B7": task.b7_one_of_env_id_and_compute_env,
    "B8": task.b8_env_id_form,
    "B9": task.b9_env_id_known,
    "B10": env.b10_image_id_form,
    "B11": env.b11_compute_env,
    "B12": env.b12_exclusive_members,
    "B13": task.b13_application_command,
    "B14": env.b14_instance_types_unique,
    "B15": job.b15_list_limits,
    "B16": task.b16_retry_counts,
    "B17": task.b17_value_ranges,
    "B18": task.b18_task_instance_num,
    "B19": paths.b19_remote_scheme,
    "B20": paths.b20_remote_form,
    "B21": paths.b21_local_path,
    "B22": env.b22_max_price,
    "B23": job.b23_topic_name_length,
    "B24": job.b24_topic_name_form,
    "B25": job.b25_event_names_unique,
    "B26": job.b26_zone_in_region,
    "B27": env.b27_cvm_parameters,
    "B28": env.b28_instance_charge_type,
    "B29": job.b29_client_token,
    "B30": job.b30_job_quota,
    "B31": job.b31_credential_allowed,
    "JobId": job.job_id_form,
}

_SCHEMA = ("S1", "S2", "S3", "S4", "S5", "S6")
_JOB_ID_ACTIONS = (*_SCHEMA, "JobId", "B31")

#: The rules checked before an action runs. B30 (the quota) is not here: it is checked
#: inside the store's transaction, after the idempotency token, through ``CHECKS["B30"]``.
ORDER: dict[str, tuple[str, ...]] = {
    "SubmitJob": (*_SCHEMA, *(f"B{n}" for n in range(1, 30)), "B31"),
    "DescribeJob": _JOB_ID_ACTIONS,
    "DescribeJobSubmitInfo": _JOB_ID_ACTIONS,
    "TerminateJob": _JOB_ID_ACTIONS,
    "DeleteJob": _JOB_ID_ACTIONS,
}


def first_finding(
    subject: Subject, checks: Mapping[str, Check], rules: tuple[str, ...]
) -> Finding | None:
    """The first finding of ``rules`` (in order) that ``subject`` breaks, or None."""
    for rule in rules:
        for finding in checks[rule](subject):
            return finding
    return None


__all__ = ["CHECKS", "ORDER", "Check", "Finding", "Subject", "first_finding"]
