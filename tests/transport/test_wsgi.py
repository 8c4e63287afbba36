"""The in-process transport: a hanging app is a timeout, and kept threads block nothing."""

from __future__ import annotations

import threading

import pytest

from tcbatch_contract.transport import TransportError, WireRequest, WsgiTransport

REQUEST = WireRequest("POST", "/", headers=[("Host", "x"), ("Content-Type", "application/json")])


def answering(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [environ["wsgi.input"].read() or b"{}"]


def test_a_hanging_app_is_a_timeout_and_the_next_exchange_is_answered() -> None:
    release = threading.Event()

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/hang":
            release.wait(10)
        return answering(environ, start_response)

    transport = WsgiTransport(app)
    try:
        with pytest.raises(TransportError) as caught:
            transport.send(WireRequest("POST", "/hang", body=b"{}"), timeout=0.2)
        assert caught.value.kind == "timeout"
        # the thread still inside the app is not handed the next exchange
        answer = transport.send(WireRequest("POST", "/", body=b'{"n": 1}'), timeout=5)
        assert (answer.status, answer.body) == (200, b'{"n": 1}')
    finally:
        release.set()


def test_exchanges_in_flight_at_once_run_at_once() -> None:
    # each app call waits for the other: answered only if they run side by side
    both = threading.Barrier(2, timeout=5)

    def app(environ, start_response):
        both.wait()
        return answering(environ, start_response)

    transport = WsgiTransport(app)
    answers: list[int] = []

    def exchange() -> None:
        answers.append(transport.send(REQUEST, timeout=5).status)

    threads = [threading.Thread(target=exchange) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert answers == [200, 200]


def test_an_app_that_raises_answers_500_and_the_thread_serves_on() -> None:
    calls: list[str] = []

    def app(environ, start_response):
        calls.append(threading.current_thread().name)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return answering(environ, start_response)

    transport = WsgiTransport(app)
    first = transport.send(REQUEST, timeout=5)
    second = transport.send(REQUEST, timeout=5)
    assert first.status == 500 and b"boom" in first.body
    assert second.status == 200
    assert threading.current_thread().name not in calls  # never in the caller's thread


def test_an_app_that_exits_is_a_dropped_exchange_and_the_next_one_is_answered() -> None:
    calls: list[int] = []

    def app(environ, start_response):
        calls.append(1)
        if len(calls) == 1:
            raise SystemExit(3)
        return answering(environ, start_response)

    transport = WsgiTransport(app)
    with pytest.raises(TransportError) as caught:
        transport.send(REQUEST, timeout=5)
    assert caught.value.kind == "dropped"
    assert transport.send(REQUEST, timeout=5).status == 200
