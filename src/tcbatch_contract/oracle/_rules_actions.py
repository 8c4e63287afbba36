"""Rules of the other actions (DescribeJob, DescribeJobSubmitInfo, TerminateJob,
DeleteJob): a malformed JobId (A1) and a well-formed JobId the target does not hold (A2)."""

from __future__ import annotations

from collections.abc import Iterator

from ._limits import JOB_ID
from ._model import Breach
from ._request import Request


def job_id_malformed(req: Request) -> Iterator[Breach]:
    job_id = _job_id(req)
    if job_id is not None and not JOB_ID.fullmatch(job_id):
        yield Breach(
            "JobId",
            f"`JobId` is not a job id (job-xxxxxxxx): `{job_id}`.",
        )


def job_not_found(req: Request) -> Iterator[Breach]:
    job_id = _job_id(req)
    if (
        job_id is not None
        and JOB_ID.fullmatch(job_id)
        and job_id not in req.context.existing_job_ids
    ):
        yield Breach("JobId", f"The job `{job_id}` does not exist.")


def _job_id(req: Request) -> str | None:
    if req.action == "SubmitJob":
        return None
    job_id = req.params.get("JobId")
    return job_id if isinstance(job_id, str) else None
