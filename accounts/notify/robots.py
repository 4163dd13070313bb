"""Talking to the robots: which addresses are allowed, the JSON each robot takes, DingTalk's
signature, one HTTP post with timeouts, and the robot's answer read back.

A robot's address and secret are credentials: nothing here puts them in a message, a log line or
an exception text (`mask` shows what may be shown).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

WECOM, DINGTALK = "wecom", "dingtalk"
# Where each kind of robot listens, and the query parameter holding its credential.
ROBOT_PATHS = {WECOM: ("/cgi-bin/webhook/send", "key"), DINGTALK: ("/robot/send", "access_token")}
# Content limits in UTF-8 bytes: WeCom's documented 4096 (markdown) and 2048 (text); DingTalk
# documents none precisely, so the same markdown limit is kept.
CONTENT_LIMITS = {(WECOM, "markdown"): 4096, (WECOM, "text"): 2048, (DINGTALK, "markdown"): 4096}
# The robots' "too many messages" answers: WeCom 45009, DingTalk 130101. Worth another try later.
RATE_LIMITED = {45009, 130101}


@dataclass(frozen=True)
class Message:
    """What to post, already in the recipients' language; `url` is the link back to the page."""

    title: str
    body: str
    url: str
    wecom_userids: tuple[str, ...] = ()
    mobiles: tuple[str, ...] = ()
    link_label: str = ""  # the words of the markdown link, in the recipients' language


@dataclass(frozen=True)
class Answer:
    ok: bool
    retryable: bool
    text: str  # the robot's own words, or what went wrong on the way (never the address)
    code: int | None = None  # the robot's errcode, when it answered one

    @property
    def rate_limited(self) -> bool:
        return self.code in RATE_LIMITED


@sensitive_variables("url", "parts")
def robot_url_check(kind: str, url: str) -> None:
    """Refuse a robot address outside the official hosts (settings.NOTIFY_ROBOT_ORIGINS)."""
    if kind not in ROBOT_PATHS:
        raise ValidationError(_("Unknown kind of robot."))
    parts = urlsplit(url.strip())
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    path, credential = ROBOT_PATHS[kind]
    if origin not in [o.lower() for o in settings.NOTIFY_ROBOT_ORIGINS.get(kind, [])]:
        raise ValidationError(
            _("Only the robot's official address is accepted: %(origins)s")
            % {"origins": ", ".join(settings.NOTIFY_ROBOT_ORIGINS.get(kind, [])[:1])}
        )
    if parts.path != path or not parse_qs(parts.query).get(credential) or parts.fragment or parts.username:
        raise ValidationError(
            _("The address should look like %(example)s") % {"example": f"{origin}{path}?{credential}=…"}
        )


def mask(url: str) -> str:
    """The address with its key cut to its last four characters, for pages and the audit trail."""
    parts = urlsplit(url)
    query = "&".join(f"{name}=••••{values[0][-4:]}" for name, values in parse_qs(parts.query).items() if values)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + (f"?{query}" if query else "")


def fit(text: str, limit: int, tail: str) -> str:
    """`text` + `tail` within `limit` UTF-8 bytes: the text is cut (with an ellipsis), the tail
    (the link) is always kept whole."""
    room = limit - len(tail.encode())
    encoded = text.encode()
    if len(encoded) <= room:
        return text + tail
    cut = encoded[: max(room - len("…".encode()), 0)].decode(errors="ignore")
    return cut + "…" + tail


def payload_for(kind: str, message: Message) -> dict:
    """The JSON body of the robot's API for `message`."""
    if kind == WECOM:
        if message.wecom_userids or message.mobiles:
            # Only a text message rings the people it mentions.
            tail = f"\n{message.url}"
            content = fit(f"{message.title}\n{message.body}", CONTENT_LIMITS[(WECOM, "text")], tail)
            return {
                "msgtype": "text",
                "text": {
                    "content": content,
                    "mentioned_list": list(message.wecom_userids),
                    "mentioned_mobile_list": list(message.mobiles),
                },
            }
        tail = f"\n[{message.link_label or message.url}]({message.url})"
        content = fit(f"**{message.title}**\n{message.body}", CONTENT_LIMITS[(WECOM, "markdown")], tail)
        return {"msgtype": "markdown", "markdown": {"content": content}}
    # DingTalk rings a mobile only when it is both in at.atMobiles and written in the text.
    mentions = " ".join(f"@{m}" for m in message.mobiles)
    tail = f"\n\n[{message.link_label or message.url}]({message.url})" + (f"\n\n{mentions}" if mentions else "")
    text = fit(f"#### {message.title}\n\n{message.body}", CONTENT_LIMITS[(DINGTALK, "markdown")], tail)
    return {
        "msgtype": "markdown",
        "markdown": {"title": message.title[:64], "text": text},
        "at": {"atMobiles": list(message.mobiles), "isAtAll": False},
    }


@sensitive_variables("secret")
def dingtalk_signature(secret: str, timestamp_ms: int) -> str:
    """DingTalk's `sign`: base64 of HMAC-SHA256 over "timestamp\\nsecret", keyed by the secret."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@sensitive_variables("url", "secret", "target")
def post(*, kind: str, url: str, secret: str, payload: dict) -> Answer:
    """Post `payload` to the robot once and read its answer; never raises for network trouble."""
    try:
        robot_url_check(kind, url)
    except ValidationError:
        return Answer(ok=False, retryable=False, text=_("The robot's address is not an official one."))
    target = httpx.URL(url)
    if kind == DINGTALK and secret:
        timestamp = int(time.time() * 1000)
        # Added to the access_token already in the address (httpx's params= would replace it).
        target = target.copy_merge_params({"timestamp": str(timestamp), "sign": dingtalk_signature(secret, timestamp)})
    try:
        with httpx.Client(timeout=settings.NOTIFY_HTTP_TIMEOUT, follow_redirects=False) as client:
            response = client.post(target, json=payload)
    except httpx.TimeoutException:
        return Answer(ok=False, retryable=True, text=_("The robot did not answer in time."))
    except httpx.HTTPError as exc:
        # The exception's text may hold the address: only its class is kept.
        return Answer(ok=False, retryable=True, text=_("Network error (%(kind)s).") % {"kind": type(exc).__name__})
    return read_answer(response)


def read_answer(response: httpx.Response) -> Answer:
    """Both robots answer `{"errcode": 0, "errmsg": "ok"}` on success, HTTP 200 with another
    errcode on refusal."""
    if response.status_code >= 500:
        return Answer(ok=False, retryable=True, text=f"HTTP {response.status_code}")
    try:
        data = response.json()
        code, words = int(data.get("errcode", -1)), str(data.get("errmsg", ""))[:200]
    except (ValueError, TypeError, AttributeError):
        return Answer(ok=False, retryable=False, text=f"HTTP {response.status_code}")
    if response.status_code == 200 and code == 0:
        return Answer(ok=True, retryable=False, text=words or "ok", code=0)
    return Answer(ok=False, retryable=code in RATE_LIMITED, text=f"{code} {words}".strip(), code=code)
