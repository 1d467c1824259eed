"""Keep credentials out of everything we print, log or write.

A source string may carry a password (``postgresql://user:secret@host/db`` or
``?password=secret``); the password may also come from ``PGPASSWORD``.  Sources
are parsed once, by the parser that connects (SQLAlchemy's URL), and every
displayed form is rendered from that parse without the password
(:func:`redact_source`, ``SourceSpec.display``).  Free text that may echo a
secret — driver errors, an executed notebook — goes through :func:`scrub`, which
runs in time linear in the text: a report holding a megabyte of user data must
not take minutes to clean.
"""

from __future__ import annotations

import functools
import os
import re
from typing import TYPE_CHECKING
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:
    from ihub_analysis.sources import SourceSpec

#: Secrets shorter than this are replaced only where they stand alone, so a
#: one-letter password does not turn every message into asterisks.
_SHORT_SECRET = 6
#: ``password = value`` in free text (a libpq ``key=value`` string, a URL query):
#: a literal key, then one bounded class — matched in linear time.
_PASSWORD_PARAM = re.compile(
    r"(?P<key>(?<![\w.-])password\s{0,8}=\s{0,8})(?P<value>'(?:[^'\\]|\\.)*'|[^\s&'\"<>]+)",
    re.I,
)
#: Whitespace splits free text into the tokens a URL may stand in.
_SPACE = re.compile(r"(\s+)")
#: Characters that may open or close a token around a URL (quotes, brackets, prose).
_PUNCT = "\"'()<>[]{},;.!`"
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
#: What a source that cannot be parsed is shown as: nothing of it can be trusted.
HIDDEN = "<source hidden>"


def _spec(source: str | SourceSpec | None) -> SourceSpec | None:
    from ihub_analysis.errors import SourceError
    from ihub_analysis.sources import SourceSpec, parse_source

    if source is None or isinstance(source, SourceSpec):
        return source
    try:
        return parse_source(source)
    except SourceError:
        return None


def redact_source(source: str) -> str:
    """``source`` as it may be shown: rendered from its parse without the password.

    A string that does not parse as a source is never shown at all (only its
    scheme), because nothing tells which part of it is the password.
    """
    spec = _spec(source)
    if spec is not None:
        return spec.display
    scheme = source.strip().split("://", 1)[0] if "://" in source else ""
    return f"{scheme}://…" if scheme and set(scheme) <= _SCHEME_CHARS else HIDDEN


def _encodings(secret: str) -> list[str]:
    """The forms a secret takes in text: as is and percent-encoded the usual ways."""
    from sqlalchemy.engine import URL

    rendered = URL.create("x", username="u", password=secret, host="h").render_as_string(
        hide_password=False
    )
    in_url = rendered[len("x://u:") : rendered.rindex("@h")]
    return [secret, quote(secret, safe=""), quote(secret), quote_plus(secret), in_url]


def secrets_of(source: str | SourceSpec | None) -> list[str]:
    """The secret strings a source (and the environment) could leak, longest first."""
    found: list[str] = []
    spec = _spec(source)
    if spec is not None:
        for secret in spec.secrets():
            found += _encodings(secret)
    env_pw = os.environ.get("PGPASSWORD")
    if env_pw:
        found += _encodings(env_pw)
    return sorted((s for s in dict.fromkeys(found) if s), key=len, reverse=True)


@functools.lru_cache(maxsize=1024)
def _redact_url_token(token: str) -> str:
    """A whitespace-free token holding ``scheme://…``: its URL without the password.

    Cached: an executed notebook repeats the same few URLs many times."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    at = token.find("://")
    start = at
    while start > 0 and token[start - 1] in _SCHEME_CHARS:
        start -= 1
    end = len(token)
    while end > at + 3 and token[end - 1] in _PUNCT:
        end -= 1
    candidate = token[start:end]
    try:
        url = make_url(candidate)
    except (ArgumentError, ValueError):
        # not a URL SQLAlchemy reads: if a ':' before its last '@' could start a
        # password, nothing after '://' can be shown safely
        userinfo = candidate[at - start + 3 : candidate.rfind("@")]
        return token[: at + 3] + "…" if ":" in userinfo else token
    if url.password is None and not any(k.lower() == "password" for k in url.query):
        return token
    from ihub_analysis.sources import SourceSpec

    shown = SourceSpec("url", candidate, candidate, url).display
    return token[:start] + shown + token[end:]


def scrub(text: str, source: str | SourceSpec | None = None) -> str:
    """Remove passwords from free text: the source's (in any encoding), ``PGPASSWORD``,
    any URL with a password and any ``password=…``.  Linear in ``len(text)``."""
    spec = _spec(source)
    if spec is not None and spec.text and spec.text != spec.display:
        text = text.replace(spec.text, spec.display)
    if "://" in text:
        parts = _SPACE.split(text)
        text = "".join(_redact_url_token(p) if "://" in p and "@" in p else p for p in parts)
    text = _PASSWORD_PARAM.sub(r"\g<key>***", text)
    for secret in secrets_of(spec):
        if len(secret) >= _SHORT_SECRET:
            text = text.replace(secret, "***")
        else:
            text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", "***", text)
    return text
