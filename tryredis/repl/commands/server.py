"""PING, ECHO, TIME: the harmless server and connection commands."""

from tryredis.repl.spec import command

cmd = command("server")

COMMANDS = (
    cmd("echo", 2, "loading stale fast"),
    cmd("ping", -1, "fast"),
    cmd("time", 1, "loading stale fast"),
)
