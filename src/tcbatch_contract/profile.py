"""What the harness knows about a target beyond the contract itself.

A profile says which Region to speak to and what the target is configured with: its
compute environments, its job quota, a credential it denies, its rate limit. Rules that
depend on target configuration (B9, B30, B31, P9) are checked only when the profile
gives what they need; otherwise they are reported as skipped, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DEFAULT_REGIONS: tuple[str, ...] = (
    "ap-guangzhou", "ap-shanghai", "ap-nanjing", "ap-beijing", "ap-chengdu", "ap-chongqing",
    "ap-hongkong", "ap-singapore", "ap-bangkok", "ap-jakarta", "ap-seoul", "ap-tokyo",
    "na-siliconvalley", "na-ashburn", "eu-frankfurt", "sa-saopaulo",
)  # fmt: skip

DEFAULT_REGION = "ap-guangzhou"
DOCUMENTED_RATE_LIMIT = 7
DOCUMENTED_JOB_QUOTA = 1000
#: What the harness, its commands and its recordings take for a Region name and a compute
#: environment id. The oracle and the emulator keep their own reading of rule B8.
REGION_PATTERN = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)+")
ENV_ID_PATTERN = re.compile(r"env-[a-z0-9]{8}")


def is_region(name: str) -> bool:
    """Whether ``name`` is spelt as a Region is (``ap-guangzhou``, ``ap-shanghai-fsi``)."""
    return REGION_PATTERN.fullmatch(name) is not None


def is_env_id(value: str) -> bool:
    """Whether ``value`` is spelt as a compute environment id is (``env-`` and 8 of a-z0-9)."""
    return ENV_ID_PATTERN.fullmatch(value) is not None


@dataclass(frozen=True)
class TargetProfile:
    """The facts about one target that the contract leaves to configuration."""

    region: str = DEFAULT_REGION
    regions: tuple[str, ...] = DEFAULT_REGIONS
    known_env_ids: tuple[str, ...] = ()
    job_quota: int | None = None
    rate_limit: int | None = None
    denied_secret_id: str | None = None
    denied_secret_key: str | None = field(default=None, repr=False)

    @property
    def has_denied_credential(self) -> bool:
        return bool(self.denied_secret_id and self.denied_secret_key)
