"""The pure parts of the emulator, without sockets: parameter decoding, Authorization
parsing, the rule table's shape."""

from __future__ import annotations

import pytest

from tcbatch_contract.emulator import validate
from tcbatch_contract.emulator.auth import parse_authorization
from tcbatch_contract.emulator.errors import ApiError
from tcbatch_contract.emulator.params import parse_form, parse_json_object, unflatten


def test_unflatten_rebuilds_objects_lists_and_types() -> None:
    pairs = [
        ("Placement.Zone", "ap-guangzhou-2"),
        ("Job.Priority", "-0"),
        ("Job.Tasks.1.TaskName", "b"),
        ("Job.Tasks.0.TaskName", "a"),
        ("Job.Tasks.0.RestartComputeNode", "tRuE"),
        ("Job.Tasks.0.ComputeEnv.EnvData.InstanceTypes.0", "S1"),
        ("Job.Tasks.0.MaxRetryCount", "007"),
    ]
    params = unflatten(pairs, "SubmitJobRequest")
    assert params["Placement"] == {"Zone": "ap-guangzhou-2"}
    assert params["Job"]["Priority"] == 0
    tasks = params["Job"]["Tasks"]
    assert [t["TaskName"] for t in tasks] == ["a", "b"]
    assert tasks[0]["RestartComputeNode"] is True and tasks[0]["MaxRetryCount"] == 7
    assert tasks[0]["ComputeEnv"]["EnvData"]["InstanceTypes"] == ["S1"]


@pytest.mark.parametrize(
    ("name", "raw", "kept"),
    [("Job.Priority", "+1", "+1"), ("Job.Priority", " 1", " 1"), ("Job.Priority", "1.0", "1.0"),
     ("Job.Tasks.0.RestartComputeNode", "yes", "yes"),
     ("Job.Tasks.0.RestartComputeNode", "tru\u0435", "tru\u0435")],
)  # fmt: skip
def test_values_that_do_not_coerce_stay_strings(name: str, raw: str, kept: str) -> None:
    params = unflatten([(name, raw)], "SubmitJobRequest")
    node = params
    for part in name.split("."):
        node = node[int(part)] if part.isdigit() else node[part]
    assert node == kept  # the schema rules then report a wrong type


@pytest.mark.parametrize(
    "pairs",
    [
        [("Job.Tasks.0.TaskName", "a"), ("Job.Tasks.2.TaskName", "c")],
        [("Job.Tasks.00.TaskName", "a")],
        [("Job.Tasks.x.TaskName", "a")],
        [("Job.JobName", "a"), ("Job.JobName", "b")],
        [("Job.JobName", "a"), ("Job.JobName.X", "b")],
        [("Job.JobName.X", "b"), ("Job.JobName", "a")],
    ],
)
def test_unflatten_refuses_what_the_flat_form_cannot_mean(pairs) -> None:
    with pytest.raises(ApiError) as caught:
        unflatten(pairs, "SubmitJobRequest")
    assert caught.value.code == "InvalidParameter"


def test_unknown_members_are_kept_for_the_schema_rules() -> None:
    params = unflatten([("Job.Foo.Bar.0", "x"), ("Nope", "1")], "SubmitJobRequest")
    assert params == {"Job": {"Foo": {"Bar": {"0": "x"}}}, "Nope": "1"}


def test_parse_form_is_strict_utf8() -> None:
    assert parse_form(b"a=1&b=x+y&c=%E2%82%AC&&d") == [
        ("a", "1"),
        ("b", "x y"),
        ("c", "\u20ac"),
        ("d", ""),
    ]
    with pytest.raises(ApiError):
        parse_form(b"a=%FF")


@pytest.mark.parametrize(
    "body",
    [b"", b"[]", b"1", b"{", b"\xef\xbb\xbf{}", b'{"a": NaN}', b'{"a": -Infinity}', b"\xff",
     b"[" * 50_000 + b"]" * 50_000],
)  # fmt: skip
def test_parse_json_object_refuses(body: bytes) -> None:
    with pytest.raises(ApiError) as caught:
        parse_json_object(body)
    assert caught.value.code == "InvalidParameter"


def test_parse_json_object_keeps_the_last_key_and_lone_surrogates() -> None:
    assert parse_json_object(b'{"a": 1, "a": "\\ud800"}') == {"a": "\ud800"}


def test_parse_authorization() -> None:
    auth = parse_authorization(
        "TC3-HMAC-SHA256 Credential=AKID/2024-01-02/batch/tc3_request, "
        "SignedHeaders=content-type;host, Signature=abc"
    )
    assert (auth.secret_id, auth.date, auth.service, auth.signature) == (
        "AKID", "2024-01-02", "batch", "abc",
    )  # fmt: skip
    assert auth.signed_headers == ("content-type", "host")


def test_rule_table_covers_the_catalogue() -> None:
    rules = {f"S{n}" for n in range(1, 7)} | {f"B{n}" for n in range(1, 32)}
    assert rules <= set(validate.CHECKS)
    for action, order in validate.ORDER.items():
        assert set(order) <= set(validate.CHECKS), action
    assert validate.ORDER["SubmitJob"][:6] == ("S1", "S2", "S3", "S4", "S5", "S6")
