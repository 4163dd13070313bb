"""docs/deploy.md, followed as written in a throwaway directory (issue 13, item 6).

The guide's own lines are read from the file and run: copy deploy/env.example to the env file,
edit what an installer edits (secret key, database, Redis, and the paths, here moved under a
temporary directory), `set -a; . env; set +a`, migrate, collectstatic, check --deploy, create the
first administrator; then the web unit's own ExecStart (gunicorn) on a loopback port; log in
through it as nginx would pass the request on, fetch pages and a static file; stop it.
The env file is also read as systemd reads an EnvironmentFile, and both readings must agree.
"""

import http.client
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from conftest import _database_url_of

ROOT = Path(__file__).resolve().parents[2]
HOST = "inquiry.example.com"
PASSWORD = "deploy-guide-passphrase-42"
pytestmark = pytest.mark.services


def guide_block(heading: str) -> list[str]:
    """The shell lines of the first code block under `heading` in docs/deploy.md."""
    text = (ROOT / "docs" / "deploy.md").read_text()
    section = text.split(heading, 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("   #")[0].strip() for line in block.splitlines() if line.strip()]


def systemd_environment(path: Path) -> dict[str, str]:
    """An EnvironmentFile as systemd.exec(5) reads it: comments, NAME=value, quotes removed."""
    values = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        name, _, value = line.partition("=")
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name.strip()), f"not NAME=value: {raw!r}"
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
            if raw.strip().partition("=")[2].strip()[0] == '"':
                value = re.sub(r'\\(["\\$`])', r"\1", value)
        values[name.strip()] = value
    return values


def shell_environment(path: Path, names) -> dict[str, str]:
    script = f"set -eu; set -a; . {shlex.quote(str(path))}; set +a; " + "; ".join(
        f'printf "%s\\0" "${{{name}-}}"' for name in names
    )
    result = subprocess.run(["sh", "-c", script], capture_output=True, timeout=30, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr.decode()
    return dict(zip(names, result.stdout.decode().split("\0")[:-1], strict=True))


def test_the_env_example_reads_the_same_for_systemd_and_for_a_shell():
    path = ROOT / "deploy" / "env.example"
    systemd = systemd_environment(path)
    assert systemd["DEFAULT_FROM_EMAIL"] == "InquiryHub <noreply@example.com>"
    assert shell_environment(path, list(systemd)) == systemd


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """Requests as nginx hands them to gunicorn: the site's Host, https, the client's address."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, body: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {
            "Host": HOST,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "198.51.100.20",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        data = None
        if body is not None:
            data = urlencode(body)
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"https://{HOST}",
                "Referer": f"https://{HOST}{path}",
            }
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        connection.close()
        return response, content.decode(errors="replace")


@pytest.fixture
def install(tmp_path, postgres_db, redis_url):
    """The checkout under <tmp>/srv/inquiryhub, as `git clone` leaves it (tracked files only)."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    srv = tmp_path / "srv" / "inquiryhub"
    for name in tracked.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (srv / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, srv / name)
    for folder in ("etc/inquiryhub", "var/lib/inquiryhub", "var/backups/inquiryhub"):
        (tmp_path / folder).mkdir(parents=True)
    return tmp_path, srv, _database_url_of(postgres_db), redis_url


def in_tmp(line: str, tmp: Path) -> str:
    """A line of the guide with its absolute paths moved under the throwaway directory."""
    for prefix in ("/etc/inquiryhub", "/var/lib/inquiryhub", "/var/backups/inquiryhub", "/srv/inquiryhub"):
        line = line.replace(prefix, f"{tmp}{prefix}")
    venv = str(Path(sys.executable).parent)
    return (
        line.replace("sudo -E -u inquiryhub ", "")
        .replace(".venv/bin/", f"{venv}/")
        .replace(f"{tmp}/srv/inquiryhub/{venv}/", f"{venv}/")
    )


def test_the_deployment_guide_works_as_written(install):
    tmp, srv, database_url, redis_url = install
    lines = guide_block("## 3. Code and environment")
    copy_env = next(line for line in lines if line.startswith("cp deploy/env.example"))
    source_env = next(line for line in lines if line.startswith("set -a;"))
    commands = [line for line in lines if "manage.py" in line]
    assert [c.split("manage.py ")[1].split()[0] for c in commands] == [
        "migrate", "collectstatic", "check", "createsuperuser"
    ]  # fmt: skip

    run = lambda script, **kw: subprocess.run(  # noqa: E731
        ["bash", "-c", f"set -e; {script}"], cwd=srv, capture_output=True, text=True, timeout=300, **kw
    )
    result = run(in_tmp(copy_env, tmp))
    assert result.returncode == 0, result.stderr
    env_file = tmp / "etc" / "inquiryhub" / "env"
    # "then edit it": what an installer changes, and nothing else.
    text = env_file.read_text()
    edits = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
    }
    for name, value in edits.items():
        text = re.sub(rf"^{name}=.*$", f"{name}={value}", text, flags=re.M)
    env_file.write_text(in_tmp(text, tmp))

    prefix = in_tmp(source_env, tmp)
    for command in commands:
        command = in_tmp(command, tmp)
        extra = {}
        if "createsuperuser" in command:
            command += " --no-input --username admin --email admin@example.com"
            extra = {"DJANGO_SUPERUSER_PASSWORD": PASSWORD}
        result = run(f"{prefix}; {command}", env={"PATH": "/usr/bin:/bin", **extra})
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
        if " check " in f"{command} ":
            assert "no issues" in result.stdout
    static_root = tmp / "srv" / "inquiryhub" / "staticfiles"
    assert (static_root / "staticfiles.json").is_file()  # collectstatic filled the documented folder

    unit = (ROOT / "deploy" / "systemd" / "inquiryhub-web.service").read_text()
    exec_start = re.search(r"^ExecStart=(.*)$", unit, flags=re.M).group(1)
    port = free_port()
    exec_start = in_tmp(exec_start, tmp).replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    log = (tmp / "gunicorn.log").open("w")
    server = subprocess.Popen(
        ["bash", "-c", f"{prefix}; exec {exec_start}"],
        cwd=srv, stdout=log, stderr=subprocess.STDOUT, env={"PATH": "/usr/bin:/bin"}, start_new_session=True,
    )  # fmt: skip
    try:
        browser = Browser(port)
        deadline = time.monotonic() + 60
        while True:
            try:
                response, page = browser.request("GET", "/accounts/login/")
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, (tmp / "gunicorn.log").read_text()
                time.sleep(0.3)
        assert response.status == 200, page[:2000]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        response, _ = browser.request(
            "POST", "/accounts/login/", {"csrfmiddlewaretoken": token, "username": "admin", "password": PASSWORD}
        )
        assert (response.status, response.headers["Location"]) == (302, "/"), _
        response, page = browser.request("GET", "/admin/")
        assert response.status == 200, page[:2000]
        assert "admin" in page
        assert "no-store" in response.headers["Cache-Control"]
        stylesheet = re.search(r'href="(/static/[^"]+\.css)"', page).group(1)
        response, _ = browser.request("GET", stylesheet)
        assert response.status == 200
        response, health = browser.request("GET", "/healthz")
        assert '"database": "ok"' in health and '"redis": "ok"' in health
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    assert server.returncode == 0, (tmp / "gunicorn.log").read_text()[-3000:]
