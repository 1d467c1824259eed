"""Keep credentials out of everything we print, log or write.

A source string may carry a password (``postgresql://user:secret@host/db``);
the password may also come from ``PGPASSWORD``.  Every message, notebook
parameter, report footer and snapshot metadata shows sources through
:func:`redact_source`, and free text that may echo a secret (driver errors)
goes through :func:`scrub`.
"""

from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlsplit, urlunsplit

_URL_WITH_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][\w+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@\s]*)@")


def redact_source(source: str) -> str:
    """Return ``source`` with any password removed (user, host and database stay)."""
    if "://" not in source:
        return source
    try:
        parts = urlsplit(source)
    except ValueError:
        return _URL_WITH_PASSWORD.sub(r"\g<scheme>\g<user>@", source)
    if parts.password is None:
        return source
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    netloc = f"{user}@{netloc}" if user else netloc
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def secrets_of(source: str | None) -> list[str]:
    """The secret strings a source (and the environment) could leak."""
    found: list[str] = []
    if source and "://" in source:
        try:
            password = urlsplit(source).password
        except ValueError:
            password = None
        if password:
            found += [password, unquote(password)]
    env_pw = os.environ.get("PGPASSWORD")
    if env_pw:
        found.append(env_pw)
    return [s for s in dict.fromkeys(found) if s]


def scrub(text: str, source: str | None = None) -> str:
    """Remove passwords (from URLs in the text, the source, PGPASSWORD) from free text."""
    text = _URL_WITH_PASSWORD.sub(r"\g<scheme>\g<user>@", text)
    for secret in secrets_of(source):
        text = text.replace(secret, "***")
    return text
