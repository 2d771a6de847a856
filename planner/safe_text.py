"""Text the planner prints is safe to print: no credential, no terminal control sequence.

One place for both, used by every console write (`planner.cli.app` wraps stdout and stderr in
`SafeStream` for the run) and by what providers record (refresh failures, launch reports):

- `redact`: the values of environment variables whose names say they hold a credential
  (`*_TOKEN`, `*SECRET*`, `AWS_ACCESS_KEY_ID`, ...), and anything shaped like a credential (an
  AWS access key id, a Google API key, a bearer JWT ...), become [REDACTED].
- `terminal_safe`: escape sequences (colours, cursor moves, OSC window titles and hyperlinks),
  other C0/C1 control characters and bidirectional overrides are removed, so a workload name
  or a server's error text cannot rewrite the terminal or hide text.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[REDACTED]"
SECRET_NAME = re.compile(
    r"SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|API_?KEY|ACCESS_KEY", re.IGNORECASE
)
MIN_SECRET = 8
"""Shortest environment value treated as a secret (shorter ones would redact ordinary words)."""

# What a credential looks like, by kind: recognisable prefixes and shapes, never generic words.
CREDENTIAL_PATTERNS: dict[str, re.Pattern[str]] = {
    "an AWS access key id": re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b"),
    "an AWS secret access key": re.compile(
        r"(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[a-z])"
        r"(?=[A-Za-z0-9/+]*\d)[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
    ),
    "a Hugging Face token": re.compile(r"hf_(?<![A-Za-z0-9]hf_)[A-Za-z0-9]{20,}\b"),
    "a GitHub token": re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{30,})\b"),
    "a Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "a Google OAuth token": re.compile(r"\bya29\.[0-9A-Za-z_-]{20,}"),
    "a private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "a password in a URL": re.compile(r"://[^/\s:@]+:[^/\s@]+@"),
    "a JSON web token": re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[\w-]*"),
}


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of environment variables whose names say they hold a credential, longest first
    (each line of a value that holds several, too)."""
    env = os.environ if environ is None else environ
    found: set[str] = set()
    for key, value in env.items():
        if SECRET_NAME.search(key):
            for part in (value, *value.splitlines()):
                if len(part.strip()) >= MIN_SECRET:
                    found.add(part.strip())
    return sorted(found, key=len, reverse=True)


_MARKERS: dict[str, tuple[str, ...]] = {
    "an AWS access key id": ("AKIA", "ASIA"),
    "a Hugging Face token": ("hf_",),
    "a GitHub token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    "a Google API key": ("AIza",),
    "a Google OAuth token": ("ya29.",),
    "a private key": ("PRIVATE KEY",),
    "a password in a URL": ("://",),
    "a JSON web token": ("eyJ",),
}
"""Text each pattern needs to find anything: a pattern runs only where its marker is (a plan of
megabytes is checked in milliseconds). Patterns without a marker need a long run below."""
_LONG_RUN = re.compile(r"[A-Za-z0-9/+]{40}")
SHAPE_LIMIT = 64 * 1024
"""Longest text searched for credentials known only by their shape (an AWS secret key: 40
characters of base64); every text is searched for the environment's secrets and for
credentials with a prefix."""


def redact(
    text: str, environ: Mapping[str, str] | None = None, secrets: list[str] | None = None
) -> str:
    """`text` with every credential from the environment (or `secrets`, when the caller read
    them once), and anything shaped like one, hidden."""
    for value in secret_values(environ) if secrets is None else secrets:
        if value in text:
            text = text.replace(value, REDACTED)
    for kind, pattern in CREDENTIAL_PATTERNS.items():
        markers = _MARKERS.get(kind)
        if markers is None:  # no prefix to look for: messages and lines, not whole documents
            if len(text) > SHAPE_LIMIT or not _LONG_RUN.search(text):
                continue
        elif not any(marker in text for marker in markers):
            continue
        text = pattern.sub(REDACTED, text)
    return text


_ESCAPES = re.compile(
    r"\x1b(?:"
    r"\[[0-?]*[ -/]*[@-~]?"  # CSI: colours, cursor moves, erasing
    r"|[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC (titles, hyperlinks), DCS, SOS, PM, APC
    r"|[ -/]*[0-~]?"  # two- and three-character escapes
    r")"
    r"|\x9b[0-?]*[ -/]*[@-~]?"  # CSI as one C1 character
    r"|[\x9d\x90\x98\x9e\x9f][^\x07\x9c]*[\x07\x9c]?"  # OSC, DCS ... as C1 characters
)
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """`text` without escape sequences, control characters (tab and newline stay) or
    bidirectional overrides."""
    if not _CONTROLS.search(text):
        return text
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def safe(text: str, secrets: list[str] | None = None) -> str:
    """`text` redacted and made terminal-safe: what every console write goes through."""
    return terminal_safe(redact(text, secrets=secrets))


class SafeStream(io.TextIOBase):
    """A text stream that writes `safe(text)` to the stream it wraps (`unfiltered`); the
    environment's secrets are read once, when it is made."""

    def __init__(self, stream: Any):
        self.unfiltered = stream
        self.secrets = secret_values()

    def write(self, text: str) -> int:
        self.unfiltered.write(safe(text, self.secrets))
        return len(text)

    def flush(self) -> None:
        self.unfiltered.flush()

    def isatty(self) -> bool:
        return bool(getattr(self.unfiltered, "isatty", lambda: False)())

    def fileno(self) -> int:
        return self.unfiltered.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.unfiltered, "encoding", "utf-8")

    @property
    def buffer(self) -> Any:
        return SafeBytes(self.unfiltered)

    def writable(self) -> bool:
        return True


class SafeBytes:
    """`stream.buffer` for writers of bytes (click writes bytes to a binary stream)."""

    def __init__(self, text_stream: Any):
        self._text = text_stream

    def write(self, data: bytes) -> int:
        encoding = getattr(self._text, "encoding", None) or "utf-8"
        text = safe(bytes(data).decode(encoding, "replace"), getattr(self._text, "secrets", None))
        target = getattr(self._text, "buffer", None)
        if target is not None:
            target.write(text.encode(encoding, "replace"))
        else:
            self._text.write(text)
        return len(data)

    def flush(self) -> None:
        self._text.flush()
