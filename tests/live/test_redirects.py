"""Issue 17 against the real server: behind a proxy that redirects to another origin (a recording
listener on another port), the SDK wrapper's key reaches Label Studio and never the listener."""

from __future__ import annotations

from typing import Iterator

import pytest

from ls_auth.contrib.sdk import LabelStudio, RefreshFailed

from .conftest import Server
from .listener import Listener
from .proxy import REFRESH, Proxy


@pytest.fixture()
def listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.close()


@pytest.mark.parametrize("kind,header", [("legacy", "X-Api-Key"), ("legacy", "Authorization"),
                                         ("pat", "Authorization")])
@pytest.mark.parametrize("status", [303, 307])
def test_a_redirect_to_another_origin_gets_no_key(
    kind: str, header: str, status: int, legacy: str, pat: str, server: Server, listener: Listener
) -> None:
    key = legacy if kind == "legacy" else pat
    moved = {"/api/projects/1/": (status, f"{listener.url}/presigned/object?sig=s")}
    with Proxy(server.url, redirect=moved) as proxy:
        client = LabelStudio(base_url=proxy.url, api_key=key, api_key_header=header)  # type: ignore[arg-type]
        client.users.whoami()  # the real server takes the key through the proxy
        client.projects.get(id=1)  # redirected: the SDK reads the listener's `{}` as an empty project
    assert [r["path"] for r in listener.received] == ["/presigned/object?sig=s"]
    assert listener.leaks(key) == [], listener.received


@pytest.mark.parametrize("status", [307, 308])
def test_a_redirected_refresh_sends_nothing_to_the_other_origin(
    status: int, pat: str, server: Server, listener: Listener
) -> None:
    with Proxy(server.url, redirect={REFRESH: (status, f"{listener.url}/steal")}) as proxy:
        client = LabelStudio(base_url=proxy.url, api_key=pat)
        with pytest.raises(RefreshFailed) as info:
            client.users.whoami()
    assert listener.received == []
    assert listener.url in str(info.value) and "/steal" not in str(info.value)
