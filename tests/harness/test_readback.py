"""The §6 read-back comparison: what a correct answer looks like, and each way to be wrong."""

from __future__ import annotations

import copy

import pytest

from tcbatch_contract.harness.checks.readback import (
    describe_job_problems,
    expected_task,
    strictly_equal,
    submit_info_problems,
)

JOB_ID = "job-abcd1234"

SENT = {
    "Placement": {"Zone": "ap-guangzhou-2"},
    "Job": {
        "JobName": "😀" * 60,
        "Priority": 7,
        "Tasks": [
            {
                "TaskName": "pre",
                "Application": {"DeliveryForm": "LOCAL", "Command": "echo pre"},
                "ComputeEnv": {
                    "EnvData": {
                        "InstanceType": "S1.SMALL1",
                        "SystemDisk": {"DiskType": "CLOUD_SSD", "DiskSize": 50, "DiskId": "disk-1"},
                    }
                },
                "RestartComputeNode": True,
                "Timeout": 18446744073709551615,
            },
            {
                "TaskName": "post",
                "Application": {"DeliveryForm": "LOCAL", "Command": ""},
                "EnvId": "env-abcd1234",
                "FailedAction": "INTERRUPT",
            },
        ],
        "Dependences": [
            {"StartTask": "pre", "EndTask": "post"},
            {"StartTask": "pre", "EndTask": "post"},
        ],
        "Tags": [{"Key": "k", "Value": "\ud800"}],
        "Notifications": [{"TopicName": "t", "EventConfigs": []}],
    },
}


def correct_submit_info() -> dict:
    job = SENT["Job"]
    tasks = copy.deepcopy(job["Tasks"])
    for task in tasks:
        task.setdefault("TaskInstanceNum", 1)
        task.setdefault("FailedAction", "TERMINATE")
        task.setdefault("MaxRetryCount", 0)
        task.setdefault("Timeout", 86400)
        task.setdefault("ResourceMaxRetryCount", 0)
    tasks[0]["ComputeEnv"]["EnvType"] = "MANAGED"
    tasks[1]["MaxConcurrentNum"] = None  # an unset member returned as null is fine
    return {
        "JobId": JOB_ID,
        "JobName": job["JobName"],
        "JobDescription": None,
        "Priority": 7,
        "Tasks": tasks,
        "Dependences": copy.deepcopy(job["Dependences"]),
        "Tags": copy.deepcopy(job["Tags"]),
        "RequestId": "3c1f7f56-1c47-4c9a-9f57-5b2a3b7f1f00",
    }


def correct_describe() -> dict:
    return {
        "JobId": JOB_ID,
        "JobName": SENT["Job"]["JobName"],
        "Zone": "ap-guangzhou-2",
        "Priority": 7,
        "JobState": "SUBMITTED",
        "CreateTime": "2024-05-01T10:00:00Z",
        "TaskSet": [
            {"TaskName": "pre", "TaskState": "PENDING", "CreateTime": "2024-05-01T10:00:00Z"},
            {"TaskName": "post", "TaskState": "PENDING", "CreateTime": "2024-05-01T10:00:00Z"},
        ],
        "DependenceSet": copy.deepcopy(SENT["Job"]["Dependences"]),
        "Tags": copy.deepcopy(SENT["Job"]["Tags"]),
        "TaskMetrics": {},
    }


def test_correct_answers_have_no_problems() -> None:
    assert submit_info_problems(SENT, JOB_ID, correct_submit_info()) == []
    assert describe_job_problems(SENT, JOB_ID, correct_describe()) == []


def test_nothing_sent_reads_back_as_documented() -> None:
    sent = {
        "Placement": {"Zone": "ap-guangzhou-3"},
        "Job": {
            "Tasks": [
                {"Application": {"DeliveryForm": "LOCAL", "Command": "x"}, "EnvId": "env-abcd1234"}
            ]
        },
    }
    info = {
        "JobId": JOB_ID,
        "JobName": None,
        "Priority": 0,
        "Tasks": [expected_task(sent["Job"]["Tasks"][0])],
        "Dependences": [],
        "Tags": [],
    }
    assert submit_info_problems(sent, JOB_ID, info) == []
    wrong = dict(info, Tags=None)
    assert submit_info_problems(sent, JOB_ID, wrong) == [
        "DescribeJobSubmitInfo Tags: expected [], got None"
    ]
    described = {
        "JobId": JOB_ID,
        "JobName": None,
        "Zone": "ap-guangzhou-3",
        "Priority": 0,
        "JobState": "PENDING",
        "CreateTime": "2024-05-01T10:00:00Z",
        "TaskSet": [{"TaskName": "auto-0", "TaskState": "PENDING", "CreateTime": "x"}],
        "DependenceSet": [],
        "Tags": [],
    }
    assert describe_job_problems(sent, JOB_ID, described) == []
    assert describe_job_problems(sent, JOB_ID, dict(described, JobName="")) == [
        "DescribeJob JobName: expected None, got ''"
    ]


def _first_problem(mutate, which: str = "info") -> str:
    answer = correct_submit_info() if which == "info" else correct_describe()
    mutate(answer)
    check = submit_info_problems if which == "info" else describe_job_problems
    problems = check(SENT, JOB_ID, answer)
    assert problems, "a breach went unnoticed"
    return problems[0]


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (
            lambda a: a["Tasks"][0]["ComputeEnv"]["EnvData"].pop("SystemDisk"),
            "Tasks.0.ComputeEnv.EnvData.SystemDisk",
        ),
        (
            lambda a: a["Tasks"][0]["ComputeEnv"]["EnvData"]["SystemDisk"].pop("DiskId"),
            "SystemDisk.DiskId",
        ),
        (
            lambda a: a["Tasks"][0].__setitem__("RestartComputeNode", 1),
            "Tasks.0.RestartComputeNode",
        ),
        (lambda a: a["Tasks"][0].__setitem__("Timeout", float(2**64 - 1)), "Tasks.0.Timeout"),
        (lambda a: a["Tasks"][1].__setitem__("FailedAction", "TERMINATE"), "Tasks.1.FailedAction"),
        (lambda a: a["Tasks"][1].__setitem__("Timeout", 3600), "Tasks.1.Timeout"),
        (lambda a: a["Tasks"][1].pop("MaxRetryCount"), "Tasks.1.MaxRetryCount"),
        (
            lambda a: a["Tasks"][1].__setitem__("ComputeEnv", {"EnvType": "MANAGED"}),
            "Tasks.1.ComputeEnv",
        ),
        (lambda a: a["Tasks"][0]["ComputeEnv"].pop("EnvType"), "Tasks.0.ComputeEnv.EnvType"),
        (lambda a: a.__setitem__("JobName", "😀" * 59), "JobName"),
        (lambda a: a.__setitem__("Priority", 0), "Priority"),
        (lambda a: a["Dependences"].pop(), "Dependences"),
        (lambda a: a["Tags"][0].__setitem__("Value", "\\ud800"), "Tags.0.Value"),
        (lambda a: a.__setitem__("Tasks", a["Tasks"][::-1]), "Tasks.0"),
        (lambda a: a.__setitem__("Notifications", []), "Notifications"),
        (
            lambda a: a["Tasks"][1].__setitem__("Application", {"DeliveryForm": "LOCAL"}),
            "Tasks.1.Application.Command",
        ),
    ],
)
def test_each_submit_info_breach_is_named(mutate, path: str) -> None:
    answer = correct_submit_info()
    mutate(answer)
    problems = submit_info_problems(SENT, JOB_ID, answer)
    assert problems, "a breach went unnoticed"
    assert any(path in p for p in problems), problems


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda a: a.__setitem__("Zone", "ap-guangzhou-3"), "Zone"),
        (lambda a: a.__setitem__("JobState", "RUNNING"), "JobState"),
        (lambda a: a.__setitem__("CreateTime", "2024-05-01 10:00:00"), "CreateTime"),
        (lambda a: a.__setitem__("TaskSet", a["TaskSet"][::-1]), "TaskSet.0.TaskName"),
        (lambda a: a["TaskSet"].pop(), "TaskSet"),
        (lambda a: a["TaskSet"][1].pop("TaskState"), "TaskSet.1.TaskState"),
        (
            lambda a: a.__setitem__("DependenceSet", [{"StartTask": "post", "EndTask": "pre"}]),
            "DependenceSet",
        ),
        (lambda a: a.__setitem__("Tags", []), "Tags"),
        (lambda a: a.__setitem__("Priority", "7"), "Priority"),
        (lambda a: a.__setitem__("JobId", "job-00000000"), "JobId"),
    ],
)
def test_each_describe_breach_is_named(mutate, path: str) -> None:
    assert path in _first_problem(mutate, "describe")


def test_strict_equality_tells_types_apart() -> None:
    assert strictly_equal({"a": [1, "x", None]}, {"a": [1, "x", None]})
    assert not strictly_equal(True, 1)
    assert not strictly_equal(1, 1.0)
    assert not strictly_equal({"a": 1}, {"a": 1, "b": None})
    assert not strictly_equal([1, 2], [2, 1])


def test_describe_job_lists_may_come_in_any_order_without_repeats() -> None:
    answer = correct_describe()
    answer["DependenceSet"] = answer["DependenceSet"][:1]
    answer["Tags"] = list(reversed(answer["Tags"]))
    assert describe_job_problems(SENT, JOB_ID, answer) == []
