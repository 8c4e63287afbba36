"""Values that break exactly one rule when put in the member that rule is about.

Each strategy pairs a few hand-picked near misses (case variants, a trailing newline,
look-alike Unicode digits and letters, the off-by-one length) with generated values, and
every generated value is filtered by the rule's own definition as the contract states it,
so a strategy here never produces a value that is accidentally valid. Overlong strings are
a drawn unit repeated (``values.exactly``) to the length, which is cheap to draw and shrinks to ``limit + 1``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from hypothesis import strategies as st

from tcbatch_contract.profile import DEFAULT_REGIONS

from . import values as v
from .choice import choice, ints

#: Every character for which ``str.isspace()`` is true (B20's ``\s``).
WHITESPACE = tuple(c for c in map(chr, range(0x3001)) if c.isspace())
#: Unicode Cc: C0, DEL and C1.
CONTROL = tuple(chr(c) for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)))
LOOKALIKES = ("\u0661", "\uff21", "\u212a", "\u00e9", "\u540d", "\U0001f600", "\u2010", "\ufb01")

_REMOTE = re.compile(r"(cos|cfs|nfs)://[^/\s]+/\S*")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
_TOPIC = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


def remote_ok(value: str, *, directory: bool) -> bool:
    """B19/B20 as the contract states them (True: the path breaks neither)."""
    return bool(_REMOTE.fullmatch(value)) and (value.endswith("/") or not directory)


def local_ok(value: str) -> bool:
    """B21 as the contract states it."""
    if any(ch in CONTROL for ch in value):
        return False
    return value.startswith("/") or bool(re.match(r"[A-Za-z]:\\", value))


@cache
def overlong(limit: int, alphabet: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[str]:
    """Longer than ``limit`` by at least one, in every character class (or ``alphabet``)."""
    classes = (
        [alphabet]
        if alphabet is not None
        else [
            st.sampled_from(v.LETTERS + v.DIGITS),
            v.MULTIBYTE,
            v.ASTRAL,
            v.ANY_CHAR,
        ]
    )
    excess = st.one_of(st.integers(1, 3), st.integers(1, 4 * limit))

    units = [v.unit(chars) for chars in classes]

    @st.composite
    def build(draw: st.DrawFn) -> str:
        units_of_class = choice(draw, units)
        length = limit + draw(excess)
        return v.repeat_to(draw(units_of_class), length)

    return build()


@cache
def overlong_task_name() -> st.SearchStrategy[str]:
    return overlong(60, st.sampled_from(v.TASK_NAME_CHARS))


@cache
def overlong_topic_name() -> st.SearchStrategy[str]:
    return st.builds(
        lambda head, tail: head + tail,
        st.sampled_from(v.LETTERS),
        overlong(63, st.sampled_from(v.TOPIC_TAIL_CHARS)),
    )


@cache
def _with_one_of(
    base: st.SearchStrategy[str], chars: st.SearchStrategy[str], max_len: int
) -> st.SearchStrategy[str]:
    """``base`` with one character of ``chars`` inserted, cut to ``max_len``."""

    @st.composite
    def build(draw: st.DrawFn) -> str:
        text = draw(base)[: max_len - 1]
        where = draw(ints(0, len(text)))
        return text[:where] + draw(chars) + text[where:]

    return build()


@cache
def bad_task_name() -> st.SearchStrategy[str]:
    """Empty, or 1-60 code points with a character outside ``[A-Za-z0-9_-]`` (B4)."""
    outside = st.one_of(
        st.sampled_from((" ", ".", "/", "+", "\n", "\x00", *LOOKALIKES)),
        v.any_char_but(v.TASK_NAME_CHARS),
    )
    return st.just("") | _with_one_of(st.text(v.TASK_NAME_CHARS, max_size=59), outside, 60)


@cache
def bad_topic_name() -> st.SearchStrategy[str]:
    """Empty or not ``^[A-Za-z][A-Za-z0-9-]*$``, at most 64 code points (B24)."""
    near = st.sampled_from(["", "1topic", "-topic", "topic_1", "topic.1", "topic 1", "topic\n"])
    made = _with_one_of(st.text(v.TOPIC_TAIL_CHARS, max_size=63), v.ANY_CHAR, 64)
    return (near | made).filter(lambda s: len(s) <= 64 and not _TOPIC.fullmatch(s))


_ANY_NAME = st.one_of(v.free_text(), v.task_name())
_VARIANT = v.coin(5)


def missing_task_name(draw: st.DrawFn, names: Sequence[str]) -> str:
    """A name that no task of the job has (B5): case variants, near misses, anything.

    Drawn in place (the names differ from job to job, so no strategy is built for them).
    """
    variants = [n.swapcase() for n in names] + [n + " " for n in names] + [n + "x" for n in names]
    variants = [n for n in variants if n not in names]
    if variants and draw(_VARIANT):
        return choice(draw, variants)
    name = draw(_ANY_NAME)
    while name in names:
        name += "x"
    return name


@cache
def malformed_id(prefix: str) -> st.SearchStrategy[str]:
    """Not ``^<prefix>-[a-z0-9]{8}$`` (B8 for ``env``, B10 for ``img``)."""
    good = re.compile(rf"{prefix}-[a-z0-9]{{8}}")
    near = st.sampled_from(
        [
            "",
            prefix,
            f"{prefix}_238swek2",
            f"{prefix.upper()}-12345678",
            f"{prefix}-1234567",
            f"{prefix}-123456789",
            f"{prefix}-ABCDEFGH",
            f"{prefix}-12345678\n",
            f" {prefix}-12345678",
            f"{prefix}-1234567\u0661",
        ]
    )
    made = st.builds(
        lambda p, tail: p + tail,
        st.sampled_from([f"{prefix}-", f"{prefix}_", "", f"{prefix.upper()}-"]),
        st.text(v.ANY_CHAR, max_size=10),
    )
    return (near | made).filter(lambda s: not good.fullmatch(s))


@cache
def unknown_env_id(known: tuple[str, ...]) -> st.SearchStrategy[str]:
    return v.prefixed_id("env").filter(lambda s: s not in known)


@cache
def bad_zone(region: str) -> st.SearchStrategy[str]:
    """Not ``<region>-<1..99>`` for this Region (B26)."""
    good = re.compile(rf"{re.escape(region)}-[1-9][0-9]?")
    others = [r for r in DEFAULT_REGIONS if r != region] or ["ap-shanghai"]
    near = st.sampled_from(
        [
            region,
            f"{region}-",
            f"{region}-0",
            f"{region}-02",
            f"{region}-100",
            f"{region}-1\n",
            f"{region.upper()}-1",
            f"{region}-\u0661",
            f"{region}-+1",
            f"{region}- 1",
            f"{region}-open-1",
            f"{region}1",
            "",
        ]
    )
    other = st.builds(lambda r, n: f"{r}-{n}", st.sampled_from(others), st.integers(1, 99))
    leading_zero = st.integers(1, 9).map(lambda n: f"{region}-0{n}")
    made = st.builds(lambda tail: f"{region}-{tail}", st.text(v.ANY_CHAR, max_size=4))
    return (near | other | leading_zero | made).filter(lambda s: not good.fullmatch(s))


@cache
def bad_scheme_path(*, directory: bool) -> st.SearchStrategy[str]:
    """``<scheme>://<valid rest>`` with a scheme other than cos/cfs/nfs (B19)."""
    scheme = st.one_of(
        st.sampled_from(
            ["COS", "Cos", "CFS", "NFS", "cosn", "s3", "http", "https", "", "cos ", " cos", "file"]
        ),
        st.text(v.ANY_CHAR, max_size=6),
    ).filter(lambda s: s not in v.REMOTE_SCHEMES and "://" not in s and not s.endswith(":/"))
    return st.builds(
        lambda s, path: s + path[path.index("://") :],
        scheme,
        v.remote_path(directory=directory),
    )


@cache
def bad_remote_form(*, directory: bool) -> st.SearchStrategy[str]:
    """No ``://``; or an allowed scheme with a bad form; or a directory without ``/`` (B20)."""
    no_separator = st.one_of(
        st.sampled_from(["", "cos", "cos:/b/x/", "cos:b/x/", "b/x/", "/data/x/", "cos//b/x/"]),
        st.text(v.ANY_CHAR, max_size=12),
    ).filter(lambda s: "://" not in s)
    space = st.sampled_from(WHITESPACE)
    bad_form = st.one_of(
        st.sampled_from(["cos:///x/", "cfs://", "nfs://10.0.0.5", "cos://b"]),
        st.builds(lambda s, w: f"{s}://b{w}x/y/", st.sampled_from(v.REMOTE_SCHEMES), space),
        st.builds(lambda s, w: f"{s}://b/x{w}y/", st.sampled_from(v.REMOTE_SCHEMES), space),
        st.builds(lambda s, w: f"{s}://b/logs/{w}", st.sampled_from(v.REMOTE_SCHEMES), space),
        st.builds(lambda s, w: f"{s}://{w}b/x/", st.sampled_from(v.REMOTE_SCHEMES), space),
        st.builds(
            lambda scheme, rest: f"{scheme}://{rest}",
            st.sampled_from(v.REMOTE_SCHEMES),
            _with_one_of(v.remote_path(directory=directory).map(_after_scheme), space, 10_000),
        ),
    )
    options = [no_separator, bad_form]
    if directory:
        options.append(v.remote_path(directory=False).map(lambda p: p.rstrip("/") + "x"))
    # One of the contract's variants first, each as likely (a flat one_of would weigh each
    # sub-strategy alike, and the missing "/" would be one branch in nine).
    return (
        st.sampled_from(options)
        .flatmap(lambda variant: variant)
        .filter(
            lambda s: (
                not remote_ok(s, directory=directory)
                and ("://" not in s or s[: s.index("://")] in v.REMOTE_SCHEMES)
            )
        )
    )


def _after_scheme(path: str) -> str:
    return path[path.index("://") + 3 :]


@cache
def bad_local_path() -> st.SearchStrategy[str]:
    """Neither absolute Linux nor a Windows drive path, or a control character in it (B21)."""
    near = st.sampled_from([
        "", "data/in", "./x", "~/x", "C:", "C:/x", "C:x", "1:\\x", "CC:\\x", "\\\\srv\\share",
        " /data", "\uff0fdata", "\u00e9:\\x", "/data\n", "/da\x7fta", "/data\x85", "H:\\x\x1f",
    ])  # fmt: skip
    with_control = _with_one_of(v.local_path(), st.sampled_from(CONTROL), 10_000)
    relative = st.text(v.NO_CONTROL, max_size=12)
    return (near | with_control | relative).filter(lambda s: not local_ok(s))


@cache
def bad_max_price() -> st.SearchStrategy[str]:
    """Not ``^[0-9]+(\\.[0-9]+)?$`` (B22)."""
    near = st.sampled_from([
        "", "1.", ".5", "-1", "+1", "1e3", "1,5", "abc", " 1", "1 ", "1\n", "\uff11", "0x10",
        "NaN", "inf", "1.2.3", "\u0661",
    ])  # fmt: skip
    return (near | st.text(v.ANY_CHAR, max_size=8)).filter(lambda s: not _DECIMAL.fullmatch(s))


_PRINTABLE_ASCII = "".join(map(chr, range(0x21, 0x7F)))


@cache
def bad_client_token() -> st.SearchStrategy[str]:
    """Empty, longer than 64, or a character outside ``0x21-0x7E`` (B29)."""
    printable = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
    outside = st.one_of(
        st.sampled_from((" ", "\t", "\x7f", "\x00", "\n", "\u00e9", "\U0001f600", "\u3000")),
        v.any_char_but(_PRINTABLE_ASCII),
    )
    return st.one_of(
        st.just(""),
        overlong(64, printable),
        _with_one_of(st.text(printable, max_size=63), outside, 64),
    )


@cache
def bad_password() -> st.SearchStrategy[str]:
    """A password breaking B27's Linux rule: length, a foreign character, one class only."""
    allowed = v.LETTERS + v.DIGITS + v.PASSWORD_SPECIALS
    near = st.sampled_from([
        "", "abc123", "abcdefgh", "12345678", "!@#$%^&*", "abcd1234abcd12345", "abcd 1234",
        "abcd_1234", 'abcd"1234', "abcd<1234", "abcd\\1234", "abcd\u00e91234", "Ab1!Ab1\n",
    ])  # fmt: skip
    one_class = st.sampled_from([v.LETTERS, v.DIGITS, v.PASSWORD_SPECIALS]).flatmap(
        lambda cls: st.text(cls, min_size=8, max_size=16)
    )
    wrong_length = st.one_of(
        v.password().map(lambda p: p[:7]),
        st.text(allowed, min_size=17, max_size=24),
        st.text(allowed, max_size=7),
    )
    foreign = _with_one_of(
        v.password().map(lambda p: p[:15]),
        v.any_char_but(allowed),
        16,
    )
    variants = st.sampled_from([near, one_class, wrong_length, foreign])  # each as likely
    return variants.flatmap(lambda variant: variant).filter(lambda s: not password_ok(s))


def password_ok(value: str) -> bool:
    """B27's Linux password rule as the contract states it."""
    classes = (v.LETTERS, v.DIGITS, v.PASSWORD_SPECIALS)
    if not 8 <= len(value) <= 16 or any(ch not in "".join(classes) for ch in value):
        return False
    return sum(any(ch in cls for ch in value) for cls in classes) >= 2


@cache
def outside_enum(allowed: tuple[str, ...]) -> st.SearchStrategy[str]:
    """A string that is not one of ``allowed``: case variants, padding, anything."""
    variants = [
        f(a)
        for a in allowed
        for f in (str.lower, str.upper, str.title, str.swapcase, " {}".format, "{}\n".format)
    ]
    near = st.sampled_from([*variants, ""])
    return (near | v.free_text()).filter(lambda s: s not in allowed)
