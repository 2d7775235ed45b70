"""The HTTP caching lab, part 1 (lesson 16): ETag, Last-Modified and 304, answered from Redis.

The representation (body, ETag, Last-Modified) of a repository is cached in the
learner's sandbox as a hash, ``cache:v1:http:repo:<owner>/<name>``, for 300 s,
so a revalidation costs one HGETALL and a comparison. Starring the repository
writes the database first and then deletes the representation (delete on
write), so the next request renders a new body with a new ETag.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from tryredis.labs.sandboxio import SandboxRedis, header_value, parse_int
from tryredis.labs.upstream import LabDatabase, RepoRow, SlowUpstream, fetch_row

PRIVATE = "private, no-cache"
"""Per-learner data: only the browser may keep it, and it must revalidate before each use."""


def http_date(timestamp: float) -> str:
    """An IMF-fixdate such as ``Wed, 01 May 2024 08:00:00 GMT`` (clamped to years 1970-9999)."""
    return email.utils.formatdate(min(max(timestamp, 0.0), 253402300799.0), usegmt=True)


def parse_http_date(value: str) -> float | None:
    """Seconds since the epoch, or None for a date that cannot be parsed."""
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.timestamp() if parsed.tzinfo is not None else None


def etag_matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match holds ``*`` or a list of ETags; it compares weakly (ignoring ``W/``)."""
    if if_none_match.strip() == "*":
        return True
    candidates = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return etag.removeprefix("W/") in candidates


def not_modified(headers: Mapping[str, str], etag: str, last_modified: int) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when present; else If-Modified-Since."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        return etag_matches(if_none_match, etag)
    since = headers.get("if-modified-since")
    if since:
        when = parse_http_date(since)
        return when is not None and last_modified <= when
    return False


def representation_key(repo: str) -> str:
    return f"cache:v1:http:repo:{repo}"


@dataclass(frozen=True)
class Representation:
    """A rendered response body with its validators."""

    body: str
    etag: str
    modified: int
    rendered: bool


def etag_of(body: str) -> str:
    """A strong ETag: a hash of the body, so it changes exactly when the body does."""
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'


def render(row: RepoRow) -> tuple[str, str]:
    """The JSON body of a repository and its ETag."""
    body = json.dumps(
        {"repo": row.repo, "stars": row.stars, "updated": http_date(row.updated)},
        separators=(",", ":"),
    )
    return body, etag_of(body)


async def representation(
    redis: SandboxRedis, upstream: SlowUpstream, database: LabDatabase, repo: str, ttl: int
) -> Representation:
    """The repository's representation, from the sandbox or freshly rendered and stored."""
    key = representation_key(repo)
    cached = await redis.hgetall(key)
    if {"etag", "body", "modified"} <= cached.keys():
        modified = parse_int(cached["modified"], f"{key} modified")
        etag = header_value(cached["etag"], f"{key} etag")  # the learner may have edited it
        return Representation(cached["body"], etag, modified, rendered=False)
    row = await fetch_row(upstream, database, repo)
    body, etag = render(row)
    await redis.hset(key, {"etag": etag, "body": body, "modified": row.updated})
    await redis.expire(key, ttl)
    return Representation(body, etag, row.updated, rendered=True)


async def star(redis: SandboxRedis, database: LabDatabase, repo: str) -> tuple[RepoRow, int]:
    """The write path: 1. the database, 2. then delete the cached representation."""
    row = await database.star(repo)
    deleted = await redis.delete(representation_key(repo))
    return row, deleted
