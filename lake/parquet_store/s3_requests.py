"""Conditional requests on single S3 objects: GET with its ETag, PUT only if the object is
absent (``If-None-Match: *``) or unchanged (``If-Match: <etag>``), DELETE only if unchanged.

Hand-written beside pyarrow on purpose: pyarrow's S3 file system (which writes and lists the
data files) sends no conditional headers and shows no ETags (apache/arrow#44281), and botocore,
the library that would, is not among Tide's runtime dependencies. What is here is the part of
AWS Signature Version 4 that these three calls need (a signed host, date and payload hash; no
query string, no chunked upload); the integration tests check it against botocore's signer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import httpx

from lake.parquet_store.errors import PreconditionFailedError, S3RequestError

_CODE = re.compile(r"<Code>([^<]+)</Code>")


@dataclass(frozen=True)
class S3Options:
    """How to reach an S3 (or S3-compatible) endpoint, from the catalog's ``s3.*`` properties."""

    endpoint: str | None = None  # http://127.0.0.1:9000; None: AWS itself
    region: str = "us-east-1"
    access_key: str | None = None
    secret_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    path_style: bool = False


def s3_options(properties: Mapping[str, str], env: Mapping[str, str]) -> S3Options:
    """The pyiceberg ``s3.*`` catalog properties, falling back to the standard ``AWS_*``
    variables in ``env`` for what they leave out (as pyiceberg and pyarrow do)."""
    return S3Options(
        endpoint=properties.get("s3.endpoint") or env.get("AWS_ENDPOINT_URL") or None,
        region=properties.get("s3.region")
        or env.get("AWS_REGION")
        or env.get("AWS_DEFAULT_REGION")
        or "us-east-1",
        access_key=properties.get("s3.access-key-id") or env.get("AWS_ACCESS_KEY_ID"),
        secret_key=properties.get("s3.secret-access-key") or env.get("AWS_SECRET_ACCESS_KEY"),
        session_token=properties.get("s3.session-token") or env.get("AWS_SESSION_TOKEN"),
        path_style=properties.get("s3.path-style-access", "").lower() == "true",
    )


@dataclass(frozen=True)
class Found:
    """An object's bytes and the ETag they were read at."""

    body: bytes
    etag: str


class S3Objects:
    """Conditional GET, PUT and DELETE of single objects of one bucket."""

    def __init__(self, options: S3Options, bucket: str, timeout_s: float = 30.0) -> None:
        if not (options.access_key and options.secret_key):
            raise S3RequestError(
                "conditional writes on S3 need credentials: set the catalog properties "
                "s3.access-key-id and s3.secret-access-key, or AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY"
            )
        self.options, self.bucket = options, bucket
        self._client = httpx.Client(timeout=timeout_s)

    def get(self, key: str) -> Found | None:
        """The object's bytes and ETag; None if there is none."""
        response = self._send("GET", key)
        if response.status_code == 404:
            return None
        self._raise_for(response, "GET", key)
        return Found(response.content, response.headers["etag"])

    def put(self, key: str, body: bytes, if_match: str | None) -> str:
        """Write ``body`` if the object's ETag is still ``if_match`` (None: only if there is no
        object); PreconditionFailedError if not. The new ETag."""
        condition = {"If-None-Match": "*"} if if_match is None else {"If-Match": if_match}
        response = self._send("PUT", key, body, condition)
        if response.status_code == 404 and if_match is not None:
            raise PreconditionFailedError(f"PUT s3://{self.bucket}/{key}: the object is gone")
        self._raise_for(response, "PUT", key)
        return response.headers["etag"]

    def delete(self, key: str, if_match: str) -> None:
        """Delete the object if its ETag is still ``if_match``; PreconditionFailedError if not."""
        response = self._send("DELETE", key, b"", {"If-Match": if_match})
        if response.status_code != 404:
            self._raise_for(response, "DELETE", key)

    def close(self) -> None:
        self._client.close()

    def url(self, key: str) -> str:
        path = quote(key, safe="/-_.~")
        endpoint = self.options.endpoint
        if endpoint is None:
            return f"https://{self.bucket}.s3.{self.options.region}.amazonaws.com/{path}"
        base = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        if self.options.path_style:
            return f"{base.scheme}://{base.netloc}/{self.bucket}/{path}"
        return f"{base.scheme}://{self.bucket}.{base.netloc}/{path}"

    def _send(
        self, method: str, key: str, body: bytes = b"", extra: Mapping[str, str] | None = None
    ) -> httpx.Response:
        url = self.url(key)
        headers = {**sign(method, url, body, self.options, utc_now()), **(extra or {})}
        try:
            return self._client.request(method, url, content=body, headers=headers)
        except httpx.HTTPError as e:
            raise S3RequestError(f"{method} s3://{self.bucket}/{key} failed: {e}") from e

    def _raise_for(self, response: httpx.Response, method: str, key: str) -> None:
        if response.status_code < 300:
            return
        found = _CODE.search(response.text)
        code = found.group(1) if found else str(response.status_code)
        where = f"{method} s3://{self.bucket}/{key}"
        if response.status_code in (409, 412):
            raise PreconditionFailedError(f"{where}: {code} (the object changed)")
        raise S3RequestError(f"{where} answered {response.status_code} {code}")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def sign(
    method: str, url: str, body: bytes, options: S3Options, now: dt.datetime
) -> dict[str, str]:
    """The headers that sign this request (AWS Signature Version 4, service ``s3``)."""
    parts = urlsplit(url)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    headers = {
        "host": parts.netloc,
        "x-amz-content-sha256": hashlib.sha256(body).hexdigest(),
        "x-amz-date": amz_date,
    }
    if options.session_token:
        headers["x-amz-security-token"] = options.session_token
    names = sorted(headers)
    canonical = "\n".join([
        method, parts.path or "/", parts.query,
        "".join(f"{name}:{headers[name]}\n" for name in names),
        ";".join(names), headers["x-amz-content-sha256"],
    ])  # fmt: skip
    scope = f"{amz_date[:8]}/{options.region}/s3/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = f"AWS4{options.secret_key}".encode()
    for part in (amz_date[:8], options.region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={options.access_key}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return headers
