"""The site practises HTTP caching: pages with ETag and 304, immutable assets, private fragments."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

LAB_PAGES = [
    "/lab",
    "/lab/cache-aside",
    "/lab/stampede",
    "/lab/rate-limit",
    "/lab/sessions",
    "/lab/http-caching",
]


@pytest.mark.parametrize("path", ["/lesson/http-caching", *LAB_PAGES])
def test_a_second_request_with_if_none_match_gets_304_and_no_body(
    lab_client: TestClient, path: str
) -> None:
    first = lab_client.get(path)
    assert first.status_code == 200 and first.content
    assert first.headers["cache-control"] == "private, no-cache"
    assert first.headers["vary"] == "Cookie"
    again = lab_client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b"" and "content-length" not in again.headers
    assert again.headers["etag"] == first.headers["etag"]


@pytest.mark.parametrize("asset", ["css/labs.css", "js/labs.js", "css/site.css"])
def test_static_assets_are_fingerprinted_and_immutable(lab_client: TestClient, asset: str) -> None:
    page = lab_client.get("/lab/http-caching").text
    match = re.search(r'(?:href|src)="(/static/[0-9a-f]{12}/' + re.escape(asset) + ')"', page)
    assert match, f"{asset} is linked by its fingerprinted URL"
    response = lab_client.get(match.group(1))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_the_exercise_fragment_is_personal_and_revalidated(lab_client: TestClient) -> None:
    lab_client.get("/lesson/cache-aside")
    fragment = lab_client.get("/lesson/cache-aside/exercises")
    assert fragment.status_code == 200
    assert fragment.headers["cache-control"] == "private, no-cache"
    assert "Cookie" in fragment.headers["vary"]
    again = lab_client.get(
        "/lesson/cache-aside/exercises", headers={"If-None-Match": fragment.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.parametrize("path", LAB_PAGES)
def test_lab_pages_have_no_inline_script_or_style(lab_client: TestClient, path: str) -> None:
    page = lab_client.get(path).text
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert "<style" not in page and " style=" not in page
    assert not re.search(r"\son[a-z]+=", page)


def test_lessons_and_home_link_the_labs(lab_client: TestClient) -> None:
    home = lab_client.get("/").text
    for path in LAB_PAGES[1:]:
        assert f'href="{path}"' in home
    for slug, lab in [
        ("cache-aside", "/lab/cache-aside"),
        ("invalidation-and-stampedes", "/lab/stampede"),
        ("rate-limiting", "/lab/rate-limit"),
        ("sessions", "/lab/sessions"),
        ("http-caching", "/lab/http-caching"),
    ]:
        assert f'href="{lab}"' in lab_client.get(f"/lesson/{slug}").text, slug
    assert 'href="/lab"' in home  # the site's navigation
