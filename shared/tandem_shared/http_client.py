"""A small synchronous client for Tandem's HTTP APIs: the demo seeder and the e2e test use it.

Errors carry the service's own `detail`, so a failed call says what was wrong.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


class ApiError(Exception):
    def __init__(self, method: str, url: str, status: int, detail: Any) -> None:
        super().__init__(f"{method} {url} → {status}: {detail}")
        self.status = status
        self.detail = detail


class ServiceClient:
    def __init__(self, base_url: str, api_key: str, timeout_s: float = 30.0) -> None:
        self._http = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout_s,
        )

    def as_key(self, api_key: str) -> ServiceClient:
        return ServiceClient(str(self._http.base_url), api_key)

    def request(
        self, method: str, path: str, *, expect: tuple[int, ...] = (200, 201), **kwargs: Any
    ) -> Any:
        response = self._http.request(method, path, **kwargs)
        if response.status_code not in expect:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise ApiError(method, str(response.url), response.status_code, detail)
        return response.json() if response.content else None

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, json=json, **kwargs)

    def status_of(self, method: str, path: str, **kwargs: Any) -> int:
        return self._http.request(method, path, **kwargs).status_code

    def close(self) -> None:
        self._http.close()


def eventually(
    fetch: Callable[[], T],
    ok: Callable[[T], bool] = bool,
    *,
    timeout_s: float = 60.0,
    interval_s: float = 0.25,
    what: str = "condition",
) -> T:
    """Poll `fetch` until `ok(result)`: events cross services asynchronously.

    An ApiError with status 404 counts as "not there yet" (the consumer hasn't caught up).
    """
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while True:
        try:
            last = fetch()
            if ok(last):
                return last
        except ApiError as exc:
            if exc.status != 404:
                raise
            last = exc
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s}s waiting for {what}; last: {last}")
        time.sleep(interval_s)
