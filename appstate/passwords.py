"""Password policy and hashing.

New hashes are Werkzeug's salted scrypt (``scrypt:n:r:p$salt$hash``, parameters stored with
each hash so they can rise); hashes written by earlier ShopSight versions
(``scrypt$n$r$p$salt$hash``, base64) still verify, and :meth:`AppState.verify` rewrites them in
the new format at the next successful sign-in.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from appstate.database import AppStateError

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
_LEGACY_PREFIX = "scrypt$"
_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")


def check_password_policy(password: str) -> None:
    """Raise :class:`AppStateError` saying why ``password`` may not be used."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AppStateError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AppStateError(f"a password has at most {MAX_PASSWORD} characters")
    if not password.strip():
        raise AppStateError("a password must not be all spaces")
    if is_common(password):
        raise AppStateError(
            "that password is on the list of common passwords that attackers try first; "
            "choose another (a few unrelated words make a good one)"
        )


def is_common(password: str) -> bool:
    """On the common list, or one short unit repeated (``aaaaaaaaaaaa``, ``abcabcabcabc``)."""
    folded = password.strip().lower()
    if folded in _common_passwords():
        return True
    return any(
        len(folded) % size == 0 and folded == folded[:size] * (len(folded) // size)
        for size in range(1, 5)
    )


@functools.cache
def _common_passwords() -> frozenset[str]:
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password`` after checking it against the policy."""
    check_password_policy(password)
    return hash_password_unchecked(password)


def hash_password_unchecked(password: str) -> str:
    """A salted scrypt hash without the policy: only to re-hash a password already in use."""
    return generate_password_hash(password, method="scrypt")


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (either hash format; constant-time compare)."""
    if not isinstance(password, str) or not isinstance(stored, str):
        return False
    if stored.startswith(_LEGACY_PREFIX):
        return _verify_legacy(password, stored)
    try:
        return check_password_hash(stored, password)
    except (ValueError, TypeError):  # an unknown method or malformed parameters
        return False


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` is in the old format and should be rewritten."""
    return stored.startswith(_LEGACY_PREFIX)


def dummy_verify(password: str) -> None:
    """Spend the time of one verification, so an unknown name answers as slowly as a known one."""
    verify_password(password, _dummy_hash())


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash("no user has this password", method="scrypt")


def _verify_legacy(password: str, stored: str) -> bool:
    try:
        _scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=2**26,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)
