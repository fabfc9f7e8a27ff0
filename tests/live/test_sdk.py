"""The real label-studio-sdk through ls_auth.contrib.sdk, against the real server.

Crossing an access-token expiry. The server's access tokens live 300 s and a stock server
cannot be told otherwise, so the tests do not wait for one to die. What is under test is the
client's decision to refresh, which the native cache makes from two inputs the client owns: its
clock and its margin. Most tests give the client a clock (``Clock``) that a test stops exactly at
the cached token's refresh point (``exp - margin``): to the cache that token is then as due as it
is 270 s later in real time, and the token the server issues next (one second or more later, so a
later ``exp``) is fresh; every request goes to the real server, which really refreshes. One test
instead uses a margin of 297 s and the real clock, so a real token really becomes due after about
3 s. Where the *server* must refuse a token as expired, the test signs a 2-second access token
with the server's own SECRET_KEY (LS_TEST_SECRET_FILE) and gives the client a clock 400 s slow, so
it sends that token after the server has expired it: the 401 and the recovery are the server's.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import httpx
import label_studio_sdk
import pytest
from label_studio_sdk.core.api_error import ApiError

import ls_auth
from ls_auth.contrib.sdk import AsyncLabelStudio, LabelStudio, RefreshFailed

from .conftest import Admin, Server
from .proxy import REFRESH, Proxy

CONFIG = (
    '<View><Text name="text" value="$text"/>'
    '<Choices name="label" toName="text"><Choice value="yes"/><Choice value="no"/></Choices></View>'
)
WHOAMI = "/api/current-user/whoami"


class Clock:
    """The client's clock: real time plus an offset, or stopped at an instant a test picks."""

    def __init__(self, offset: float = 0) -> None:
        self.offset = offset
        self.stopped_at: Optional[float] = None

    def __call__(self) -> float:
        return self.stopped_at if self.stopped_at is not None else time.time() + self.offset

    def stop_at_refresh_point(self, auth: Any, margin: int = 30) -> None:
        """Stops at the cached token's refresh point, at least a second after it was issued (so
        the server's next token has a later `exp`, which is fresh at this instant)."""
        time.sleep(1.2)
        exp = auth.cache.access_exp
        assert exp is not None
        self.stopped_at = exp - margin

    def run(self) -> None:
        self.stopped_at = None


def bearer_headers(proxy: Proxy) -> List[str]:
    return [s.headers.get("authorization", "") for s in proxy.requests() if s.path.split("?")[0] != REFRESH]


def workflow(client: label_studio_sdk.LabelStudio, title: str) -> None:
    project = client.projects.create(title=title, label_config=CONFIG)
    assert project.id is not None
    client.projects.import_tasks(id=project.id, request=[{"text": "alpha"}, {"text": "beta"}])
    assert title in [p.title for p in client.projects.list()]
    assert sorted(t.data["text"] for t in client.tasks.list(project=project.id)) == ["alpha", "beta"]
    client.projects.delete(id=project.id)


async def async_workflow(client: label_studio_sdk.AsyncLabelStudio, title: str) -> None:
    project = await client.projects.create(title=title, label_config=CONFIG)
    assert project.id is not None
    await client.projects.import_tasks(id=project.id, request=[{"text": "alpha"}, {"text": "beta"}])
    assert title in [p.title async for p in await client.projects.list()]
    assert sorted([t.data["text"] async for t in await client.tasks.list(project=project.id)]) == ["alpha", "beta"]
    await client.projects.delete(id=project.id)


@pytest.mark.parametrize("kind", ["pat", "legacy"])
def test_sync_workflow(kind: str, pat: str, legacy: str, proxy: Proxy) -> None:
    key = pat if kind == "pat" else legacy
    client = LabelStudio(base_url=proxy.url, api_key=key)
    assert isinstance(client, label_studio_sdk.LabelStudio) and client.ls_auth.kind == kind
    workflow(client, f"ls-auth sync {kind}")
    sent = bearer_headers(proxy)
    if kind == "pat":
        assert proxy.refreshes() == 1
        assert all(h.startswith("Bearer ") and h != f"Bearer {pat}" for h in sent), sent
    else:
        assert proxy.refreshes() == 0
        assert set(sent) == {f"Token {legacy}"}


@pytest.mark.parametrize("kind", ["pat", "legacy"])
def test_async_workflow(kind: str, pat: str, legacy: str, proxy: Proxy) -> None:
    key = pat if kind == "pat" else legacy

    async def main() -> None:
        client = AsyncLabelStudio(base_url=proxy.url, api_key=key)
        assert isinstance(client, label_studio_sdk.AsyncLabelStudio)
        await async_workflow(client, f"ls-auth async {kind}")

    asyncio.run(main())
    assert proxy.refreshes() == (1 if kind == "pat" else 0)


def test_16_threads_one_refresh_per_expiry(pat: str, proxy: Proxy) -> None:
    clock = Clock()
    client = LabelStudio(base_url=proxy.url, api_key=pat, clock=clock)
    barrier = threading.Barrier(16)
    emails: List[str] = []
    errors: List[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(30)
            emails.append(client.users.whoami().email or "")
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    counts = []
    for expiry in range(3):
        if expiry:
            clock.stop_at_refresh_point(client.ls_auth)
        threads = [threading.Thread(target=worker) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        counts.append(proxy.refreshes())
        clock.run()
    print(f"16 threads, 3 access-token lifetimes: refreshes after each = {counts}")
    assert not errors, errors
    assert len(emails) == 48 and len(set(emails)) == 1
    assert counts == [1, 2, 3]
    assert 401 not in proxy.statuses(WHOAMI)


def test_16_tasks_one_refresh_per_expiry_without_blocking_the_loop(pat: str, proxy: Proxy) -> None:
    # Each refresh is held at the proxy until a coroutine on the client's own event loop lets it
    # through: a refresh that blocked the loop (as the stock SDK's does) would never finish.
    proxy.hold_refreshes = threading.Event()
    clock = Clock()
    counts: List[int] = []
    released: List[int] = []

    async def release_when_held() -> None:
        while not proxy.refresh_arrived.is_set():
            await asyncio.sleep(0.005)
        released.append(proxy.refreshes())
        proxy.hold_refreshes.set()  # type: ignore[union-attr]

    async def main() -> None:
        client = AsyncLabelStudio(base_url=proxy.url, api_key=pat, clock=clock)
        for expiry in range(3):
            if expiry:
                clock.stop_at_refresh_point(client.ls_auth)
            proxy.refresh_arrived.clear()
            proxy.hold_refreshes.clear()  # type: ignore[union-attr]
            releaser = asyncio.create_task(release_when_held())
            users = await asyncio.gather(*(client.users.whoami() for _ in range(16)))
            await releaser
            assert len(users) == 16 and len({u.id for u in users}) == 1
            counts.append(proxy.refreshes())
            clock.run()

    asyncio.run(main())
    print(f"16 asyncio tasks, 3 access-token lifetimes: refreshes after each = {counts}")
    assert counts == [1, 2, 3]
    assert released == [1, 2, 3]
    assert 401 not in proxy.statuses(WHOAMI)


def test_margin_refreshes_before_expiry_with_the_real_clock(pat: str, proxy: Proxy) -> None:
    client = LabelStudio(base_url=proxy.url, api_key=pat, margin=297)
    client.users.whoami()
    cache = client.ls_auth.cache
    first_exp = cache.access_exp
    assert proxy.refreshes() == 1 and first_exp is not None
    deadline = time.time() + 10
    while not cache.needs_refresh() and time.time() < deadline:
        time.sleep(0.2)
    assert cache.needs_refresh(), "a token with 300 s to live is due 297 s early"
    client.users.whoami()
    assert proxy.refreshes() == 2
    assert cache.access_exp is not None and cache.access_exp > first_exp
    assert proxy.statuses(WHOAMI) == [200, 200]


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_401_gets_one_refresh_and_one_retry_never_a_loop(
    flavour: str, pat: str, admin: Admin, server: Server, proxy: Proxy
) -> None:
    # Server-side, between two calls, the organisation turns personal access tokens off. A stock
    # server still refreshes (leniently) but refuses every access token: the retry is refused
    # too. An ls-auth server refuses the refresh itself (token_kind_disabled).
    async def call(client: Any) -> Any:
        return await client.users.whoami() if flavour == "async" else client.users.whoami()

    async def main() -> None:
        cls = AsyncLabelStudio if flavour == "async" else LabelStudio
        client = cls(base_url=proxy.url, api_key=pat)
        await call(client)
        assert proxy.refreshes() == 1
        admin.settings(pats=False, legacy=True)
        with pytest.raises(ApiError) as refused:
            await call(client)
        assert refused.value.status_code == 401
        assert proxy.refreshes() == 2, "one refresh for the 401"
        if server.kind == "stock":
            assert proxy.statuses(WHOAMI) == [200, 401, 401], "one retry, no more"
        else:
            assert isinstance(refused.value, RefreshFailed)
            assert proxy.statuses(WHOAMI) == [200, 401], "no retry without a new token"
        admin.settings(pats=True, legacy=True)
        await call(client)
        assert proxy.refreshes() == 2, "the cached token is good again: no refresh"
        assert proxy.statuses(WHOAMI)[-1] == 200

    asyncio.run(main())


def test_401_retry_recovers_a_token_the_server_expired(pat: str, server: Server, proxy: Proxy) -> None:
    # A client whose clock is 400 s slow holds an access token (signed with the server's key)
    # that the server expires 2 s after issuing it; the client still believes it fresh.
    client = LabelStudio(base_url=proxy.url, api_key=pat, clock=Clock(-400))
    short = ls_auth.Issuer(server.secret, access_ttl=2).refresh(pat)
    client.ls_auth.cache.store_access(short)
    client.users.whoami()
    assert proxy.refreshes() == 0
    time.sleep(3.1)
    assert client.users.whoami().email == server.email
    assert proxy.statuses(WHOAMI) == [200, 401, 200]
    assert proxy.refreshes() == 1


def test_server_side_revocation_fails_the_next_refresh_for_every_thread(
    pat: str, admin: Admin, server: Server, proxy: Proxy
) -> None:
    clock = Clock()
    client = LabelStudio(base_url=proxy.url, api_key=pat, clock=clock)
    client.users.whoami()
    admin.revoke(pat)
    clock.stop_at_refresh_point(client.ls_auth)
    errors: List[BaseException] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait(30)
        try:
            client.users.whoami()
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(errors) == 8 and all(isinstance(e, RefreshFailed) for e in errors), errors
    first = errors[0]
    assert isinstance(first, RefreshFailed) and first.status_code == 401
    if server.kind == "stock":
        assert first.detail == "Token is blacklisted"
    assert "/api/token/refresh/" in str(first)
    assert proxy.refreshes() == 2, "the threads shared one refused refresh"


@pytest.mark.parametrize("slash", ["", "/"])
def test_sub_path_base_url(slash: str, pat: str, subpath_proxy: Proxy) -> None:
    base = subpath_proxy.url + "/labelstudio" + slash
    client = LabelStudio(base_url=base, api_key=pat)
    workflow(client, f"ls-auth sub-path {slash!r}")
    assert subpath_proxy.refreshes() == 1
    assert not [s for s in subpath_proxy.requests() if s.outside]


def test_stock_sdk_loses_the_sub_path_in_its_refresh(pat: str, subpath_proxy: Proxy) -> None:
    # The contrast that makes the test above mean something: the SDK's own refresh
    # (urljoin without the trailing slash) goes to the proxy's root.
    client = label_studio_sdk.LabelStudio(base_url=subpath_proxy.url + "/labelstudio", api_key=pat)
    with pytest.raises(Exception):
        client.users.whoami()
    assert [(s.method, s.path) for s in subpath_proxy.requests() if s.outside] == [("POST", REFRESH)]


def test_key_problems_are_raised_before_any_request(pat: str, server: Server, proxy: Proxy) -> None:
    access = ls_auth.Issuer(server.secret).refresh(pat)
    with pytest.raises(ls_auth.WrongTokenType):
        LabelStudio(base_url=proxy.url, api_key=access)
    issued = int(time.time()) - 3 * 86400
    expired = ls_auth.Issuer(server.secret).mint_pat(admin_id(server), now=issued, settings=ls_auth.OrgSettings(pat_ttl_days=1))
    with pytest.raises(ls_auth.TokenExpired, match="API key has expired"):
        AsyncLabelStudio(base_url=proxy.url, api_key=expired)
    assert proxy.requests() == []


def admin_id(server: Server) -> str:
    return Admin(server).user_id()


def test_environment_variables_as_the_sdk_reads_them(
    legacy: str, proxy: Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LABEL_STUDIO_URL", proxy.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", legacy)
    assert LabelStudio().users.whoami().id is not None
    assert bearer_headers(proxy) == [f"Token {legacy}"]


# -- the user's httpx client ---------------------------------------------------------------


@pytest.fixture()
def tls_proxy(server: Server, test_ca: Dict[str, Path]) -> Any:
    with Proxy(server.url, tls=(str(test_ca["cert"]), str(test_ca["key"]))) as p:
        yield p


def test_custom_ca_headers_and_hooks_apply_to_the_refresh(
    pat: str, tls_proxy: Proxy, test_ca: Dict[str, Path]
) -> None:
    seen: List[Tuple[str, str]] = []
    client = httpx.Client(
        verify=ssl.create_default_context(cafile=str(test_ca["ca"])),
        headers={"X-Deployment": "live-test"},
        event_hooks={"request": [lambda r: seen.append((r.method, r.url.path))]},
        trust_env=False,
    )
    ls = LabelStudio(base_url=tls_proxy.url, api_key=pat, httpx_client=client)
    assert ls.users.whoami().id is not None
    assert ("POST", REFRESH) in seen
    refresh = [s for s in tls_proxy.requests() if s.path == REFRESH]
    assert len(refresh) == 1 and refresh[0].headers.get("x-deployment") == "live-test"
    # Without the CA the same server is refused: the CA above is what made the refresh work.
    with pytest.raises(httpx.ConnectError):
        LabelStudio(base_url=tls_proxy.url, api_key=pat).users.whoami()


def test_stock_async_sdk_drops_the_custom_ca_on_refresh(
    pat: str, tls_proxy: Proxy, test_ca: Dict[str, Path]
) -> None:
    # The contrast: the SDK rebuilds a sync client for its async refresh from `verify=bool`.
    async def main() -> None:
        client = httpx.AsyncClient(verify=ssl.create_default_context(cafile=str(test_ca["ca"])), trust_env=False)
        stock = label_studio_sdk.AsyncLabelStudio(base_url=tls_proxy.url, api_key=pat, httpx_client=client)
        with pytest.raises(httpx.ConnectError):
            await stock.users.whoami()
        ours = AsyncLabelStudio(
            base_url=tls_proxy.url, api_key=pat,
            httpx_client=httpx.AsyncClient(verify=ssl.create_default_context(cafile=str(test_ca["ca"])), trust_env=False),
        )
        assert (await ours.users.whoami()).id is not None

    asyncio.run(main())


def test_forward_proxy_carries_the_refresh(pat: str, server: Server) -> None:
    with Proxy(server.url) as forward:
        client = httpx.Client(proxy=forward.url, trust_env=False)
        LabelStudio(base_url=server.url, api_key=pat, httpx_client=client).users.whoami()
        relayed = [(s.method, s.path, s.forward) for s in forward.requests()]
    assert relayed == [("POST", REFRESH, True), ("GET", WHOAMI, True)]


def test_x_api_key_mode_behind_an_identity_aware_proxy(
    legacy: str, pat: str, server: Server
) -> None:
    with Proxy(server.url, gate=("Authorization", "Bearer gateway-credential")) as gateway:
        gated = {"Authorization": "Bearer gateway-credential"}
        client = LabelStudio(base_url=gateway.url, api_key=legacy, api_key_header="X-Api-Key", headers=gated)
        workflow(client, "ls-auth behind a gateway")
        assert {s.headers.get("x-api-key") for s in gateway.requests()} == {legacy}
        # Without the gateway's credential the gateway itself refuses.
        with pytest.raises(ApiError) as refused:
            LabelStudio(base_url=gateway.url, api_key=legacy, api_key_header="X-Api-Key").users.whoami()
        assert refused.value.status_code == 403
        # A PAT: its refresh carries the gateway's credential through the gateway. Label Studio
        # 1.23 reads X-Api-Key as `Token <value>`, so a stock server refuses the access token:
        # that 401 gets its one refresh and one retry, and surfaces.
        before = gateway.refreshes()
        with_pat = LabelStudio(base_url=gateway.url, api_key=pat, api_key_header="X-Api-Key", headers=gated)
        if server.kind == "stock":
            with pytest.raises(ApiError) as stock_refusal:
                with_pat.users.whoami()
            assert stock_refusal.value.status_code == 401
            assert gateway.refreshes() - before == 2
        else:
            with_pat.users.whoami()
            assert gateway.refreshes() - before == 1
        assert all(s.status == 200 for s in gateway.requests() if s.path == REFRESH)
