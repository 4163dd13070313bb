"""A real HTTP server on 127.0.0.1 that plays both chat robots for the tests.

It checks what the real robots check (the credential in the address, the JSON shape and size, and
for DingTalk the signature and its timestamp window) and answers what the test plans, one answer
per post: "ok", "45009" (WeCom's rate limit), "130101" (DingTalk's), "500", "timeout" (no answer
before the client gives up; the message is dropped) or "hang" (held until `release()`, then
posted: a robot that did its work while the sender died).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

WECOM_KEY = "wecom-test-key-0001-abcd"
DINGTALK_TOKEN = "dingtalk-test-token-0002-wxyz"
DINGTALK_SECRET = "SECdingtalk-test-secret-0003"
TIMESTAMP_WINDOW_MS = 60 * 60 * 1000  # DingTalk refuses a timestamp more than an hour away


@dataclass
class Post:
    robot: str  # "wecom" or "dingtalk"
    body: dict
    at: float
    answer: str


class RobotServer:
    def __init__(self, *, timeout_seconds: float = 3.0):
        self.posts: list[Post] = []  # every post that passed the robot's checks, with the answer given
        self.errors: list[str] = []  # what the robot refused as malformed
        self.plan: deque[str] = deque()
        self.timeout_seconds = timeout_seconds
        self.held = threading.Event()
        self._release = threading.Event()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                server.handle(self)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    # -- the test's side

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def wecom_url(self) -> str:
        return f"{self.origin}/cgi-bin/webhook/send?key={WECOM_KEY}"

    @property
    def dingtalk_url(self) -> str:
        return f"{self.origin}/robot/send?access_token={DINGTALK_TOKEN}"

    def answer(self, *answers: str) -> None:
        """Plan the answers of the next posts; unplanned posts are answered "ok"."""
        self.plan.extend(answers)

    def delivered(self, robot: str | None = None) -> list[Post]:
        """Posts the robot put in the group (answered ok, or held and then posted)."""
        return [p for p in self.posts if p.answer in ("ok", "hang") and (robot is None or p.robot == robot)]

    def release(self) -> None:
        self._release.set()

    def start(self) -> RobotServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- the robot's side

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        query = parse_qs(parts.query)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length)
        if parts.path == "/cgi-bin/webhook/send":
            robot, problem = "wecom", self._check_wecom(query, raw, request.headers)
        elif parts.path == "/robot/send":
            robot, problem = "dingtalk", self._check_dingtalk(query, raw, request.headers)
        else:
            return self._reply(request, 404, {"errcode": 404, "errmsg": "not found"})
        if problem:
            with self._lock:
                self.errors.append(f"{robot}: {problem[1]}")
            return self._reply(request, 200, {"errcode": problem[0], "errmsg": problem[1]})
        with self._lock:
            planned = self.plan.popleft() if self.plan else "ok"
            self.posts.append(Post(robot=robot, body=json.loads(raw), at=time.monotonic(), answer=planned))
        if planned == "ok":
            return self._reply(request, 200, {"errcode": 0, "errmsg": "ok"})
        if planned == "45009":
            return self._reply(request, 200, {"errcode": 45009, "errmsg": "api freq out of limit"})
        if planned == "130101":
            return self._reply(request, 200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
        if planned == "500":
            return self._reply(request, 500, {"errcode": -1, "errmsg": "system busy"})
        if planned == "timeout":
            time.sleep(self.timeout_seconds)
            return None
        if planned == "hang":
            self.held.set()
            self._release.wait(120)
            return self._reply(request, 200, {"errcode": 0, "errmsg": "ok"})
        raise AssertionError(f"unknown planned answer {planned!r}")

    @staticmethod
    def _reply(request, status: int, data: dict) -> None:
        body = json.dumps(data).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    @staticmethod
    def _json(raw: bytes, headers) -> dict | None:
        if "application/json" not in (headers.get("Content-Type") or ""):
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def _check_wecom(self, query, raw, headers) -> tuple[int, str] | None:
        if query.get("key") != [WECOM_KEY]:
            return 93000, "invalid webhook url"
        data = self._json(raw, headers)
        if data is None:
            return 40035, "invalid json"
        kind = data.get("msgtype")
        if kind == "text":
            text = data.get("text") or {}
            if not isinstance(text.get("content"), str) or len(text["content"].encode()) > 2048:
                return 40058, "text.content missing or over 2048 bytes"
            for name in ("mentioned_list", "mentioned_mobile_list"):
                if name in text and not all(isinstance(x, str) for x in text[name]):
                    return 40058, f"text.{name} must be a list of strings"
        elif kind == "markdown":
            content = (data.get("markdown") or {}).get("content")
            if not isinstance(content, str) or len(content.encode()) > 4096:
                return 40058, "markdown.content missing or over 4096 bytes"
        else:
            return 40008, "invalid message type"
        return None

    def _check_dingtalk(self, query, raw, headers) -> tuple[int, str] | None:
        if query.get("access_token") != [DINGTALK_TOKEN]:
            return 300001, "token is not exist"
        try:
            timestamp = int(query["timestamp"][0])
            sign = query["sign"][0]
        except (KeyError, ValueError, IndexError):
            return 310000, "sign not match: timestamp or sign missing"
        if abs(time.time() * 1000 - timestamp) > TIMESTAMP_WINDOW_MS:
            return 310000, "sign not match: timestamp outside the window"
        expected = base64.b64encode(
            hmac.new(DINGTALK_SECRET.encode(), f"{timestamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256).digest()
        ).decode()
        if not hmac.compare_digest(sign, expected):
            return 310000, "sign not match"
        data = self._json(raw, headers)
        if data is None:
            return 40035, "invalid json"
        if data.get("msgtype") != "markdown":
            return 40008, "invalid message type"
        markdown = data.get("markdown") or {}
        if not isinstance(markdown.get("title"), str) or not isinstance(markdown.get("text"), str):
            return 40035, "markdown.title and markdown.text required"
        mobiles = (data.get("at") or {}).get("atMobiles", [])
        if not isinstance(mobiles, list) or any(f"@{m}" not in markdown["text"] for m in mobiles):
            return 40035, "every at.atMobiles entry must be written in the text as @mobile"
        return None
