"""The process's one TLS context for HTTP clients.

Building a context loads the CA bundle, ~30 ms of CPU each time; an HTTP client made per
request (a console refresh makes several) spent more on that than on the request. The one
context verifies certificates exactly as a new one would.
"""

from __future__ import annotations

import ssl
from functools import cache

import httpx


@cache
def shared_ssl_context() -> ssl.SSLContext:
    """httpx's default verifying context, made once."""
    return httpx.create_ssl_context()
