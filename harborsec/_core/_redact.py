"""Keeping secrets out of messages: pure helpers that take text and the secrets in play.

A third party may echo a secret back: a token service whose `401` body (or reason phrase, or
`X-Request-Id`) repeats the `Authorization` header it received, a credential helper that prints
the secret on stderr. Whatever harborsec puts into an exception message or a log record from
such text goes through `redact` first.

The secrets in play for a response are those of the request that produced it
(`request_secrets`): the credential of its `Authorization` header (a bearer token, or the base64
of `user:password`), the password inside a Basic credential, and any the auth flow attached to
the request (`SECRETS_EXTENSION`: the password or identity token it sends to a token service
in a form body). All this runs only when an error message is built, never on a request's way.

Log records are not built by harborsec alone: httpx logs each response's status line (`INFO`,
the server's reason phrase included) and httpcore its headers (`DEBUG`). `SecretsFilter`, put on
those loggers by `watch`, redacts from their records the secrets of every live source (each
`RegistryAuth` registers itself: its password, `user:password` and cached tokens). A filter runs
only for records a logger's level lets through: with those levels off, it costs nothing.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import urllib.parse
import weakref
from collections.abc import Iterable
from typing import Protocol

import httpx

__all__ = [
    "LOGGERS",
    "REDACTED",
    "SECRETS_EXTENSION",
    "SecretSource",
    "SecretsFilter",
    "mask_untrusted",
    "redact",
    "redact_forms",
    "request_secrets",
    "secret_forms",
    "watch",
]

REDACTED = "[redacted]"
"""What a secret is replaced with (as `capture_responses()` replaces secret headers)."""

SECRETS_EXTENSION = "harborsec.secrets"
"""A request extension: a tuple of secrets the request carries outside its `Authorization`
header (a password or identity token in a form body), to redact from messages about it."""


def request_secrets(request: httpx.Request) -> list[str]:
    """The secrets a request carries: its `Authorization` credential and those attached to it.

    Example:
        >>> r = httpx.Request("GET", "https://h/", headers={"Authorization": "Basic dTpw"})
        >>> request_secrets(r)
        ['dTpw', 'p']
    """
    secrets = [str(s) for s in request.extensions.get(SECRETS_EXTENSION, ())]
    header = request.headers.get("Authorization")
    if header:
        scheme, _, credential = header.strip().partition(" ")
        credential = credential.strip()
        if credential:
            secrets.append(credential)
        if scheme.lower() == "basic" and credential:
            try:
                decoded = base64.b64decode(credential, validate=True).decode("utf-8")
            except (binascii.Error, ValueError):
                decoded = ""
            password = decoded.partition(":")[2]
            if password:
                secrets.append(password)
    return secrets


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret (and its base64 and URL-encoded forms) replaced by `REDACTED`.

    One left-to-right pass, longer forms first at each place, so that a secret containing
    another is replaced whole, and no whole occurrence is left outside the replacements (the
    marker itself is never searched again). Empty secrets are ignored.

    Example:
        >>> redact("token abc echoed: abc", ["abc"])
        'token [redacted] echoed: [redacted]'
    """
    return redact_forms(text, secret_forms(secrets))


def secret_forms(secrets: Iterable[str]) -> list[str]:
    """Each secret as it may be written: itself, URL-encoded, base64; longest first.

    For redacting many texts with the same secrets (`redact_forms`).
    """
    forms: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        forms.add(secret)
        forms.add(urllib.parse.quote_plus(secret))
        forms.add(urllib.parse.quote(secret, safe=""))
        forms.add(base64.b64encode(secret.encode("utf-8")).decode("ascii"))
    return sorted(forms, key=len, reverse=True)


def redact_forms(text: str, forms: list[str]) -> str:
    """`redact` with the forms of `secret_forms` already computed."""
    present = [form for form in forms if form in text]
    if not present:
        return text
    return re.sub("|".join(map(re.escape, present)), REDACTED, text)


# A word a message may keep when its source may hold an unknown secret: letters only (lower
# case, Capitalised or upper case), or a short number, with some punctuation around it.
_PLAIN_WORD = re.compile(
    r"[\"'(\[]*(?:[a-z]{1,24}|[A-Z][a-z]{0,23}|[A-Z]{1,24}|[0-9]{1,6})[\"'.,:;!?)\]]*"
)


def mask_untrusted(text: str) -> str:
    """Text from a source that may print a secret harborsec does not know, fit to quote.

    Used for a credential helper's error output: the helper holds the secret, harborsec never
    received it, so it cannot be redacted by value. Every word that is not a plain word (letters
    only, in one case or Capitalised, or a number of up to six digits) is replaced by `REDACTED`:
    that removes anything token-like (mixed letters and digits, base64, paths, URLs), and keeps
    messages such as "error: keychain is locked". A secret made of plain letters alone still
    passes: a helper's output is quoted for diagnosis, which is why `docker_credentials` quotes
    only its first line.

    Example:
        >>> mask_untrusted("error: token s3cr3t-Pa55 expired")
        'error: token [redacted] expired'
    """
    return " ".join(word if _PLAIN_WORD.fullmatch(word) else REDACTED for word in text.split())


class SecretSource(Protocol):
    """Something that holds secrets (a `RegistryAuth`), registered with `watch`."""

    def secrets(self) -> Iterable[str]:
        """The secrets it holds now."""
        ...


LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "aiohttp.client",
    "aiohttp.internal",
)
"""The third-party loggers whose records may quote what a server sent (status lines, headers)."""

_sources: weakref.WeakSet[SecretSource] = weakref.WeakSet()
_installed = False


class SecretsFilter(logging.Filter):
    """A logging filter that redacts the secrets of every live source from each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message without secrets; never drop a record."""
        secrets = [secret for source in list(_sources) for secret in source.secrets()]
        if not secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken record is logging's to report
            return True
        redacted = redact(message, secrets)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def watch(source: SecretSource) -> None:
    """Redact `source`'s secrets from the records of `LOGGERS` for as long as it lives."""
    global _installed
    _sources.add(source)
    if not _installed:
        _installed = True
        log_filter = SecretsFilter()
        for name in LOGGERS:
            logging.getLogger(name).addFilter(log_filter)
