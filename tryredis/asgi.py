"""The ASGI app for uvicorn workers: ``uvicorn tryredis.asgi:app`` (or ``server:app``).

Settings come from the environment; ``tryredis serve`` sets the Redis URLs of
its embedded server there before starting the workers.
"""

from __future__ import annotations

from tryredis.processes import die_with_parent

# First thing in a worker started by `tryredis serve`: die with the CLI, even if it
# is killed while this worker is still loading the lessons.
die_with_parent()

from tryredis.app import create_app  # noqa: E402
from tryredis.settings import Settings  # noqa: E402

app = create_app(Settings.from_env())
