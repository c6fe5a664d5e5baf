"""A class's join code, read off a projector, and its teacher's secret, kept by the teacher's browser.

The code is short and has no characters that look alike across a classroom (0 and O, 1, I and L,
2 and Z, 5 and S, 6 and G, 8 and B): anyone can type what they see. The secret is long and random;
the server keeps only its hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "ACDEFHJKMNPQRTUVWXY3479"
LENGTH = 6
MAX_SECRET_CHARS = 200


def new_code(taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A fresh join code not in ``taken``: 23**6, about 150 million, so a collision is rare."""
    while (code := "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))) in taken:
        pass
    return code


def read_code(value: object) -> str | None:
    """The join code a person typed or a link carried (any case, spaces and dashes ignored), or
    None for anything that cannot be one."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    code = value.upper().replace(" ", "").replace("-", "")
    return code if len(code) == LENGTH and all(c in ALPHABET for c in code) else None


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: object, digest: str) -> bool:
    """Whether ``secret`` (sent by a client: anything) is the one whose hash is ``digest``, in
    constant time."""
    if not isinstance(secret, str) or not secret or len(secret) > MAX_SECRET_CHARS:
        return False
    return hmac.compare_digest(secret_hash(secret), digest)
