"""Typed errors shared by every app.

An error carries a stable ``code`` (for the API and tests) and a translatable message (for
people). Apps subclass :class:`SafetyNetError` in their own ``errors.py``.
"""

from __future__ import annotations

from typing import Any


class SafetyNetError(Exception):
    """A refusal the caller can show: a code, a message in plain words, and details."""

    code: str = "error"
    status: int = 400

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = str(message)
        if code is not None:
            self.code = code
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            out["details"] = {k: _plain(v) for k, v in self.details.items()}
        return out

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class ValidationFailed(SafetyNetError):
    code = "invalid"
    status = 400


class NotFound(SafetyNetError):
    """Also what a user gets for a record outside their region: existence is not leaked."""

    code = "not_found"
    status = 404


class PermissionDenied(SafetyNetError):
    code = "forbidden"
    status = 403


class Conflict(SafetyNetError):
    code = "conflict"
    status = 409


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)
