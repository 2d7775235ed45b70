"""``tryredis teacher add|list|remove|token|link``: manage teachers from the server's shell.

The commands reach the site's Redis: ``TRYREDIS_REDIS_URL``, or the embedded
Redis of a running ``tryredis`` (found through the ``site.url`` file it keeps in
its private runtime directory, readable only by the same user).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import stat
from pathlib import Path

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from tryredis.classroom.keys import ClassKeys
from tryredis.classroom.teachers import Teacher, TeacherError, TeacherStore
from tryredis.processes import runtime_root
from tryredis.settings import Settings
from tryredis.startup import StartupError

SITE_URL_FILE = "site.url"
_RUNTIME_DIR = re.compile(r"tryredis-(\d+)-[a-z0-9_]+")


def write_site_url(runtime_dir: Path, url: str) -> None:
    """Keep the embedded Redis's site URL (with its password) for ``tryredis teacher``."""
    path = runtime_dir / SITE_URL_FILE
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(url)


def running_site_url(root: Path | None = None) -> str | None:
    """The site URL of the running embedded Redis of this user (StartupError if several)."""
    found = []
    for entry in (root or runtime_root()).iterdir():
        match = _RUNTIME_DIR.fullmatch(entry.name)
        try:
            info = entry.lstat()
            if not match or not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
                continue
            os.kill(int(match[1]), 0)
            found.append((entry / SITE_URL_FILE).read_text().strip())
        except (OSError, ValueError):
            continue
    if len(found) > 1:
        raise StartupError(
            "several tryredis sites are running: set TRYREDIS_REDIS_URL to the one to manage "
            "(its site.url file in /tmp/tryredis-<pid>-*/)"
        )
    return found[0] if found else None


def site_redis_url(settings: Settings) -> str:
    """Where the teacher commands find the site's data; StartupError when nowhere."""
    if settings.redis_url:
        return settings.redis_url
    url = running_site_url()
    if url is None:
        raise StartupError(
            "no running tryredis found: start it first (`uv run tryredis`) and run this "
            "command in another terminal, or set TRYREDIS_REDIS_URL"
        )
    return url


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``teacher`` subcommand and its actions."""
    teacher = commands.add_parser("teacher", help="create, list and remove teachers")
    actions = teacher.add_subparsers(dest="action", required=True)
    for name, text in (
        ("add", "create a teacher and print a one-time sign-in link"),
        ("remove", "delete a teacher and end their classes"),
        ("token", "print a new API token for the teacher (the old one stops working)"),
        ("link", "print a new one-time sign-in link (to set a new password)"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("name", help="the teacher's name")
        action.add_argument(
            "--site", default="", help="the site's address for links (default: http://HOST:PORT)"
        )
    actions.add_parser("list", help="list the teachers")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run one ``teacher`` action; print what it made."""
    url = site_redis_url(settings)
    site = getattr(args, "site", "") or f"http://{settings.host}:{settings.port}"
    return asyncio.run(_run(args, settings, url, site.rstrip("/")))


async def _run(args: argparse.Namespace, settings: Settings, url: str, site: str) -> int:
    redis = RedisCluster.from_url(url) if settings.redis_cluster else Redis.from_url(url)
    store = TeacherStore(redis, ClassKeys(settings.key_prefix))
    try:
        if args.action == "list":
            for teacher in await store.all():
                print(teacher.name)
            return 0
        if args.action == "add":
            made, link = await store.add(args.name)
            print(f"Teacher {made.name!r} created. Sign-in link (once, within 24 h):")
            print(f"  {site}/teach/welcome?link={link}")
            return 0
        found = await store.by_name(args.name)
        if found is None:
            raise TeacherError(f"no teacher named {args.name!r}")
        teacher = found
        if args.action == "token":
            print(await store.new_token(teacher))
        elif args.action == "link":
            print(f"  {site}/teach/welcome?link={await store.new_link(teacher)}")
        elif args.action == "remove":
            ended = await _remove(settings, url, teacher)
            print(f"Teacher {teacher.name!r} removed; {ended} class(es) ended.")
        return 0
    except TeacherError as error:
        print(f"tryredis: {error}")
        return 1
    except RedisError as error:
        raise StartupError(f"cannot use the site's Redis: {error}") from None
    finally:
        await redis.aclose()


async def _remove(settings: Settings, url: str, teacher: Teacher) -> int:
    # Ending a class deletes its members' sandboxes: that takes the site's services.
    from tryredis.classroom.service import Classroom
    from tryredis.lessons import load_lessons
    from tryredis.services import Services

    services = await Services.start(
        settings.replace(redis_url=url, sandbox_redis_url=url), load_lessons(settings.lessons_dir)
    )
    classroom = Classroom(services, services.lessons)
    try:
        ended = 0
        for class_id in await classroom.teachers.remove(teacher):
            klass = await classroom.classes.get(class_id)
            if klass is not None:
                await classroom.roster.end(klass)
                ended += 1
        return ended
    finally:
        await classroom.close()
        await services.close()


def teacher_hint(url: str, settings: Settings) -> str:
    """What ``tryredis`` prints at start when no teacher exists yet ('' otherwise)."""

    async def count() -> int:
        redis = RedisCluster.from_url(url) if settings.redis_cluster else Redis.from_url(url)
        try:
            return int(await redis.hlen(ClassKeys(settings.key_prefix).teachers))
        finally:
            await redis.aclose()

    try:
        if asyncio.run(count()):
            return ""
    except RedisError:
        return ""
    return "tryredis: no teacher yet; to run a class: tryredis teacher add YOUR-NAME"
