"""The rate-limit token buckets and the per-request touch, as Redis scripts.

One Lua text defines the bucket (refill at ``rate`` per second up to ``burst``;
a request costing more tokens than are left is refused and told how long to
wait); every script here starts with it. A request is checked against both the
learner's bucket and its client address's bucket, and tokens are taken from
both only if both allow it: a learner refused by their own limit does not drain
the bucket their classmates share, and the reverse.

Standalone Redis runs ``TOUCH`` (everything one request needs in one call).
A Cluster keeps the session and the address bucket in different slots, so it
runs ``SESSION`` then ``ADDRESS`` and gives the learner's tokens back if the
address refuses.
"""

from __future__ import annotations

import hashlib

BUCKET = """
local function peek(key, now, rate, burst, cost)
  local held = redis.call('HMGET', key, 'tk', 'ts')
  local tokens, last = tonumber(held[1]) or burst, tonumber(held[2]) or now
  if now > last then tokens = math.min(burst, tokens + (now - last) * rate / 1000) end
  local wait = 0
  if tokens < cost then wait = math.ceil((cost - tokens) * 1000 / rate) end
  return wait, tokens, math.max(now, last)
end
local function take(key, tokens, cost, stamp)
  redis.call('HSET', key, 'tk', tostring(tokens - cost), 'ts', tostring(stamp))
end
"""

# KEYS: session, progress, totals. ARGV: now, rate, burst, cost, ttl. Returns
# {exists, wait, m, mf, w, bytes, elements, keys, stream entries}.
_SESSION_BODY = """
local function session(now, rate, burst, cost, ttl, commit)
  if redis.call('EXISTS', KEYS[1]) == 0 then return {0, 0, '', '', '', 0, 0, 0, 0} end
  local wait, tokens, stamp = peek(KEYS[1], now, rate, burst, cost)
  if wait == 0 and commit then take(KEYS[1], tokens, cost, stamp) end
  if redis.call('HEXISTS', KEYS[1], 'cls') == 0 then  -- a class member's keys keep no TTL
    redis.call('PEXPIRE', KEYS[1], ttl)
    redis.call('PEXPIRE', KEYS[2], ttl)
  end
  local state = redis.call('HMGET', KEYS[1], 'm', 'mf', 'w')
  local totals = redis.call('HMGET', KEYS[3], 'b', 'e', 'k', 's')
  return {1, wait, state[1] or '', state[2] or '', state[3] or '',
          totals[1] or 0, totals[2] or 0, totals[3] or 0, totals[4] or 0}
end
"""

SESSION = (
    BUCKET
    + _SESSION_BODY
    + """
return session(tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]),
               ARGV[5], true)
"""
)

# KEYS: address bucket. ARGV: now, rate, burst, cost, ttl. Returns the wait (0: taken).
ADDRESS = (
    BUCKET
    + """
local wait, tokens, stamp = peek(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]),
                                 tonumber(ARGV[3]), tonumber(ARGV[4]))
if wait == 0 then take(KEYS[1], tokens, tonumber(ARGV[4]), stamp) end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return wait
"""
)

# KEYS: session, progress, totals, address bucket, sandboxes. ARGV: now, rate, burst,
# cost, ttl, address rate, address burst, address bucket ttl, learner id. Returns
# SESSION's reply plus the address wait.
TOUCH = (
    BUCKET
    + _SESSION_BODY
    + """
local now, cost = tonumber(ARGV[1]), tonumber(ARGV[4])
local address_wait, address_tokens, address_stamp = peek(KEYS[4], now, tonumber(ARGV[6]),
                                                         tonumber(ARGV[7]), cost)
local found = session(now, tonumber(ARGV[2]), tonumber(ARGV[3]), cost, ARGV[5], false)
if found[1] == 1 and found[2] == 0 and address_wait == 0 then
  local _, tokens, stamp = peek(KEYS[1], now, tonumber(ARGV[2]), tonumber(ARGV[3]), cost)
  take(KEYS[1], tokens, cost, stamp)
end
if found[1] == 1 then redis.call('ZADD', KEYS[5], 'XX', math.floor(now / 1000), ARGV[9]) end
if address_wait == 0 and (found[1] == 0 or found[2] == 0) then
  take(KEYS[4], address_tokens, cost, address_stamp)
end
redis.call('PEXPIRE', KEYS[4], ARGV[8])
table.insert(found, address_wait)
return found
"""
)

# KEYS: session. ARGV: now, rate, burst, cost. Extra tokens for a costly command.
CHARGE = (
    BUCKET
    + """
local wait, tokens, stamp = peek(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]),
                                 tonumber(ARGV[3]), tonumber(ARGV[4]))
if wait == 0 then take(KEYS[1], tokens, tonumber(ARGV[4]), stamp) end
return wait
"""
)

# KEYS: session. ARGV: tokens to give back (the address refused the request).
REFUND = """
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tk'))
if tokens then redis.call('HSET', KEYS[1], 'tk', tostring(tokens + tonumber(ARGV[1]))) end
return 0
"""


# KEYS: the holders of one marker from one address (a zset: learner id -> expiry, ms).
# ARGV: now (ms), ttl (ms), learner id, cap. Returns 1 if the learner now holds a
# share, 0 if the address already holds ``cap`` of them. Expired shares are dropped
# first, so a worker that died holding one cannot keep it past its ttl.
FAIR_SHARE = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[3]) == false
   and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""


def sha(script: str) -> bytes:
    """The SHA1 EVALSHA names a script by."""
    return hashlib.sha1(script.encode()).hexdigest().encode()  # noqa: S324


TOUCH_SHA = sha(TOUCH)
