"""Content negotiation and encoded slashes at the HTTP edge, without a server."""

from __future__ import annotations

import pytest

from registry.api.negotiation import consumable, negotiate
from registry.api.paths import routed_path

VND = "application/vnd.schemaregistry.v1+json"


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, VND),
        ("application/json", "application/json"),
        ("application/vnd.schemaregistry.v2+json; q=0.1, application/vnd.schemaregistry+json; "
         "q=0.9", "application/vnd.schemaregistry+json"),
        ("text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2", VND),
        ("application/*", VND),
        ("*/does_not_matter", VND),
        ("application/json; q=0, */*", VND),
        ("application/vnd.schemaregistry.v2+json", None),
        ("text/*", None),
    ],
)  # fmt: skip
def test_accept(accept: str | None, media: str | None) -> None:
    assert negotiate(accept) == media


def test_content_types() -> None:
    assert all(consumable(t) for t in (None, "", VND, "application/json; charset=utf-8",
                                       "application/octet-stream"))  # fmt: skip
    assert not any(consumable(t) for t in ("text/html", "application/xml"))


def test_encoded_slashes_and_percents_stay_escaped_for_the_convertor() -> None:
    assert routed_path(b"/subjects/a%2fb/versions") == "/subjects/a%2Fb/versions"
    assert routed_path(b"/subjects/x%252Fy%20z/versions/1") == "/subjects/x%252Fy z/versions/1"
