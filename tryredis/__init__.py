"""tryredis: a self-hostable Redis tutorial with a sandboxed, redis-cli-exact web REPL."""

__version__ = "0.1.0"
