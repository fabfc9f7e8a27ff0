"""Label Studio's token pages in a real browser (issue 19, item 4).

Debian's Chromium, driven by Selenium through Debian's chromedriver, against a server started with
our settings module and against stock: log in; Account & Settings -> Personal Access Token: create
a token, read it from the page, use it through ``ls_auth.contrib.sdk.LabelStudio``; revoke it on
the page and see the SDK refused; Organization -> API Tokens Settings: turn legacy tokens on;
Account & Settings -> Legacy Token: use the key the page shows through the SDK; switch legacy tokens
off again and see the SDK refused with that key (so the switch, not luck, let it in). A screenshot of
every step goes to target/browser/<kind>/NN-step.png (with the page's HTML beside it).

Two halves, two interpreters: ``browser_part`` runs in the runner (system python3, standard library
only): it installs Chromium (apt-get) and Selenium (target/ls-browser-venv), starts each server and
turns the driver's lines into checks. ``drive`` runs under target/ls-browser-venv and clicks; the
SDK calls go through the server venv's python (which holds label-studio-sdk and our wheel), the key
handed over on stdin so it never appears in an argument list or a log.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import PY, T, Checks, Fatal, oneline, run, say  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
BVENV = T / "ls-browser-venv"
BPY = BVENV / "bin" / "python"
SELENIUM = "selenium==4.51.0"
SHOTS = T / "browser"
DRIVE_TIMEOUT = int(os.environ.get("LS_BROWSER_TIMEOUT", "240"))
APT = ["apt-get", "-o", "DPkg::Lock::Timeout=600"]
EMAIL = "browser@example.com"
STEPS = ["login", "pat-create", "pat-sdk", "pat-revoke", "pat-refused", "legacy-enable", "legacy-page", "legacy-sdk",
         "legacy-disable", "legacy-refused"]


# -- the runner's half (system python3) ------------------------------------------------------------

def chromium() -> None:
    """Debian's chromium and chromium-driver; apt-get installs them when missing (root only). No
    browser is not a reason to skip: the caller reports it as a failure."""
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return
    if os.geteuid() != 0:
        raise Fatal("chromium / chromium-driver are not installed and this is not root: "
                    "apt-get install chromium chromium-driver")
    if not shutil.which("apt-get"):
        raise Fatal("chromium / chromium-driver are not installed and there is no apt-get")
    say("installing Debian's chromium and chromium-driver packages (apt-get)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run([*APT, "update", "-q"], env=env, timeout=1200)
    rc, out, err = run([*APT, "install", "-y", "-q", "chromium", "chromium-driver"], env=env, timeout=1800)
    if rc != 0 or not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        raise Fatal(f"apt-get install chromium chromium-driver failed: {oneline(err[-500:])}")


def browser_venv() -> None:
    """target/ls-browser-venv with Selenium only: kept apart from Label Studio's venv so its
    dependencies cannot move the versions Label Studio's own suite runs with."""
    stamp = BVENV / ".ls-auth-packages"
    if BPY.exists() and stamp.exists() and stamp.read_text() == SELENIUM:
        return
    say(f"installing {SELENIUM} into {BVENV}")
    if not BPY.exists():
        rc, _, err = run(["python3", "-m", "venv", BVENV])
        if rc != 0:
            raise Fatal(f"cannot create {BVENV}: {err}")
    rc, out, err = run([BPY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", SELENIUM],
                       timeout=int(os.environ.get("LS_PIP_TIMEOUT", "1800")))
    if rc != 0:
        raise Fatal(f"pip install {SELENIUM} failed: {oneline(err[-400:])}")
    stamp.write_text(SELENIUM)


def browser_part(checks: Checks, site: Path, timings: Dict[str, float]) -> None:
    """Both servers, each fresh, each through every step."""
    from server import Server

    t0 = time.monotonic()
    try:
        chromium()
        browser_venv()
    except Fatal as e:
        checks.bad("browser.setup", str(e))
        return
    timings["browser: chromium, selenium"] = time.monotonic() - t0
    for kind in ("stock", "ls_auth"):
        started = time.monotonic()
        server = Server(kind, site, EMAIL, f"browser-pass-{secrets.token_hex(8)}")
        # Its own data dir and log, so the servers part's stay for a person to read.
        server.data = T / f"ls-server-data-browser-{kind}"
        server.work = server.work.with_name(f"browser-{kind}")
        try:
            server.prepare()
            server.start()
            drive_server(checks, server)
        except Fatal as e:
            checks.bad(f"browser.{kind}.server", str(e))
        except Exception as e:  # noqa: BLE001 - report and go on with the other server
            checks.bad(f"browser.{kind}", f"{type(e).__name__}: {oneline(str(e))}")
            traceback.print_exc()
        finally:
            server.stop()
            timings[f"browser against {kind}: start, steps"] = time.monotonic() - started


def drive_server(checks: Checks, server: Any) -> None:
    shots = SHOTS / server.kind
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    say(f"browser: Chromium through the token pages of the {server.kind} server (screenshots: {shots})")
    env = dict(os.environ, NO_PROXY="*", no_proxy="*", LS_BROWSER_BASE=server.base, LS_BROWSER_EMAIL=server.email,
               LS_BROWSER_PASSWORD=server.password, LS_BROWSER_SHOTS=str(shots), LS_BROWSER_SDK_PY=str(PY))
    rc, out, err = run([BPY, str(Path(__file__).resolve()), "drive"], env=env, timeout=DRIVE_TIMEOUT)
    (shots / "driver.log").write_text(out + err)
    seen = set()
    for line in out.splitlines():
        if not line.startswith("STEP "):
            continue
        step = json.loads(line[5:])
        seen.add(step["name"])
        checks.check(f"browser.{server.kind}.{step['name']}", step["ok"], step["evidence"])
    for name in STEPS:
        if name not in seen:
            why = "timeout" if rc == 124 else f"driver exit {rc}"
            checks.bad(f"browser.{server.kind}.{name}",
                       f"not reached ({why}; {oneline(err[-300:]) or 'no stderr'}; log {shots}/driver.log)")


# -- the driver's half (target/ls-browser-venv) ----------------------------------------------------

SDK_CODE = r"""
import json, os, sys
from ls_auth.contrib.sdk import LabelStudio, RefreshFailed
key = sys.stdin.read().strip()
try:
    client = LabelStudio(base_url=os.environ["LS_BROWSER_BASE"], api_key=key)
    me = client.users.whoami()
    projects = client.projects.list()
    n = sum(1 for _ in projects)
    print(json.dumps({"ok": True, "email": me.email, "projects": n}))
except RefreshFailed as e:
    print(json.dumps({"ok": False, "error": "RefreshFailed", "status": e.status_code, "detail": e.detail}))
except Exception as e:
    body = getattr(e, "body", None)
    detail = body.get("detail") if isinstance(body, dict) else (body or e)
    print(json.dumps({"ok": False, "error": type(e).__name__, "status": getattr(e, "status_code", None),
                      "detail": str(detail)[:200]}))
"""


def sdk(key: str) -> Dict[str, Any]:
    import subprocess

    p = subprocess.run([os.environ["LS_BROWSER_SDK_PY"], "-c", SDK_CODE], input=key, capture_output=True,
                       text=True, timeout=120, env=dict(os.environ))
    try:
        return dict(json.loads(p.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        return {"ok": False, "error": f"exit {p.returncode}", "detail": oneline(p.stderr[-300:])}


class Driver:
    def __init__(self) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.base = os.environ["LS_BROWSER_BASE"]
        self.email = os.environ["LS_BROWSER_EMAIL"]
        self.password = os.environ["LS_BROWSER_PASSWORD"]
        self.shots = Path(os.environ["LS_BROWSER_SHOTS"])
        self.n = 0
        self.calls: List[str] = []
        self.methods: Dict[str, str] = {}  # requestId -> method (a request and its answer can come in two batches)
        o = webdriver.ChromeOptions()
        o.binary_location = str(CHROMIUM)
        # Every host but the server goes to a dead proxy: the pages and Chromium itself try
        # analytics, Sentry and update hosts, and nothing may leave the machine.
        for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000",
                  "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=127.0.0.1;localhost", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"):
            o.add_argument(a)
        o.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        self.d = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=o)
        self.d.set_page_load_timeout(60)

    # -- helpers --------------------------------------------------------------------------------
    def api_calls(self) -> List[str]:
        """The page's /api/ requests since the last call, as `METHOD path -> status`."""
        methods = self.methods
        for e in self.d.get_log("performance"):
            m = json.loads(e["message"])["message"]
            p = m.get("params", {})
            if m["method"] == "Network.requestWillBeSent":
                methods[p["requestId"]] = p["request"]["method"]
            elif m["method"] == "Network.responseReceived" and "/api/" in p["response"]["url"]:
                url = p["response"]["url"].replace(self.base, "")
                self.calls.append(f"{methods.get(p['requestId'], '?')} {url} -> {p['response']['status']}")
        return self.calls

    def snap(self, name: str) -> str:
        self.n += 1
        path = self.shots / f"{self.n:02d}-{name}.png"
        self.d.save_screenshot(str(path))
        (self.shots / f"{self.n:02d}-{name}.html").write_text(self.d.page_source)
        return path.name

    def wait(self, what: Callable[[], Any], timeout: float = 20, desc: str = "") -> Any:
        end = time.monotonic() + timeout
        last: Optional[BaseException] = None
        while time.monotonic() < end:
            try:
                got = what()
                if got:
                    return got
            except Exception as e:  # noqa: BLE001 - stale/absent elements while the page renders
                last = e
            time.sleep(0.25)
        raise TimeoutError(f"waited {timeout:.0f} s for {desc}" + (f" ({type(last).__name__})" if last else ""))

    def by_text(self, text: str, tag: str = "*") -> Any:
        """A visible element whose own text is `text` (buttons, links, sidebar entries)."""
        from selenium.webdriver.common.by import By

        xp = f"//{tag}[normalize-space(.)={json.dumps(text)}]"
        for el in reversed(self.d.find_elements(By.XPATH, xp)):  # the innermost match last in document order
            if el.is_displayed():
                return el
        return None

    def click(self, find: Callable[[], Any], desc: str, timeout: float = 20) -> None:
        """Clicks what `find` returns once it takes the click (modals fade in and out over it)."""
        def attempt() -> bool:
            el = find()
            if not el:
                return False
            self.d.execute_script("arguments[0].scrollIntoView({block: 'center'});", el)
            el.click()
            return True

        self.wait(attempt, timeout, desc)

    def click_text(self, text: str, tag: str = "*", timeout: float = 20) -> None:
        self.click(lambda: self.by_text(text, tag), repr(text), timeout)

    def css(self, selector: str) -> List[Any]:
        from selenium.webdriver.common.by import By

        return [e for e in self.d.find_elements(By.CSS_SELECTOR, selector) if e.is_displayed()]

    def first(self, selector: str) -> Any:
        found = self.css(selector)
        return found[0] if found else None

    def wait_call(self, method: str, path: str, since: int, timeout: float = 20) -> str:
        """The page's `method path` request made after call number `since`, once answered."""
        def seen() -> Optional[str]:
            for line in self.api_calls()[since:]:
                m, url = line.split(" ", 1)
                if m == method and url.split("?")[0].rstrip("/").startswith(path.rstrip("/")):
                    return line
            return None

        return str(self.wait(seen, timeout, f"the page's {method} {path}"))

    def account_section(self, slug: str) -> None:
        """An Account & Settings section through its sidebar entry: a deep link can land on
        Personal Info when /api/jwt/settings answers before /api/current-user/whoami."""
        self.d.get(self.base + "/user/account/")
        self.click(lambda: self.first(f'a[href$="/user/account/{slug}"]'), f"the sidebar entry {slug}", 30)
        self.wait(lambda: self.d.current_url.rstrip("/").endswith(f"/user/account/{slug}"), 20, f"/user/account/{slug}")


def main_drive() -> int:
    drv = Driver()

    def step(name: str, fn: Callable[[], str], needs: Optional[str] = None) -> bool:
        if needs:
            print("STEP " + json.dumps({"name": name, "ok": False, "evidence": f"not run: {needs} failed"}), flush=True)
            return False
        try:
            evidence = fn()
            ok = True
        except Exception as e:  # noqa: BLE001 - one line per step, the page's API calls as evidence
            ok = False
            evidence = f"{type(e).__name__}: {oneline(str(e), 200)}"
            try:
                shot = drv.snap(f"{name}-failed")
                evidence += f"; screenshot {shot}"
            except Exception:  # noqa: BLE001
                pass
            evidence += f"; page's API calls: {drv.api_calls()[-8:]}"
        print("STEP " + json.dumps({"name": name, "ok": ok, "evidence": evidence}), flush=True)
        return ok

    state: Dict[str, str] = {}
    try:
        steps(drv, step, state)
    finally:
        drv.d.quit()
    return 0


def jwt_type(token: str) -> str:
    import base64

    try:
        seg = token.split(".")[1]
        return str(json.loads(base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))).get("token_type"))
    except (IndexError, ValueError):
        return "not a JWT"


def steps(drv: Driver, step: Callable[..., bool], state: Dict[str, str]) -> None:
    d = drv.d

    def login() -> str:
        d.get(drv.base + "/user/login/")
        drv.wait(lambda: drv.first("input[name=email]"), 30, "the login form").send_keys(drv.email)
        drv.first("input[name=password]").send_keys(drv.password)
        drv.snap("login-form")
        drv.click(lambda: drv.first("button[type=submit], input[type=submit]"), "the login button")
        drv.wait(lambda: "/user/login" not in d.current_url, 30, "leaving /user/login/")
        who = drv.wait(lambda: drv.first(f'[title="{drv.email}"]'), 30, "the user menu with the email")
        call = drv.wait_call("GET", "/api/current-user/whoami", 0)
        shot = drv.snap("logged-in")
        return f"landed on {d.current_url.replace(drv.base, '')}, user menu {who.get_attribute('title')!r}, the page called {call}; {shot}"

    def pat_create() -> str:
        drv.account_section("personal-access-token")
        create = drv.wait(lambda: (b := drv.by_text("Create New Token", "button")) and b.is_enabled() and b,
                          30, "an enabled Create New Token button")
        first = drv.snap("pat-section")
        since = len(drv.api_calls())
        drv.click(lambda: create, "Create New Token")
        field = drv.wait(lambda: (f := drv.first(".lsf-modal-ls_visible input[readonly]")) and f.get_attribute("value") and f,
                         20, "the New Auth Token modal's token field")
        title = drv.first(".lsf-modal-ls_visible .lsf-modal-ls__title")
        token = str(field.get_attribute("value"))
        call = drv.wait_call("POST", "/api/token", since)
        state["pat"] = token
        shot = drv.snap("pat-created")
        return (f"modal {title.text if title else '?'!r} shows a token of {len(token)} chars, token_type "
                f"{jwt_type(token)!r}; the page called {call}; {first}, {shot}")

    def pat_sdk() -> str:
        r = sdk(state["pat"])
        if not (r.get("ok") and r.get("email") == drv.email):
            raise AssertionError(f"ls_auth.contrib.sdk.LabelStudio with the page's PAT: {r}")
        return (f"LabelStudio(api_key=<PAT from the page>).users.whoami() -> {r['email']}; "
                f"projects.list() -> {r['projects']} project(s)")

    def pat_revoke() -> str:
        drv.click(lambda: drv.first('.lsf-modal-ls_visible button[aria-label="Close modal"]'), "the modal's close button")
        drv.wait(lambda: not drv.css(".lsf-modal-ls_visible"), 10, "the modal to close")
        listed = drv.snap("pat-listed")
        since = len(drv.api_calls())
        drv.click_text("Revoke", "button")
        drv.wait(lambda: drv.first("[data-testid=dialog-ok-button]"), 10, "the Revoke Token dialog")
        confirm = drv.snap("pat-revoke-confirm")
        drv.click(lambda: drv.first("[data-testid=dialog-ok-button]"), "the dialog's Revoke button")
        call = drv.wait_call("POST", "/api/token/blacklist", since)
        if not call.endswith(("-> 200", "-> 204")):
            raise AssertionError(f"the page called {call}")
        drv.wait(lambda: not drv.css(".lsf-modal-ls_visible") and not drv.by_text("Revoke", "button"), 20,
                 "the token to leave the list")
        shot = drv.snap("pat-revoked")
        return f"the page called {call}; the token left the list; {listed}, {confirm}, {shot}"

    def pat_refused() -> str:
        r = sdk(state["pat"])
        if r.get("ok") or r.get("error") != "RefreshFailed" or r.get("status") != 401:
            raise AssertionError(f"ls_auth.contrib.sdk.LabelStudio with the revoked PAT: {r}")
        return f"LabelStudio(api_key=<revoked PAT>).users.whoami() -> RefreshFailed HTTP {r['status']} ({r.get('detail')})"

    def legacy_switch(on: bool) -> str:
        """Organization -> API Tokens Settings: the Legacy Tokens switch to `on`, Save Changes."""
        want = "on" if on else "off"
        d.get(drv.base + "/organization/")
        drv.click_text("API Tokens Settings", "button", 30)
        box_sel = ".lsf-modal-ls_visible input[name=legacy_api_tokens_enabled]"
        box = drv.wait(lambda: drv.d.find_elements("css selector", box_sel), 30, "the Legacy Tokens switch")[0]
        was = "on" if box.is_selected() else "off"
        if was != want:
            # The checkbox itself is hidden; its label is what a person clicks.
            drv.click(lambda: box.find_element("xpath", "ancestor::label[1]"), "the Legacy Tokens switch")
        drv.wait(lambda: box.is_selected() == on, 10, f"the Legacy Tokens switch to turn {want}")
        shot = drv.snap(f"org-legacy-{want}")
        since = len(drv.api_calls())
        drv.click_text("Save Changes", "button")
        call = drv.wait_call("POST", "/api/jwt/settings", since)
        if not call.endswith(("-> 200", "-> 201")):
            raise AssertionError(f"the page called {call}")
        saved = drv.snap(f"org-legacy-{want}-saved")
        return f"Legacy Tokens switch was {was}, now {want}; Save Changes: the page called {call}; {shot}, {saved}"

    def legacy_enable() -> str:
        return legacy_switch(True)

    def legacy_page() -> str:
        drv.account_section("legacy-token")
        field = drv.wait(lambda: (f := drv.first("input[name=token]")) and f.get_attribute("value") and f, 30,
                         "the legacy key field")
        state["legacy"] = str(field.get_attribute("value"))
        shot = drv.snap("legacy-token")
        return f"Legacy Token section shows a key of {len(state['legacy'])} chars; {shot}"

    def legacy_sdk() -> str:
        r = sdk(state["legacy"])
        if not (r.get("ok") and r.get("email") == drv.email):
            raise AssertionError(f"ls_auth.contrib.sdk.LabelStudio with the page's legacy key: {r}")
        return (f"LabelStudio(api_key=<legacy key from the page>).users.whoami() -> {r['email']}; "
                f"projects.list() -> {r['projects']} project(s)")

    def legacy_disable() -> str:
        return legacy_switch(False)

    def legacy_refused() -> str:
        r = sdk(state["legacy"])
        if r.get("ok") or r.get("status") != 401:
            raise AssertionError(f"ls_auth.contrib.sdk.LabelStudio with the legacy key, legacy tokens off: {r}")
        return (f"LabelStudio(api_key=<legacy key>).users.whoami() with legacy tokens off -> {r.get('error')} "
                f"HTTP {r['status']} ({oneline(str(r.get('detail')), 120)})")

    plan: List[tuple] = [("login", login, None), ("pat-create", pat_create, "login"), ("pat-sdk", pat_sdk, "pat-create"),
                         ("pat-revoke", pat_revoke, "pat-create"), ("pat-refused", pat_refused, "pat-revoke"),
                         ("legacy-enable", legacy_enable, "login"), ("legacy-page", legacy_page, "legacy-enable"),
                         ("legacy-sdk", legacy_sdk, "legacy-page"), ("legacy-disable", legacy_disable, "legacy-page"),
                         ("legacy-refused", legacy_refused, "legacy-disable")]
    assert [p[0] for p in plan] == STEPS
    passed: Dict[str, bool] = {}
    for name, fn, needs in plan:
        if needs and not passed.get(needs):
            passed[name] = step(name, fn, needs)
        else:
            passed[name] = step(name, fn)


if __name__ == "__main__":
    if sys.argv[1:] == ["drive"]:
        sys.exit(main_drive())
    sys.exit("usage: browser.py drive (run by run.py's browser part)")
