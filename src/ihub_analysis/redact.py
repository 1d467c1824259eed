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

#: ``scheme://user:password@`` — the password runs to the *last* ``@`` of the
#: authority (as :func:`urllib.parse.urlsplit` reads it), so an unencoded ``@``
#: inside a password cannot leave its tail behind.  The scheme's length is bounded:
#: unbounded, a long word (a 100,000-character widget name) takes quadratic time.
_URL_WITH_PASSWORD = re.compile(
    r"(?P<scheme>[a-zA-Z][\w+.-]{0,40}://)(?P<user>[^:/@\s]*):(?P<pw>[^\s/?#]*)@"
)
#: ``password=…`` as a URL query parameter or in a libpq ``key=value`` string.
_PASSWORD_PARAM = re.compile(
    r"(?P<key>(?<![\w.-])password\s*=\s*)(?P<value>'(?:[^'\\]|\\.)*'|[^\s&#]+)", re.I
)
#: A ``password`` parameter inside a URL query, with the ``&`` that follows it.
_QUERY_PASSWORD = re.compile(r"(?:^|(?<=&))password=[^&]*(?:&|$)", re.I)
#: Secrets shorter than this are replaced only where they stand alone, so a
#: one-letter password does not turn every message into asterisks.
_SHORT_SECRET = 6


def _mask_params(text: str) -> str:
    return _PASSWORD_PARAM.sub(r"\g<key>***", text)


def redact_source(source: str) -> str:
    """Return ``source`` with any password removed (user, host and database stay)."""
    if "://" not in source:
        return _mask_params(source)
    try:
        parts = urlsplit(source)
        password = parts.password
    except ValueError:
        return _mask_params(_URL_WITH_PASSWORD.sub(r"\g<scheme>\g<user>@", source))
    query = _QUERY_PASSWORD.sub("", parts.query).rstrip("&")
    if password is None and query == parts.query:
        return source
    netloc = parts.netloc
    if password is not None:
        netloc = netloc.rsplit("@", 1)[1]
        user = parts.username or ""
        netloc = f"{user}@{netloc}" if user else netloc
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def secrets_of(source: str | None) -> list[str]:
    """The secret strings a source (and the environment) could leak."""
    found: list[str] = []
    if source:
        params = [m.group("value").strip("'") for m in _PASSWORD_PARAM.finditer(source)]
        found += [v for p in params for v in (p, unquote(p))]
        if "://" in source:
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
    text = _mask_params(_URL_WITH_PASSWORD.sub(r"\g<scheme>\g<user>@", text))
    for secret in sorted(secrets_of(source), key=len, reverse=True):
        if len(secret) >= _SHORT_SECRET:
            text = text.replace(secret, "***")
        else:
            text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", "***", text)
    return text
