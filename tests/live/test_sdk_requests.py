"""The SDK's requests-based paths (its download helpers, its legacy ``Client``) with any key,
through ls_auth.contrib.sdk, against the real server, with legacy keys off as a new
organisation has them."""

from __future__ import annotations

import base64
import secrets
import threading
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
import label_studio_sdk
import requests
from label_studio_sdk._extensions.label_studio_tools.core.utils import io as sdk_io

from ls_auth.contrib import sdk
from ls_auth.contrib.requests import RefreshFailed

from .conftest import Admin, Server
from .listener import Listener
from .proxy import REFRESH, Proxy

IMAGE_CONFIG = (
    '<View><Image name="img" value="$image"/>'
    '<Choices name="label" toName="img"><Choice value="cat"/><Choice value="dog"/></Choices></View>'
)
# A valid 1x1 PNG: Label Studio checks an upload's type by its content.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5ErkJggg=="
)


@pytest.fixture()
def recorder() -> Iterator[Listener]:
    r = Listener(content_type="image/png", body=PNG)
    yield r
    r.close()


@pytest.fixture()
def pats_only(admin: Admin) -> None:
    admin.settings(pats=True, legacy=False)


def cache(path: Path) -> str:
    """A cache directory for the SDK's helpers, which write into it without creating it."""
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def uploaded_image_task(client: sdk.Client, tmp_path: Path) -> Dict[str, object]:
    """A project with one task made from an uploaded PNG: its data URL is /data/upload/…."""
    project = client.start_project(title=f"ls-auth media {secrets.token_hex(3)}", label_config=IMAGE_CONFIG)
    image = tmp_path / "cat.png"
    image.write_bytes(PNG)
    project.import_tasks(str(image))
    tasks = project.get_tasks()
    assert len(tasks) == 1, tasks
    url = tasks[0]["data"]["image"]
    assert "/data/upload/" in url, url
    return {"project": project, "task_id": tasks[0]["id"], "url": url}


@pytest.mark.usefixtures("pats_only")
def test_legacy_client_and_download_helpers_with_a_pat_only(pat: str, legacy: str, server: Server,
                                                            tmp_path: Path) -> None:
    # The stock paths fail with a PAT: the legacy Client sends `Token <PAT>`.
    with pytest.raises(requests.HTTPError) as stock:
        label_studio_sdk.Client(url=server.url, api_key=pat).get_projects()
    assert stock.value.response.status_code == 401

    client = sdk.Client(server.url, pat)
    assert client.session.kind == "pat"
    made = uploaded_image_task(client, tmp_path)
    project, task_id, url = made["project"], made["task_id"], str(made["url"])
    assert any(p.params["id"] == project.params["id"] for p in client.get_projects())  # type: ignore[attr-defined]
    exported = project.export_tasks(download_all_tasks=True)  # type: ignore[attr-defined]
    assert [t["id"] for t in exported] == [task_id]

    # The stock download helper sends the PAT as a Bearer token: 401.
    with pytest.raises(requests.HTTPError) as stock_download:
        sdk_io.get_local_path(url, hostname=server.url, access_token=pat, cache_dir=cache(tmp_path / "stock"),
                              task_id=task_id)
    assert stock_download.value.response.status_code == 401

    path = sdk.get_local_path(url, hostname=server.url, access_token=pat, cache_dir=cache(tmp_path / "c1"),
                              task_id=task_id)
    assert Path(path).read_bytes() == PNG
    assert base64.b64decode(sdk.get_base64_content(url, hostname=server.url, access_token=pat)) == PNG
    full = server.url + url
    cached = sdk.download_and_cache(full, cache(tmp_path / "c2"), True, server.url, pat, False, False, False, None)
    assert Path(cached).read_bytes() == PNG
    # Legacy keys are off: the same helpers with the legacy key are refused by the server.
    with pytest.raises(requests.HTTPError):
        sdk.get_base64_content(url, hostname=server.url, access_token=legacy)
    project.delete_project(project.params["id"])  # type: ignore[attr-defined]


@pytest.mark.usefixtures("pats_only")
def test_a_task_on_another_origin_gets_no_credential(pat: str, server: Server, recorder: Listener,
                                                     tmp_path: Path) -> None:
    url = recorder.url + "/bucket/cat.png?X-Amz-Signature=abc"
    for fetch in (
        lambda: Path(sdk.get_local_path(url, hostname=server.url, access_token=pat,
                                        cache_dir=cache(tmp_path))).read_bytes(),
        lambda: base64.b64decode(sdk.get_base64_content(url, hostname=server.url, access_token=pat)),
    ):
        assert fetch() == PNG
    assert len(recorder.received) == 2
    assert recorder.leaks(pat) == [], recorder.received


@pytest.mark.usefixtures("pats_only")
def test_installed_download_auth_serves_code_that_calls_the_sdk(pat: str, server: Server, recorder: Listener,
                                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An ML backend calls the SDK's helpers itself, with LABEL_STUDIO_URL and
    LABEL_STUDIO_API_KEY (a PAT) in its environment, from worker threads."""
    monkeypatch.setenv("LABEL_STUDIO_URL", server.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", pat)
    client = sdk.Client()
    made = uploaded_image_task(client, tmp_path)
    original = sdk_io.http_get
    sdk.install_download_auth()
    assert sdk_io.http_get is not original
    try:
        results: List[bytes] = []

        def backend_worker() -> None:
            local = sdk_io.get_local_path(str(made["url"]), task_id=made["task_id"], cache_dir=cache(tmp_path / "w"))
            results.append(Path(local).read_bytes())
            other = sdk_io.get_local_path(recorder.url + "/x.png", cache_dir=cache(tmp_path / "o"))
            results.append(Path(other).read_bytes())

        worker = threading.Thread(target=backend_worker)
        worker.start()
        worker.join(60)
        assert results == [PNG, PNG]
        assert recorder.received and recorder.leaks(pat) == [], recorder.received
    finally:
        sdk.uninstall_download_auth()
    assert sdk_io.http_get is original
    made["project"].delete_project(made["project"].params["id"])  # type: ignore[attr-defined]


def test_a_legacy_key_once_the_organisation_enables_it(cli, pat: str, legacy: str, server: Server,  # type: ignore[no-untyped-def]
                                                        admin: Admin, tmp_path: Path) -> None:
    admin.settings(pats=True, legacy=False)
    with pytest.raises(requests.HTTPError):
        sdk.Client(server.url, legacy).get_projects()
    on = cli("org", "set", "--legacy-tokens", "on", key=pat)
    assert on.code == 0, on.err
    client = sdk.Client(server.url, legacy)
    assert client.session.kind == "legacy"
    made = uploaded_image_task(client, tmp_path)
    assert base64.b64decode(sdk.get_base64_content(str(made["url"]), hostname=server.url, access_token=legacy)) == PNG
    made["project"].delete_project(made["project"].params["id"])  # type: ignore[attr-defined]


def test_pats_turned_off_and_on_get_one_refresh_and_one_retry(pat: str, admin: Admin, proxy: Proxy,
                                                             server: Server) -> None:
    client = sdk.Client(proxy.url, pat)
    client.get_projects()
    assert proxy.refreshes() == 1
    admin.settings(pats=False, legacy=True)
    # The access token is refused; one exchange is tried, and no loop follows. Ours refuses the
    # exchange while PATs are off (contract §1.2); stock exchanges it and refuses the new access
    # token, so the one retry is refused too.
    if server.kind == "ls_auth":
        with pytest.raises(RefreshFailed) as failed:
            client.get_projects()
        assert failed.value.response.status_code == 401
        assert proxy.statuses("/api/projects") == [200, 401]
    else:
        with pytest.raises(requests.HTTPError) as refused:
            client.get_projects()
        assert refused.value.response.status_code == 401
        assert proxy.statuses("/api/projects") == [200, 401, 401]
    assert proxy.refreshes() == 2
    admin.settings(pats=True, legacy=True)
    client.get_projects()
    assert proxy.statuses("/api/projects")[-1] == 200
    assert proxy.refreshes() <= 3
    assert REFRESH not in [s.path for s in proxy.requests()][-1:]


@pytest.mark.usefixtures("pats_only")
def test_the_ml_backend_example_runs_with_a_pat(pat: str, server: Server, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    made = uploaded_image_task(sdk.Client(server.url, pat), tmp_path)
    example = Path(__file__).resolve().parents[2] / "bindings" / "python" / "examples" / "ml_backend_data.py"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABEL_STUDIO_", "LS_AUTH_"))}
    env.update(LABEL_STUDIO_URL=server.url, LABEL_STUDIO_API_KEY=pat, HOME=str(tmp_path))
    project_id = made["project"].params["id"]  # type: ignore[attr-defined]
    p = subprocess.run([sys.executable, str(example), str(project_id)], env=env, capture_output=True,
                       text=True, timeout=120, cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"task {made['task_id']} image:" in p.stdout and f"({len(PNG)} bytes)" in p.stdout, p.stdout
    assert pat not in p.stdout + p.stderr
    made["project"].delete_project(project_id)  # type: ignore[attr-defined]


@pytest.mark.usefixtures("pats_only")
def test_the_helpers_and_the_legacy_client_share_one_access_token(pat: str, proxy: Proxy, tmp_path: Path) -> None:
    client = sdk.Client(proxy.url, pat)
    made = uploaded_image_task(client, tmp_path)
    url = str(made["url"])
    assert base64.b64decode(sdk.get_base64_content(url, hostname=proxy.url, access_token=pat)) == PNG
    path = sdk.get_local_path(url, hostname=proxy.url, access_token=pat, cache_dir=cache(tmp_path / "c"),
                              task_id=made["task_id"])
    assert Path(path).read_bytes() == PNG
    client.get_projects()
    # One exchange for the legacy Client and both helpers: they hold one access token per key
    # and base URL within its lifetime.
    assert proxy.refreshes() == 1
    made["project"].delete_project(made["project"].params["id"])  # type: ignore[attr-defined]
