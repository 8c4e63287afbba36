"""Valid values for the members of SubmitJob that the contract constrains.

Every strategy here produces values that satisfy the contract's rule for that member and
nothing else: a valid request is built only from these, and a single-fault request changes
exactly one of them. Realistic values (the shapes of the public examples) are mixed with
values at the edges the contract allows (limit lengths, astral characters, empty strings
where a value may be empty, control characters in remote paths), so that an implementation
that is stricter than the contract shows up as a failure on a valid request.
"""

from __future__ import annotations

import string
from functools import cache

from hypothesis import strategies as st

from tcbatch_contract.typetable import INT64_MAX, UINT64_MAX

from .choice import ints

LETTERS = string.ascii_letters
DIGITS = string.digits
#: The specials a Linux password may use (B27), ``|`` included.
PASSWORD_SPECIALS = "()`~!@#$%^&*-+=|{}[]:;',.?/"
TASK_NAME_CHARS = LETTERS + DIGITS + "_-"
TOPIC_TAIL_CHARS = LETTERS + DIGITS + "-"
ID_CHARS = string.ascii_lowercase + DIGITS
REMOTE_SCHEMES = ("cos", "cfs", "nfs")

#: Enumerations of §4 (S6) and of B27/B28, by (type, member).
ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("Application", "DeliveryForm"): ("PACKAGE", "LOCAL"),
    ("Task", "FailedAction"): ("TERMINATE", "INTERRUPT", "FAST_INTERRUPT"),
    ("Job", "TaskExecutionDependOn"): (
        "PRE_TASK_SUCCEED",
        "PRE_TASK_AT_LEAST_PARTLY_SUCCEED",
        "PRE_TASK_FINISHED",
    ),
    ("Job", "StateIfCreateCvmFailed"): ("FAILED", "RUNNABLE"),
    ("Job", "NotificationTarget"): ("CMQ", "TDMQ_CMQ"),
    ("EventConfig", "EventName"): (
        "JOB_RUNNING", "JOB_SUCCEED", "JOB_FAILED", "JOB_FAILED_INTERRUPTED",
        "TASK_RUNNING", "TASK_SUCCEED", "TASK_FAILED", "TASK_FAILED_INTERRUPTED",
        "TASK_INSTANCE_RUNNING", "TASK_INSTANCE_SUCCEED", "TASK_INSTANCE_FAILED",
        "TASK_INSTANCE_FAILED_INTERRUPTED", "COMPUTE_NODE_CREATED",
        "COMPUTE_NODE_CREATION_FAILED", "COMPUTE_NODE_RUNNING", "COMPUTE_NODE_ABNORMAL",
        "COMPUTE_NODE_DELETING",
    ),
    ("MountDataDisk", "FileSystemType"): ("EXT3", "EXT4", "NTFS"),
    ("InputMapping", "MountType"): ("COSFS", "GooseFS-Lite"),
    ("OutputMappingConfig", "Scene"): ("COS",),
    ("AgentRunningMode", "Scene"): ("WINDOWS",),
    ("InstanceMarketOptionsRequest", "MarketType"): ("spot",),
    ("SpotMarketOptions", "SpotInstanceType"): ("one-time",),
    ("Placement", "DedicatedResourcePackTenancy"): ("ResourcePool",),
    ("OutputMappingOption", "Workspace"): ("BATCH_WORKSPACE", "GLOBAL_WORKSPACE"),
    ("InstanceTypeOptions", "InstanceCategories"): (
        "ALL", "GENERAL", "GENERAL_2", "GENERAL_3", "COMPUTE", "COMPUTE_2", "COMPUTE_3",
    ),
}  # fmt: skip

_DISK_TYPES = (
    "LOCAL_BASIC", "LOCAL_SSD", "CLOUD_BASIC", "CLOUD_SSD", "CLOUD_PREMIUM", "CLOUD_BSSD",
    "CLOUD_HSSD", "CLOUD_TSSD",
)  # fmt: skip
#: Enumerations whose violation is a business rule (B27, B28), not S6.
BUSINESS_ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("SystemDisk", "DiskType"): _DISK_TYPES,
    ("DataDisk", "DiskType"): (*_DISK_TYPES, "LOCAL_NVME", "LOCAL_PRO"),
    ("InternetAccessible", "InternetChargeType"): (
        "BANDWIDTH_PREPAID",
        "TRAFFIC_POSTPAID_BY_HOUR",
        "BANDWIDTH_POSTPAID_BY_HOUR",
        "BANDWIDTH_PACKAGE",
    ),
    ("LoginSettings", "KeepImageLogin"): ("TRUE", "FALSE"),
    ("EnvData", "InstanceChargeType"): ("POSTPAID_BY_HOUR", "SPOTPAID"),
}

#: Characters for free text: everything but lone surrogates (they cannot be encoded).
ANY_CHAR = st.characters(exclude_categories=("Cs",))
ASTRAL = st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF, exclude_categories=("Cs",))
MULTIBYTE = st.characters(min_codepoint=0x80, max_codepoint=0xFFFF, exclude_categories=("Cs",))
#: The Unicode separators, and what else ``str.isspace`` (and so the contract's ``\s``)
#: calls whitespace: nine controls and NEL.
SEPARATORS = ("Zs", "Zl", "Zp")
SPACE_CONTROLS = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85"


def any_char_but(excluded: str = "", categories: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    """``ANY_CHAR`` without the characters ``excluded`` and the Unicode ``categories``.

    Said as categories and characters, not as a filter, so that Hypothesis draws them from
    intervals: a filtered character is drawn by trial, which made a remote path cost four
    times as much.
    """
    return st.characters(exclude_categories=("Cs", *categories), exclude_characters=excluded)


#: Characters that are not whitespace (``str.isspace``).
NON_SPACE = any_char_but(SPACE_CONTROLS, SEPARATORS)
#: Characters of a local path: no Unicode control characters (Cc).
NO_CONTROL = st.characters(exclude_categories=("Cs", "Cc"))


@cache
def coin(chance: int = 4) -> st.SearchStrategy[bool]:
    """True about once in ``chance`` draws; shrinks to False."""
    return st.integers(0, chance - 1).map(lambda v: v == chance - 1)


@cache
def exactly(alphabet: st.SearchStrategy[str], length: int) -> st.SearchStrategy[str]:
    """``length`` code points from ``alphabet``: a short drawn unit, repeated (cheap to draw)."""
    return unit(alphabet).map(lambda drawn: repeat_to(drawn, length))


@cache
def unit(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """The unit :func:`exactly` repeats: 1-6 code points of ``alphabet``."""
    return st.text(alphabet, min_size=1, max_size=6)


def repeat_to(drawn: str, length: int) -> str:
    """``drawn`` repeated and cut to ``length`` code points."""
    return (drawn * (length // len(drawn) + 1))[:length]


@cache
def free_text(max_size: int = 8) -> st.SearchStrategy[str]:
    """A string member without a rule: realistic words, or any characters at all."""
    return st.one_of(
        st.sampled_from(["", "demo", "batch", "S1.SMALL1", "ins-abc12345", "值", "a b"]),
        st.text(ANY_CHAR, max_size=max_size),
    )


@cache
def limited_text(limit: int) -> st.SearchStrategy[str]:
    """Text of at most ``limit`` code points, reaching the limit in each character class."""
    return st.one_of(
        st.text(ANY_CHAR, max_size=12),
        st.sampled_from([LETTERS, DIGITS, "_"]).map(lambda cls: (cls * limit)[:limit]),
        exactly(MULTIBYTE, limit),
        exactly(ASTRAL, limit),
        exactly(ANY_CHAR, limit),
    )


@cache
def task_name(max_size: int = 60) -> st.SearchStrategy[str]:
    """A TaskName of B3/B4: 1-60 characters of ``[A-Za-z0-9_-]``."""
    return st.one_of(
        st.text(TASK_NAME_CHARS, min_size=1, max_size=min(12, max_size)),
        exactly(st.sampled_from(TASK_NAME_CHARS), max_size),
    )


@cache
def topic_name() -> st.SearchStrategy[str]:
    """A CMQ topic name (B23/B24): a letter, then letters, digits or ``-``; 1-64 long."""
    return st.one_of(
        st.builds(
            lambda head, tail: head + tail,
            st.sampled_from(LETTERS),
            st.text(TOPIC_TAIL_CHARS, max_size=12),
        ),
        st.builds(
            lambda head, tail: head + tail,
            st.sampled_from(LETTERS),
            exactly(st.sampled_from(TOPIC_TAIL_CHARS), 63),
        ),
    )


@cache
def client_token() -> st.SearchStrategy[str]:
    """A ClientToken (B29): 1-64 printable ASCII characters without space."""
    printable = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
    return st.one_of(
        st.text(printable, min_size=1, max_size=16),
        exactly(printable, 64),
    )


@cache
def zone(region: str) -> st.SearchStrategy[str]:
    """``<region>-<1..99>`` with no leading zero (B26)."""
    return st.integers(1, 99).map(lambda n: f"{region}-{n}")


@cache
def prefixed_id(prefix: str) -> st.SearchStrategy[str]:
    """An id of the form ``<prefix>-`` and eight of ``[a-z0-9]`` (EnvId, ImageId)."""
    return st.text(ID_CHARS, min_size=8, max_size=8).map(lambda tail: f"{prefix}-{tail}")


@cache
def max_price() -> st.SearchStrategy[str]:
    """A decimal number string ``^[0-9]+(\\.[0-9]+)?$`` (B22)."""
    digits = st.text(DIGITS, min_size=1, max_size=6)
    return st.builds(
        lambda whole, frac: whole if frac is None else f"{whole}.{frac}",
        digits,
        st.none() | digits,
    )


@cache
def password() -> st.SearchStrategy[str]:
    """A Linux password of B27: 8-16 of letters, digits, specials; two classes at least."""
    classes = (LETTERS, DIGITS, PASSWORD_SPECIALS)

    order = st.permutations(range(3))
    sizes = st.integers(8, 16)
    bodies = {size: st.text("".join(classes), min_size=size - 2, max_size=size - 2)
              for size in range(8, 17)}  # fmt: skip
    picks = [st.sampled_from(cls) for cls in classes]

    @st.composite
    def build(draw: st.DrawFn) -> str:
        first, second = draw(order)[:2]
        body = draw(bodies[draw(sizes)])
        chosen = [draw(picks[first]), draw(picks[second])]
        where = draw(ints(0, len(body)))
        return body[:where] + "".join(chosen) + body[where:]

    return build()


#: Characters of a remote path's host: neither whitespace nor ``/``.
_HOST_CHARS = any_char_but(SPACE_CONTROLS + "/", SEPARATORS)


@cache
def _remote_host() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(
            [
                "batch-demo-1251783334.cosbj.myqcloud.com",
                "bucket-1250000000.cos.ap-guangzhou.myqcloud.com",
                "10.0.0.4",
                "10.0.0.5:2049",
            ]
        ),
        st.text(_HOST_CHARS, min_size=1, max_size=8),
    )


#: Tails of remote paths; control characters other than whitespace are allowed there (§7).
REMOTE_TAILS = (
    "", "logs/", "pkg/job.tar.gz", "a/b/c", "data", "中文/目录", "x://y/", "a\ufeffb",
    "c\x00d/", "e\x7f", "\x01",
)  # fmt: skip


@cache
def _remote_tail() -> st.SearchStrategy[str]:
    """The ``\\S*`` after the host's slash: words, or any non-space characters."""
    return st.one_of(
        st.sampled_from(REMOTE_TAILS),
        st.text(NON_SPACE, max_size=8),
    )


@cache
def remote_path(*, directory: bool) -> st.SearchStrategy[str]:
    """A remote path of B19/B20; a directory path ends with ``/``."""
    return st.builds(
        lambda scheme, host, tail: (
            f"{scheme}://{host}/{tail}"
            + ("/" if directory and not tail.endswith("/") and tail else "")
        ),
        st.sampled_from(REMOTE_SCHEMES),
        _remote_host(),
        _remote_tail(),
    )


@cache
def local_path() -> st.SearchStrategy[str]:
    """An absolute Linux path or a Windows drive path, no control characters (B21)."""
    linux = st.one_of(
        st.sampled_from(["/", "/data/in", "/mnt/out/", "/tmp/a b", "/数据", "/a\u3000\ufeff"]),
        st.text(NO_CONTROL, max_size=12).map(lambda rest: "/" + rest),
    )
    windows = st.builds(
        lambda drive, rest: f"{drive}:\\{rest}",
        st.sampled_from(LETTERS),
        st.one_of(st.just(""), st.just("data\\in"), st.text(NO_CONTROL, max_size=10)),
    )
    return linux | windows


@cache
def uint64(low: int = 0, high: int = UINT64_MAX) -> st.SearchStrategy[int]:
    """An integer in ``[low, high]``, edges included."""
    edges = sorted({low, high, min(low + 1, high)})
    return st.one_of(st.integers(low, high), st.sampled_from(edges))


@cache
def int64(low: int, high: int = INT64_MAX) -> st.SearchStrategy[int]:
    return uint64(low, high)


@cache
def disk_size_multiple_of_ten() -> st.SearchStrategy[int]:
    """A DataDisk.DiskSize (B27): a positive multiple of 10 within int64."""
    return st.one_of(
        st.integers(1, 200).map(lambda n: n * 10),
        st.just(INT64_MAX // 10 * 10),
        st.integers(1, INT64_MAX // 10).map(lambda n: n * 10),
    )
