"""Recording and replaying exchanges with the emulator: vcrpy's format, strict replay."""

from __future__ import annotations

import json
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import vcr
from vcr.cassette import Cassette

from tcbatch_contract.emulator import EmulatorConfig, make_app
from tcbatch_contract.recording import (
    CassetteError,
    KeyContext,
    RecordingTransport,
    ReplayMiss,
    ReplayTransport,
    RunRecord,
)
from tcbatch_contract.recording.cassette import CASSETTE_FILE, generator_fingerprint, save
from tcbatch_contract.transport import (
    Client,
    Credential,
    TransportError,
    WireRequest,
    WireResponse,
    WsgiTransport,
)

SECRET = Credential("AKIDrecordTEST0000000000000000000001", "recordTESTsecretKey000000001",
                    token="recordTESTtoken0000000001")  # fmt: skip
REPLAYER = Credential("AKIDreplayerTEST00000000000000000002", "replayerTESTsecretKey0000002",
                      token="replayerTESTtoken00002")  # fmt: skip
HOST = "127.0.0.1:9000"
JOB = {
    "Placement": {"Zone": "ap-guangzhou-1"},
    "Job": {
        "JobName": "recorded",
        "Tasks": [
            {
                "TaskName": "t0",
                "Application": {"DeliveryForm": "LOCAL", "Command": "echo hi"},
                "ComputeEnv": {"EnvData": {"InstanceType": "S5.SMALL1"}},
                "Authentications": [{"Scene": "COS", "SecretId": "payloadId", "SecretKey": "pk"}],
            }
        ],
    },
}


def record_for(transport, directory: Path, calls) -> RecordingTransport:
    recorder = RecordingTransport(
        transport,
        KeyContext({"main": SECRET}),
        base_url=f"http://{HOST}",
        secrets=[SECRET.secret_id, SECRET.secret_key, SECRET.token or ""],
    )
    calls(Client(recorder, SECRET, "ap-guangzhou", host=HOST))
    save(directory, recorder.interactions, run_record(), recorder.secrets, recorder.scrub)
    return recorder


def run_record() -> RunRecord:
    return RunRecord(
        label="a test", source="emulator", target="emulator", base_url=f"http://{HOST}",
        host=HOST, scheme="http", recorded="2025-01-01T00:00:00Z", tool_version="test",
        profile={"region": "ap-guangzhou", "regions": ["ap-guangzhou"], "denied": False},
        settings={}, generator=generator_fingerprint(),
    )  # fmt: skip


def emulator_transport() -> WsgiTransport:
    config = EmulatorConfig(secret_id=SECRET.secret_id, secret_key=SECRET.secret_key,
                            rate_limit=None)  # fmt: skip
    return WsgiTransport(make_app(config), host=HOST)


def lifecycle(client: Client) -> list:
    submitted = client.call("SubmitJob", JOB)
    job = submitted.job_id
    return [
        submitted,
        client.call("DescribeJob", {"JobId": job}, form="v1-get"),
        client.call("DescribeJob", {"JobId": "job-zzzz9999"}),
        client.call("TerminateJob", {"JobId": job}, form="tc3-get"),
        client.call("DeleteJob", {"JobId": job}, form="v1-post"),
    ]


def replayer(directory: Path) -> tuple[ReplayTransport, Client]:
    transport = ReplayTransport(directory, KeyContext({"main": REPLAYER}))
    return transport, Client(transport, REPLAYER, "ap-guangzhou", host=transport.host)


def test_a_replay_answers_what_was_recorded_with_other_credentials(tmp_path: Path) -> None:
    recorded: list = []
    record_for(emulator_transport(), tmp_path, lambda c: recorded.extend(lifecycle(c)))
    assert recorded[0].job_id and recorded[2].code == "ResourceNotFound.Job"
    transport, client = replayer(tmp_path)
    replayed = lifecycle(client)
    assert [r.code for r in replayed] == [r.code for r in recorded]
    assert [r.response for r in replayed] == [r.response for r in recorded]
    assert transport.unplayed() == [] and transport.misses == []


def test_vcrpy_loads_what_is_written(tmp_path: Path) -> None:
    record_for(emulator_transport(), tmp_path, lifecycle)
    path = str(tmp_path / CASSETTE_FILE)
    with vcr.use_cassette(path, record_mode="none") as cassette:
        assert len(cassette) == 5
        assert [r.method for r in cassette.requests] == ["POST", "GET", "POST", "GET", "POST"]
    loaded = Cassette.load(path=path, record_mode="none")
    response = loaded.responses[0]
    assert response["status"]["code"] == 200
    assert json.loads(response["body"]["string"])["Response"]["JobId"].startswith("job-")
    assert loaded.requests[0].headers["X-TC-Action"] == "SubmitJob"


def test_nothing_secret_is_written(tmp_path: Path) -> None:
    def calls(client: Client) -> None:
        lifecycle(client)
        for form in ("v1-get", "v1-post", "tc3-get"):  # the payload's keys, flattened
            client.call("SubmitJob", JOB, form=form)

    recorder = record_for(emulator_transport(), tmp_path, calls)
    text = (tmp_path / CASSETTE_FILE).read_text() + (tmp_path / "run.json").read_text()
    for secret in (SECRET.secret_id, SECRET.secret_key, SECRET.token, "payloadId"):
        assert secret not in text
    assert "Signature=***" in text and "Credential=***/" in text
    assert "X-TC-Token" in text and len(recorder.interactions) == 8
    assert "Authentications.0.SecretKey=***" in text


def test_a_request_never_recorded_is_refused_loudly(tmp_path: Path) -> None:
    record_for(emulator_transport(), tmp_path, lambda c: c.call("DescribeJob", {"JobId": "x"}))
    transport, client = replayer(tmp_path)
    with pytest.raises(ReplayMiss, match=r"no recording of this DescribeJob.*differs in body"):
        client.call("DescribeJob", {"JobId": "y"})
    client.call("DescribeJob", {"JobId": "x"})
    with pytest.raises(ReplayMiss, match="sent more often than when the run was recorded"):
        client.call("DescribeJob", {"JobId": "x"})
    assert len(transport.misses) == 2


def test_no_answer_replays_as_no_answer_and_the_date_keeps_its_offset(tmp_path: Path) -> None:
    class Flaky:
        host = HOST

        def __init__(self) -> None:
            self.calls = 0

        def send(self, request: WireRequest, timeout: float) -> WireResponse:
            self.calls += 1
            if self.calls == 1:
                raise TransportError("timeout", "no complete answer within 1.0 s")
            body = b'{"Response": {"RequestId": "r1"}}'
            date = "Wed, 01 Jan 2025 00:00:10 GMT"  # 10 s after the recorder's clock
            return WireResponse(200, {"content-type": "application/json", "date": date}, body)

    recorder = RecordingTransport(Flaky(), KeyContext({"main": SECRET}), base_url="http://h",
                                  secrets=[SECRET.secret_key], clock=lambda: 1735689600.0)  # fmt: skip
    client = Client(recorder, SECRET, "ap-guangzhou", host=HOST, clock=lambda: 1735689600.0)
    with pytest.raises(TransportError):
        client.call("DescribeJob", {"JobId": "a"})
    client.call("DescribeJob", {"JobId": "a"})
    save(tmp_path, recorder.interactions, run_record(), recorder.secrets, recorder.scrub)
    _, replay_client = replayer(tmp_path)
    with pytest.raises(TransportError, match="timeout"):
        replay_client.call("DescribeJob", {"JobId": "a"})
    before = replay_client.clock()
    answer = replay_client.call("DescribeJob", {"JobId": "a"})
    date = parsedate_to_datetime(answer.wire_response.headers["date"]).timestamp()
    assert 9 <= date - before <= 12
    assert "x-tcbatch-clock-offset" not in answer.wire_response.headers


def test_a_write_that_would_leak_a_secret_is_refused(tmp_path: Path) -> None:
    recorder = RecordingTransport(emulator_transport(), KeyContext({"main": SECRET}),
                                  base_url=f"http://{HOST}", secrets=[])  # fmt: skip
    Client(recorder, SECRET, "ap-guangzhou", host=HOST).call("DescribeJob", {"JobId": "z"})
    with pytest.raises(CassetteError, match="secret survived"):
        save(tmp_path, recorder.interactions, run_record(), ["127.0.0.1"])
    assert not (tmp_path / CASSETTE_FILE).exists()


def test_a_directory_without_a_recording_is_named(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match="holds no recorded run"):
        ReplayTransport(tmp_path, KeyContext({"main": REPLAYER}))
