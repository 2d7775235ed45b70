"""Talking RESP2 to Redis: typed replies, the packer and parser, bounded pools, routing.

The sandbox engine and the session store both use it; nothing here knows about
learners, limits or HTTP.
"""

from tryredis.wire.coalesce import ALONE, Coalescer, CoalescingExecutor
from tryredis.wire.pool import Executor, ExecutorError, Held, Pool, RawConnection, make_pool
from tryredis.wire.protocol import (
    Command,
    ReplyStream,
    ReplyTooLarge,
    SegmentTooLarge,
    pack,
    parse_reply,
    read_segments,
)
from tryredis.wire.replies import ErrorReply, Reply, Status, is_noscript
from tryredis.wire.router import ClusterNodes, PoolSizes, Router, SingleNode

__all__ = [
    "ALONE", "ClusterNodes", "Coalescer", "CoalescingExecutor", "Command", "ErrorReply", "Executor",
    "ExecutorError", "Held", "Pool", "PoolSizes", "RawConnection", "Reply", "ReplyStream",
    "ReplyTooLarge", "Router", "SegmentTooLarge", "SingleNode", "Status", "is_noscript",
    "make_pool", "pack", "parse_reply", "read_segments",
]  # fmt: skip
