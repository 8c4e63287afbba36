"""How one emulator instance is configured: credentials, regions, quotas, injections.

Everything the contract leaves to the target (which credentials exist, which one is
denied, which compute environments and Regions exist, the job quota, the rate limit) is a
field here, with the documented real-service value as the default where there is one.
The default credentials are fixed, obviously fake test values: they open nothing but an
emulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import codes
from ..profile import DEFAULT_REGIONS, DOCUMENTED_JOB_QUOTA, DOCUMENTED_RATE_LIMIT, is_env_id

DEFAULT_SECRET_ID = "AKIDtcbatchEMULATOR0000000000000000"
DEFAULT_SECRET_KEY = "tcbatchEMULATORtestOnlyKey00000000"
DEFAULT_ENV_ID = "env-emu00001"

#: The codes an injection rule may inject: the back-end failures of SubmitJob and back-pressure.
INJECTABLE_CODES = frozenset(
    {codes.INTERNAL_ERROR_CALL_CVM, codes.INTERNAL_ERROR_CALL_TAG_API, codes.REQUEST_LIMIT_EXCEEDED}
)


@dataclass(frozen=True)
class InjectionRule:
    """Answer matching requests with ``code`` instead of executing them.

    A rule fires on every ``every``-th matching request, or with ``probability`` (a
    seeded random choice, so a run can be repeated). ``action=None`` matches every action.
    """

    code: str
    action: str | None = None
    every: int | None = None
    probability: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.code not in INJECTABLE_CODES:
            raise ValueError(
                f"code {self.code} is not injectable; use one of "
                + ", ".join(sorted(INJECTABLE_CODES))
            )
        if (self.every is None) == (self.probability is None):
            raise ValueError("an injection rule needs exactly one of every=N or probability=P")
        if self.every is not None and self.every < 1:
            raise ValueError(f"every={self.every} must be 1 or more")
        if self.probability is not None and not 0.0 < self.probability <= 1.0:
            raise ValueError(f"probability={self.probability} must be in (0, 1]")


@dataclass(frozen=True)
class EmulatorConfig:
    """The facts one emulator serves. ``None`` for ``job_quota``/``rate_limit`` means no limit."""

    secret_id: str = DEFAULT_SECRET_ID
    secret_key: str = field(default=DEFAULT_SECRET_KEY, repr=False)
    regions: tuple[str, ...] = DEFAULT_REGIONS
    known_env_ids: tuple[str, ...] = (DEFAULT_ENV_ID,)
    job_quota: int | None = DOCUMENTED_JOB_QUOTA
    rate_limit: int | None = DOCUMENTED_RATE_LIMIT
    denied_secret_id: str | None = None
    denied_secret_key: str | None = field(default=None, repr=False)
    # More API keys of the account of ``secret_id`` ((SecretId, SecretKey) pairs): they see
    # and make the same jobs and fill the same quota; each keeps its own ClientTokens
    # ((SecretId, ClientToken)) and its own rate-limit window (P9).
    more_keys: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    db_path: str | None = None
    injections: tuple[InjectionRule, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "regions", tuple(self.regions))
        object.__setattr__(self, "known_env_ids", tuple(self.known_env_ids))
        object.__setattr__(self, "injections", tuple(self.injections))
        object.__setattr__(self, "more_keys", tuple(tuple(k) for k in self.more_keys))
        if not self.secret_id or not self.secret_key:
            raise ValueError("secret_id and secret_key must both be non-empty")
        if bool(self.denied_secret_id) != bool(self.denied_secret_key):
            raise ValueError("give denied_secret_id and denied_secret_key together, or neither")
        if self.denied_secret_id and self.denied_secret_id == self.secret_id:
            raise ValueError("denied_secret_id must differ from secret_id")
        more = [secret_id for secret_id, _ in self.more_keys]
        if not all(k and s for k, s in self.more_keys) or len(set(more)) != len(more):
            raise ValueError("more_keys must be distinct, non-empty (SecretId, SecretKey) pairs")
        if {self.secret_id, self.denied_secret_id} & set(more):
            raise ValueError("more_keys must not repeat secret_id or denied_secret_id")
        if not self.regions or not all(self.regions):
            raise ValueError("regions must name at least one Region")
        for env_id in self.known_env_ids:
            if not is_env_id(env_id):
                raise ValueError(f"known env id {env_id!r} does not match env-[a-z0-9]{{8}}")
        if self.job_quota is not None and self.job_quota < 0:
            raise ValueError(f"job_quota={self.job_quota} must be 0 or more (None: no quota)")
        if self.rate_limit is not None and self.rate_limit < 1:
            raise ValueError(f"rate_limit={self.rate_limit} must be 1 or more (None: no limit)")

    @property
    def credentials(self) -> dict[str, str]:
        """Every SecretId the emulator knows, with its key."""
        known = {self.secret_id: self.secret_key, **dict(self.more_keys)}
        if self.denied_secret_id and self.denied_secret_key:
            known[self.denied_secret_id] = self.denied_secret_key
        return known

    def account_of(self, secret_id: str) -> str:
        """The account ``secret_id`` acts for, named by its first key: jobs and the quota
        are the account's, whichever of its keys signed."""
        return self.secret_id if any(secret_id == k for k, _ in self.more_keys) else secret_id
