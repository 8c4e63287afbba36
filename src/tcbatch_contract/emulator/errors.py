"""The one error type of the emulator and the texts of its messages.

Every refusal, whether a protocol rule or a business rule, is an ``ApiError(code,
message)``; the app turns it into the error envelope. Messages follow the real service's
style and name the parameter path. Paths and values echoed from a request are shortened,
so that a hostile request cannot make an error message megabytes long.
"""

from __future__ import annotations

from .. import codes

_ECHO_LIMIT = 120


class ApiError(Exception):
    """A request refused with an API error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message


def echo(text: object) -> str:
    """``text`` shortened for a message."""
    text = str(text)
    return text if len(text) <= _ECHO_LIMIT else text[:_ECHO_LIMIT] + "..."


def missing(path: str) -> ApiError:
    return ApiError(
        codes.MISSING_PARAMETER, f"The request is missing a required parameter `{echo(path)}`."
    )


def unknown(path: str) -> ApiError:
    return ApiError(
        codes.UNKNOWN_PARAMETER,
        f"The parameter `{echo(path)}` is not recognized; remove it from the request.",
    )


def invalid(path: str, why: str) -> ApiError:
    return ApiError(codes.INVALID_PARAMETER, f"The parameter `{echo(path)}` is invalid: {why}.")


def malformed(why: str) -> ApiError:
    return ApiError(codes.INVALID_PARAMETER, f"The request is malformed: {why}.")


def too_large(why: str) -> ApiError:
    return ApiError(codes.REQUEST_SIZE_LIMIT_EXCEEDED, f"The request is too large: {why}.")
