"""Credentials written into URLs, found and redacted.

A model's requirement lines and conda channels may carry the secret of a private index:
``https://user:token@host/simple``, ``git+https://token@github.com/...``, anaconda.org's
``/t/<token>/`` path form, or a signed download URL (``?X-Amz-Signature=...``). The same finder
serves ML111, which reports them, and the reporters, which redact every string they print.

``${VAR}`` references are what pip expands from the environment: they are not secrets and stay
visible. Scanning is linear in the text (no regular expression that can backtrack across a long
line): the text comes from the model under check.
"""

from __future__ import annotations

import re

from modellint.record import Record

MASK = "****"
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
_MAX_SCHEME = 32
# The network location after `scheme://`: up to the path, query, fragment, a space or a quote.
_NETLOC = re.compile(r"[^/?#\s\"'`<>\\]*")
# anaconda.org's token form (`https://conda.anaconda.org/t/<token>/channel`), as conda splits it.
_CONDA_TOKEN = re.compile(r"/t/([A-Za-z0-9_-]{8,})(?=[/\s\"'`]|$)")
# A query parameter: the name is checked for secret words in Python, not in the pattern.
_QUERY_PARAMETER = re.compile(r"[?&;]([A-Za-z0-9_.-]{1,64})=([^&;#\s\"'`<>]+)")
_SECRET_PARAMETER_WORDS = ("token", "secret", "password", "passwd", "signature", "credential", "apikey", "accesskey")
# ... and names whose parts (split at `-`, `_`, `.`) are one of these (`sig` of an Azure SAS, not `design`).
_SECRET_PARAMETER_PARTS = frozenset({"sig", "pwd", "key", "auth", "pass"})
_NAME_PARTS = re.compile(r"[-_.]")
# What pip expands in requirement files: `${NAME}` with upper-case letters, digits and underscores.
_ENV_REFERENCE = re.compile(r"(?:\$\{[A-Z0-9_]+\})+")
# Schemes whose user name alone is an account name, never a secret (`ssh://git@github.com`).
_NAME_ONLY_SCHEMES = ("ssh", "git+ssh", "sftp", "scp")


class Credential(Record):
    """One secret in a text: ``text[start:end]`` is replaced by :data:`MASK` when redacted."""

    __slots__ = ("start", "end", "kind")

    def __init__(self, start: int, end: int, kind: str) -> None:
        self.start = start
        self.end = end
        # "password", "token" (a lone user name that looks like one), "user" (a lone user name that
        # reads as an account: redacted, not reported), "conda token", "query" (a signed URL's parameter)
        self.kind = kind

    @property
    def is_secret(self) -> bool:
        return self.kind != "user"


def find_credentials(text: str) -> list[Credential]:
    """Every secret in ``text``, in order, not overlapping."""
    if "://" not in text and "/t/" not in text and ("=" not in text or not ("?" in text or "&" in text or ";" in text)):
        return []  # no URL, no conda token, no `?name=`, `&name=` or `;name=` (a pin's `==` alone)
    found = _userinfo_secrets(text)
    first_url = text.find("://")
    for match in _CONDA_TOKEN.finditer(text):
        if -1 < first_url < match.start():  # after a URL's scheme: `/t/` in a local path is not conda's token
            found.append(Credential(match.start(1), match.end(1), "conda token"))
    for match in _QUERY_PARAMETER.finditer(text):
        name, value = match.group(1).lower(), match.group(2)
        if _is_secret_parameter(name) and not _is_reference(value):
            found.append(Credential(match.start(2), match.end(2), "query"))
    found.sort(key=lambda credential: credential.start)
    kept: list[Credential] = []
    for credential in found:
        if kept and credential.start < kept[-1].end:
            continue
        kept.append(credential)
    return kept


def redact(text: str) -> str:
    """``text`` with every secret replaced by ``****``."""
    credentials = find_credentials(text)
    if not credentials:
        return text
    pieces = []
    position = 0
    for credential in credentials:
        pieces.append(text[position:credential.start])
        pieces.append(MASK)
        position = credential.end
    pieces.append(text[position:])
    return "".join(pieces)


def _userinfo_secrets(text: str) -> list[Credential]:
    """Passwords (``user:secret@``) and lone user names that are tokens (``secret@``) of URLs."""
    found = []
    position = text.find("://")
    while position != -1:
        start = position
        while start > 0 and position - start < _MAX_SCHEME and text[start - 1] in _SCHEME_CHARS:
            start -= 1
        scheme = text[start:position].lower()
        netloc_start = position + 3
        netloc = _NETLOC.match(text, netloc_start)
        netloc_end = netloc.end() if netloc else netloc_start  # ``*`` matches the empty string: there is always one
        at = text.rfind("@", netloc_start, netloc_end)
        if at != -1:
            user_end = text.find(":", netloc_start, at)
            if user_end != -1:
                if not _is_reference(text[user_end + 1:at]):
                    found.append(Credential(user_end + 1, at, "password"))
            elif scheme not in _NAME_ONLY_SCHEMES and not _is_reference(text[netloc_start:at]):
                # pip redacts a lone user name too: it is where tokens go (`https://<token>@host`).
                kind = "token" if _looks_like_token(text[netloc_start:at]) else "user"
                found.append(Credential(netloc_start, at, kind))
        position = text.find("://", max(netloc_end, position + 3))
    return found


def _is_secret_parameter(name: str) -> bool:
    squeezed = _NAME_PARTS.sub("", name)
    return any(word in squeezed for word in _SECRET_PARAMETER_WORDS) or \
        not _SECRET_PARAMETER_PARTS.isdisjoint(_NAME_PARTS.split(name))


def _is_reference(value: str) -> bool:
    """Empty, or only ``${VAR}`` references that pip fills from the environment."""
    return not value or _ENV_REFERENCE.fullmatch(value) is not None


def _looks_like_token(user: str) -> bool:
    """A user name standing alone is a token (`https://ghp_x...@github.com`) unless it reads as an
    account name: short without digits, or a known placeholder."""
    if user.lower() in ("git", "__token__", "oauth2", "x-access-token", "anonymous"):
        return False
    return len(user) >= 12 or any(character.isdigit() for character in user) and len(user) >= 8
