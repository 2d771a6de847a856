"""Cloud and Kubernetes resource names: stable, DNS-label safe, and short enough everywhere."""

from __future__ import annotations

import hashlib
import re

MAX_LABEL = 63
_UNSAFE = re.compile(r"[^a-z0-9-]+")


def digest(text: str, length: int = 8) -> str:
    """A short, stable hex digest of `text`."""
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def dns_label(*parts: str, limit: int = MAX_LABEL) -> str:
    """`parts` joined by '-', lower-cased and made a DNS label; too long: cut, plus a digest."""
    joined = _UNSAFE.sub("-", "-".join(parts).lower()).strip("-")
    if len(joined) <= limit:
        return joined
    return f"{joined[: limit - 9].rstrip('-')}-{digest(joined)}"


def letter_first(name: str, prefix: str, limit: int = MAX_LABEL) -> str:
    """`name`, prefixed where it starts with a digit (ids that must begin with a letter)."""
    return name if name[:1].isalpha() else dns_label(prefix, name, limit=limit)


def numeric_id(text: str) -> str:
    """A stable nine-digit id without a leading zero (Vertex AI deployed-model ids)."""
    return str(100_000_000 + int(digest(text, 16), 16) % 900_000_000)
