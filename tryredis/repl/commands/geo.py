"""Geo: GEOADD, GEOSEARCH(STORE), GEORADIUS(BYMEMBER)(_RO) and friends."""

from tryredis.repl.grammar import W, elements, key, store
from tryredis.repl.options import geoadd_elements
from tryredis.repl.spec import command
from tryredis.repl.special import georadius

cmd = command("geo")

# GEORADIUS/GEORADIUSBYMEMBER can STORE; their _RO twins cannot (STORE is a syntax
# error there), so only the source is a key. GEOSEARCHSTORE has fixed positions.
COMMANDS = (
    cmd("geoadd", -5, "write denyoom", key(1, W), elements(1, b"ZCARD", geoadd_elements)),
    cmd("geodist", -4, "readonly", key(1)),
    cmd("geohash", -2, "readonly", key(1)),
    cmd("geopos", -2, "readonly", key(1)),
    cmd("georadius", -6, "write denyoom movablekeys", georadius(6)),
    cmd("georadius_ro", -6, "readonly", key(1)),
    cmd("georadiusbymember", -5, "write denyoom movablekeys", georadius(5)),
    cmd("georadiusbymember_ro", -5, "readonly", key(1)),
    cmd("geosearch", -7, "readonly", key(1)),
    cmd("geosearchstore", -8, "write denyoom", key(1, W), key(2), store(b"ZCARD", "first")),
)
