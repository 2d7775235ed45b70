"""What the lifespan owns: Redis clients and pools, sessions, the signer, the janitor."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from dataclasses import dataclass, field

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from tryredis.capacity import MemoryGauge, Thresholds
from tryredis.identity import Signer
from tryredis.janitor import Janitor
from tryredis.journal import Journal
from tryredis.keys import Keys
from tryredis.lessons import LessonIndex
from tryredis.looplag import LoopLag
from tryredis.repl import Engine, Limits, Sandbox, TransactionState, probe_server
from tryredis.sessions import SessionStore, SiteRedis, Touch
from tryredis.settings import Settings
from tryredis.startup import MIN_REDIS, StartupError, redis_version
from tryredis.turns import Turns
from tryredis.wire import (
    ClusterNodes,
    Coalescer,
    Executor,
    PoolSizes,
    Router,
    SingleNode,
    make_pool,
)

log = logging.getLogger("tryredis")

CLOSE_SECONDS = 2.0  # the most each step of shutdown may take


def site_client(url: str, cluster: bool, wait: float = 5.0) -> SiteRedis:
    """The site's own Redis client: short timeouts, one retry (its commands are idempotent)."""
    options = {
        "socket_timeout": 2.0,
        "socket_connect_timeout": 2.0,
        # One retry lets pooled connections recover after a Redis restart; every
        # site command tolerates running twice (a rate-limit token at worst).
        "retry": Retry(NoBackoff(), 1),
    }
    if cluster:
        return RedisCluster.from_url(url, **options)
    # A blocking pool: a burst of requests (a class joining at once) waits up to ``wait`` s
    # for a connection instead of failing at redis-py's default 100 with "Too many connections".
    pool = BlockingConnectionPool.from_url(
        url, max_connections=200, timeout=wait, socket_timeout=2.0, socket_connect_timeout=2.0
    )
    client = Redis(connection_pool=pool, retry=Retry(NoBackoff(), 1))
    client.auto_close_connection_pool = True  # aclose() closes the pool, as with from_url
    return client


async def check_redis(client: SiteRedis, setting: str) -> None:
    """Refuse a Redis that is unreachable, not Redis, or older than 7.0."""
    try:
        info = await client.info("server")
    except RedisError as error:
        raise StartupError(f"{setting}: cannot use this Redis ({error})") from None
    version = str(info.get("redis_version", "0"))
    parsed = redis_version(version)
    if parsed is None or parsed < MIN_REDIS:
        raise StartupError(f"{setting}: Redis {version} is too old; tryredis needs 7.0 or newer")


@dataclass
class Services:
    """The running site's resources (``app.state.services``)."""

    settings: Settings
    lessons: LessonIndex
    keys: Keys
    site: SiteRedis
    sessions: SessionStore
    signer: Signer
    engine: Engine
    journal: Journal
    gauge: MemoryGauge
    lag: LoopLag
    turns: Turns  # heavy steps (page renders) take turns across client addresses
    tasks: list[asyncio.Task[None]] = field(default_factory=list)  # the janitor, the gauges

    @classmethod
    async def start(cls, settings: Settings, lessons: LessonIndex) -> Services:
        """Connect to Redis, check it, load the secret, build the pools."""
        if not settings.redis_url:
            raise StartupError(
                "TRYREDIS_REDIS_URL is not set: run `tryredis` (it starts an embedded Redis) "
                "or set TRYREDIS_REDIS_URL to a Redis 7 server"
            )
        keys = Keys(settings.key_prefix)
        site = site_client(settings.redis_url, settings.redis_cluster, settings.pool_wait_seconds)
        await check_redis(site, "TRYREDIS_REDIS_URL")
        if not settings.sandbox_redis_url:
            log.warning(
                "TRYREDIS_SANDBOX_REDIS_URL is not set: learners' commands use the site's "
                "Redis user, without the ACL backstop (see `tryredis acl`)"
            )
        secret = (
            settings.secret_key.encode()
            if settings.secret_key
            else await _shared_secret(site, keys)
        )
        router = await _router(settings)
        # The per-request session touch and journal record take the raw path (one
        # round trip each, shared with concurrent requests'); a Cluster needs
        # redis-py's routing instead.
        fast = (
            None
            if settings.redis_cluster
            else Coalescer(
                Executor(
                    make_pool(
                        settings.redis_url,
                        size=settings.sandbox_pool_size,
                        socket_timeout=2.0,
                        wait=settings.pool_wait_seconds,
                    )
                )
            )
        )
        thresholds = Thresholds.from_percent(
            settings.admit_memory_percent,
            settings.evict_memory_percent,
            settings.write_memory_percent,
        )
        # The site's client reads INFO: learners' data lives on the same Redis unless
        # TRYREDIS_SANDBOX_REDIS_URL splits it off (docs/sandbox.md, Capacity).
        gauge = MemoryGauge(site, thresholds, settings.workers)
        with contextlib.suppress(RedisError, OSError):
            await gauge.read()  # the first request already knows how full Redis is
        sessions = SessionStore(site, keys, settings, fast, gauge)
        # Which newer commands the server has (and the sandbox user may run).
        server = await probe_server(router.executor("server"), keys.namespace("server") + b"probe")
        engine = Engine(
            Limits.pick(settings), keys, router, sessions, server=server, capacity=gauge
        )
        journal = Journal(
            site, keys, settings.journal_lines, sessions.ttl_ms, lambda: gauge.writes_paused, fast
        )
        lag = LoopLag()
        turns = Turns(settings.turns_waiting_per_address)
        services = cls(
            settings, lessons, keys, site, sessions, Signer(secret), engine, journal, gauge, lag,
            turns,
        )  # fmt: skip
        janitor = Janitor(
            site,
            keys.sandboxes,
            keys.janitor_lock,
            settings.sandbox_idle_hours * 3600,
            lambda learner_id: services.sandbox_reset(learner_id, keep_session=False),
            gauge,
        )
        services.tasks = [
            asyncio.create_task(janitor.run_forever()),
            asyncio.create_task(gauge.run_forever()),
            asyncio.create_task(lag.run_forever()),
        ]
        return services

    def sandbox(self, learner_id: str, touch: Touch, address: str = "") -> Sandbox:
        """The REPL for one learner in this request (after ``sessions.touch`` admitted it);
        ``address`` is the client's, whose learners share the per-address caps."""
        return self.engine.open(learner_id, touch.state, touch.usage, address)

    async def sandbox_reset(self, learner_id: str, *, keep_session: bool) -> None:
        """Delete a sandbox's keys; keep the session and progress, or forget them too."""
        await self.engine.reset(learner_id)
        if keep_session:  # and leave any MULTI or WATCH, as a fresh connection would
            await self.sessions.queue_reset(learner_id)
            await self.sessions.save_transaction(learner_id, TransactionState())
        else:
            await self.sessions.delete(learner_id)

    async def redis_ok(self) -> bool:
        """Whether the site's Redis answers PING right now (health check)."""
        try:
            return bool(await asyncio.wait_for(self.site.ping(), timeout=0.5))
        except (TimeoutError, RedisError, OSError):
            return False

    async def close(self) -> None:
        """Stop background work and close every connection; no step waits more than 2 s."""
        # Shutdown must end: a task that ignores its cancel, or a Redis that stopped
        # answering, would otherwise hold uvicorn in "Waiting for application shutdown".
        for task in self.tasks:
            task.cancel()
        if self.tasks:
            _, pending = await asyncio.wait(self.tasks, timeout=CLOSE_SECONDS)
            if pending:
                log.warning("%d background task(s) did not stop within %g s; left behind",
                            len(pending), CLOSE_SECONDS)  # fmt: skip
        closing = [self.engine.close(), self.site.aclose()]
        if self.sessions.fast is not None:
            closing.append(self.sessions.fast.close())
        for step in closing:
            try:
                async with asyncio.timeout(CLOSE_SECONDS):
                    await step
            except TimeoutError:
                log.warning("closing Redis connections took over %g s; left behind", CLOSE_SECONDS)


async def _router(settings: Settings) -> Router:
    """Pools for learners' commands: one server's, or one per Cluster node."""
    url = settings.sandbox_url or settings.redis_url or ""
    timeout = settings.command_timeout_seconds
    sizes = PoolSizes(
        size=settings.sandbox_pool_size,
        timeout=timeout,
        blocking_size=settings.blocking_max_connections,
        blocking_timeout=settings.block_max_seconds + timeout,
        wait=settings.pool_wait_seconds,
    )
    if not settings.redis_cluster:
        return SingleNode(url, sizes)
    nodes = ClusterNodes(url, sizes)
    try:
        await nodes.start()
    except RedisError as error:
        raise StartupError(
            f"TRYREDIS_SANDBOX_REDIS_URL: cannot read the cluster ({error})"
        ) from None
    return nodes


async def _shared_secret(site: SiteRedis, keys: Keys) -> bytes:
    # Every worker must sign with the same secret: the first one to start makes it.
    await site.set(keys.secret, secrets.token_urlsafe(48), nx=True)
    value = await site.get(keys.secret)
    if not value:
        raise StartupError("could not read the signing secret from Redis")
    return value if isinstance(value, bytes) else str(value).encode()
