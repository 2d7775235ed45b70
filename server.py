"""Entry point: `python server.py` runs the tryredis CLI; `uvicorn server:app` serves the site."""

from __future__ import annotations

if __name__ == "__main__":
    from tryredis.cli import main

    raise SystemExit(main())
else:
    # Only for `uvicorn server:app`: `python server.py` must not build an app (and read
    # settings) in the CLI process before the CLI has checked them and started Redis.
    from tryredis.asgi import app

    __all__ = ["app"]
