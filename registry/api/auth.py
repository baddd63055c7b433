"""Optional HTTP basic auth: users from settings, passwords stored only as salted PBKDF2 hashes.

A hash reads ``pbkdf2_sha256$<iterations>$<salt, base64>$<digest, base64>``; make one with
``tide registry hash-password``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, Mapping

from fastapi import Request, Response

from registry.api.error_map import error_response
from registry.errors import RegistryError

SCHEME = "pbkdf2_sha256"
ITERATIONS = 240_000
REALM = 'Basic realm="tide-registry"'


class PasswordHashError(RegistryError):
    """A stored password hash is not in the expected form."""


def hash_password(password: str, iterations: int = ITERATIONS) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"{SCHEME}${iterations}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
        if scheme != SCHEME:
            raise PasswordHashError(f"unknown password hash scheme {scheme!r}")
        expected = base64.b64decode(digest, validate=True)
        actual = hashlib.pbkdf2_hmac(
            "sha256", password.encode(), base64.b64decode(salt, validate=True), int(iterations)
        )
    except (ValueError, binascii.Error) as e:
        raise PasswordHashError(f"malformed password hash: {e}") from e
    return hmac.compare_digest(actual, expected)


def check_hashes(users: Mapping[str, str]) -> None:
    """Refuse to start with a hash that could never match (a plain password, a typo)."""
    for user, stored in users.items():
        parts = stored.split("$")
        if len(parts) != 4 or parts[0] != SCHEME or not parts[1].isdigit():
            raise PasswordHashError(
                f"the password of user {user!r} is not a {SCHEME} hash; make one with "
                "`tide registry hash-password`"
            )


class BasicAuth:
    def __init__(self, users: Mapping[str, str]) -> None:
        check_hashes(users)
        self._users = dict(users)
        self._verified: set[tuple[str, bytes]] = set()  # PBKDF2 is slow by design: once each

    def allows(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
        except (ValueError, binascii.Error):
            return False
        stored = self._users.get(user)
        if stored is None:
            return False
        key = (user, hashlib.sha256(f"{stored}\0{password}".encode()).digest())
        if key in self._verified:
            return True
        if _matches(password, stored):
            self._verified.add(key)
            return True
        return False

    async def middleware(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if self.allows(request.headers.get("authorization")):
            return await call_next(request)
        refused = error_response(401, 401, "Unauthorized: valid basic auth credentials required")
        refused.headers["WWW-Authenticate"] = REALM
        return refused


def _matches(password: str, stored: str) -> bool:
    try:
        return verify_password(password, stored)
    except PasswordHashError:
        return False


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
