"""The ASGI app for uvicorn workers: ``uvicorn tryredis.asgi:app`` (or ``server:app``).

Settings come from the environment; ``tryredis serve`` sets the Redis URLs of
its embedded server there before starting the workers.
"""

from __future__ import annotations

from tryredis.app import create_app
from tryredis.settings import Settings

app = create_app(Settings.from_env())
