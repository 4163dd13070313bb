"""How a buyer is recognised: the normalised keys of an inquiry's buyer, as plain Python.

An inquiry's buyer is the buyer holding its e-mail key, else its phone key, else its company key
(company name with country). Normalising is what makes the same buyer match whatever the
spelling: e-mails case-folded, phones reduced to their digits, company names without case,
punctuation, spacing or legal suffix (Co., Ltd. / GmbH / LLC / 有限公司 ...). No ORM here, so
that the data migration and the tests use the very same rules.
"""

from __future__ import annotations

import functools
import re
import unicodedata

EMAIL = "email"
PHONE = "phone"
COMPANY = "company"
# Tried in this order: the first kind that matches a buyer decides.
KINDS = (EMAIL, PHONE, COMPANY)

# Legal forms removed from the end of a company name, longest first after normalising (a name
# may carry two: "Acme Trading Co., Ltd."). Written already normalised: lower case, no dots.
LEGAL_SUFFIXES = sorted(
    {
        "co ltd",
        "company limited",
        "company ltd",
        "co limited",
        "limited",
        "ltd",
        "llc",
        "l l c",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "gmbh",
        "gmbh co kg",
        "co kg",
        "kg",
        "ag",
        "sa",
        "s a",
        "sas",
        "sarl",
        "s a r l",
        "srl",
        "s r l",
        "spa",
        "s p a",
        "bv",
        "b v",
        "nv",
        "plc",
        "pty ltd",
        "pty",
        "pte ltd",
        "pte",
        "sdn bhd",
        "bhd",
        "oy",
        "ab",
        "as",
        "aps",
        "sl",
        "s l",
        "ltda",
        "sro",
        "s r o",
        "sp z o o",
        "kft",
        "ooo",
        "llp",
        "lp",
        "jsc",
        "ojsc",
        "pjsc",
        "fze",
        "fzco",
        "fz llc",
        "tic ltd sti",
        "ltd sti",
        "kk",
        "有限公司",
        "有限责任公司",
        "股份有限公司",
        "公司",
        "株式会社",
    },
    key=len,
    reverse=True,
)
_PUNCTUATION = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")
_PHONE_MIN_DIGITS = 7
_PHONE_KEY_DIGITS = 10


def email_key(email: str) -> str:
    """The address case-folded and trimmed; empty when it is no address."""
    email = unicodedata.normalize("NFKC", email or "").strip().casefold()
    return email if "@" in email else ""


def phone_key(phone: str) -> str:
    """The last ten digits of a phone number: the same number with or without its country code
    (+86 138 0013 8000, 13800138000) gives one key; empty when it is too short to be a number."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", phone or "") if ch.isdigit())
    return digits[-_PHONE_KEY_DIGITS:] if len(digits) >= _PHONE_MIN_DIGITS else ""


@functools.lru_cache(maxsize=65536)  # an import names the same companies again and again
def company_name_key(name: str) -> str:
    """A company name without case, punctuation, spacing or legal suffixes."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    text = _SPACES.sub(" ", _PUNCTUATION.sub(" ", text)).strip()
    changed = True
    while changed and text:
        changed = False
        for suffix in LEGAL_SUFFIXES:
            if text == suffix:
                continue
            if text.endswith(" " + suffix) or (not suffix.isascii() and text.endswith(suffix)):
                text = text[: -len(suffix)].strip()
                changed = True
                break
    return text.replace(" ", "")


def company_key(company: str, country: str) -> str:
    """Company name key with the country (the same name in two countries is two buyers)."""
    name = company_name_key(company)
    return f"{(country or '').strip().upper()}|{name}" if name else ""


def buyer_keys(*, email: str, phone: str, company: str, country: str) -> dict[str, str]:
    """The keys of one inquiry's buyer, kind -> value, the empty ones left out."""
    keys = {EMAIL: email_key(email), PHONE: phone_key(phone), COMPANY: company_key(company, country)}
    return {kind: value for kind, value in keys.items() if value}
