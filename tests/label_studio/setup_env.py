"""Everything the real-server suite installs: Label Studio's venv (with its test-only packages and
our wheel), the release CLI. Reused between runs; redone only when what it holds changes."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from common import LS_VERSION, PY, ROOT, VENV, WORK, Fatal, T, run, say

# Label Studio 1.23.2's test-only packages, at versions that work together (see
# shared/label-studio-notes.md): pytest-env is required by its conftest, moto must stay < 5,
# pytest must stay < 8.4; psutil is imported by tests/tasks/test_functions.py (the whole suite).
# gunicorn serves Label Studio's core.wsgi with several worker processes (run.py's `wsgi` part).
TEST_PACKAGES = [
    f"label-studio=={LS_VERSION}",
    "pytest==8.3.5", "pytest-django==4.12.0", "pytest-env==1.1.5", "pytest-mock==3.15.1",
    "coverage==7.10.7", "mock==5.2.0", "moto[s3]==4.2.14", "freezegun==1.5.5", "requests-mock==1.12.1",
    "fakeredis==2.26.2", "responses==0.13.0", "factory-boy==3.3.3", "psutil==7.1.0",
    "gunicorn==23.0.0",
]
PIP_TIMEOUT = int(os.environ.get("LS_PIP_TIMEOUT", "1800"))


def _pip(*args: str) -> None:
    rc, out, err = run([PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
                       timeout=PIP_TIMEOUT)
    if rc != 0:
        (WORK / "pip.log").write_text(out + err)
        raise Fatal(f"pip install {' '.join(args)[:120]} failed: {err.strip().splitlines()[-1:]}")


def server_venv() -> None:
    """target/ls-server-venv with label-studio and its test packages (once per package list)."""
    stamp = VENV / ".ls-auth-packages"
    want = "\n".join(TEST_PACKAGES)
    if PY.exists() and stamp.exists() and stamp.read_text() == want:
        say(f"reusing {VENV} (label-studio {LS_VERSION} and its test packages)")
        return
    say(f"installing label-studio=={LS_VERSION} and its test packages into {VENV} (large download)")
    if not PY.exists():
        rc, _, err = run(["python3", "-m", "venv", VENV])
        if rc != 0:
            raise Fatal(f"cannot create {VENV}: {err}")
    _pip(*TEST_PACKAGES)
    stamp.write_text(want)


def _wheel_sources_digest() -> str:
    h = hashlib.sha256()
    base = ROOT / "bindings" / "python"
    for sub in ("src", "python"):
        for p in sorted((base / sub).rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                h.update(str(p.relative_to(base)).encode())
                h.update(p.read_bytes())
    for name in ("Cargo.toml", "pyproject.toml"):
        h.update((base / name).read_bytes())
    for p in sorted((ROOT / "crates" / "ls-auth-core" / "src").rglob("*.rs")):
        h.update(p.read_bytes())
    for p in (ROOT / "crates" / "ls-auth-core" / "Cargo.toml", ROOT / "Cargo.toml", ROOT / "Cargo.lock"):
        h.update(p.read_bytes())
    return h.hexdigest()


def ls_auth_wheel() -> None:
    """Our wheel (maturin build --release), installed into the server's venv when it changed."""
    digest = _wheel_sources_digest()
    stamp = VENV / ".ls-auth-wheel"
    if stamp.exists() and stamp.read_text() == digest:
        say("reusing the ls_auth wheel installed in the server's venv (sources unchanged)")
        return
    out_dir = T / "ls-auth-wheel"
    shutil.rmtree(out_dir, ignore_errors=True)
    say("building the ls_auth wheel (maturin build --release) and installing it into the server's venv")
    rc, out, err = run(["bash", "-c", 'source scripts/venv.sh && cd bindings/python && '
                        f'maturin build --release --quiet -o "{out_dir}"'], cwd=ROOT, timeout=1800)
    wheels = sorted(out_dir.glob("ls_auth-*.whl"))
    if rc != 0 or not wheels:
        raise Fatal(f"maturin build failed: {(out + err)[-800:]}")
    _pip("--no-deps", "--force-reinstall", str(wheels[-1]))
    stamp.write_text(digest)


def cli() -> Path:
    say("building ls-auth CLI (cargo build --release -p ls-auth-cli)")
    rc, out, err = run(["cargo", "build", "-q", "--release", "-p", "ls-auth-cli"], cwd=ROOT, timeout=1800)
    if rc != 0:
        raise Fatal(f"cargo build --release -p ls-auth-cli failed: {err[-800:]}")
    return T / "release" / "ls-auth"


def site_dir() -> Path:
    rc, out, err = run([PY, "-c", "import label_studio, os; print(os.path.dirname(label_studio.__file__))"])
    if rc != 0:
        raise Fatal(f"label_studio not importable in {VENV}: {err}")
    return Path(out.strip())


def client_venv() -> None:
    """target/venv with ls_auth built as scripts/test-python and scripts/test-live build it (the
    same command, so none of them rebuilds after another): tests/live runs there."""
    say("building ls_auth into target/venv for tests/live (maturin develop --release --features dangerous)")
    rc, out, err = run(["bash", "-c", "source scripts/venv.sh && cd bindings/python && "
                        "maturin develop --release --quiet --features dangerous"], cwd=ROOT, timeout=1800)
    if rc != 0:
        raise Fatal(f"maturin develop failed: {(out + err)[-800:]}")
