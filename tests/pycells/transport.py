"""The CPython side of the code cells' connection: an HTTP transport for the tests.

In the browser the worker POSTs with XMLHttpRequest and fetch; here httpx does, with a
bearer token, against a live server. Everything else (the connection classes, the
runner) is the code the browser runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tryredis.pycells.connection import RESP_TYPE, Endpoint, HTTPReply, install, uninstall


def _reply(response: httpx.Response) -> HTTPReply:
    retry = response.headers.get("retry-after")
    return HTTPReply(response.status_code, response.content, float(retry) if retry else None)


def new_token(base_url: str) -> str:
    """A fresh sandbox's bearer token."""
    response = httpx.post(f"{base_url}/api/v1/sessions")
    response.raise_for_status()
    token: str = response.json()["token"]
    return token


@contextmanager
def sandbox_clients(base_url: str, token: str | None = None) -> Iterator[Endpoint]:
    """redis-py routed to a sandbox of ``base_url`` (as the worker does) for the block.

    The endpoint POSTs to /api/v1/resp with the bearer token (a new sandbox's unless
    given); its ``requests`` counts them and ``on_send`` may watch them.
    """
    url = f"{base_url}/api/v1/resp"
    headers = {
        "Authorization": f"Bearer {token or new_token(base_url)}",
        "Content-Type": RESP_TYPE,
    }
    with httpx.Client(headers=headers, timeout=30) as client:

        def post(body: bytes) -> HTTPReply:
            return _reply(client.post(url, content=body))

        async def apost(body: bytes) -> HTTPReply:
            # verify=False: plain http to the test server; loading CA certificates for each
            # client would cost 0.1 s a request.
            async with httpx.AsyncClient(
                headers=headers,
                timeout=30,
                verify=False,  # noqa: S501 (plain http)
            ) as async_client:
                return _reply(await async_client.post(url, content=body))

        endpoint = Endpoint(post, apost)
        install(endpoint)
        try:
            yield endpoint
        finally:
            uninstall()
