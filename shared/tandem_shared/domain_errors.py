"""Business-rule refusals every service's domain raises: plain exceptions, no web framework.

A service's rules (pure functions, no I/O) raise these; `create_service_app` registers one
handler that answers any of them as JSON `{"detail": ...}` with the error's 4xx status.
"""

from __future__ import annotations


class DomainError(Exception):
    """A business rule said no; `detail` says what is wrong, `status_code` how to answer."""

    status_code = 422

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidRequest(DomainError):
    status_code = 422


class Conflict(DomainError):
    status_code = 409


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    """The caller is known but this action is not theirs (e.g. only a fund's funder awards)."""

    status_code = 403
