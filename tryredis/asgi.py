"""The ASGI app for uvicorn workers: ``uvicorn tryredis.asgi:app`` (or ``server:app``).

Settings come from the environment; ``tryredis serve`` sets the Redis URLs of
its embedded server there before starting the workers.
"""

from __future__ import annotations

import os
import sys

from tryredis.processes import PARENT_PID_ENV, die_with_parent

# First thing in a worker started by `tryredis serve`: die with the CLI, even if it
# is killed while this worker is still loading the lessons.
die_with_parent()

from tryredis.app import create_app  # noqa: E402
from tryredis.lessons import LessonError  # noqa: E402
from tryredis.settings import Settings, SettingsError, read_env, unknown_variables  # noqa: E402

STARTUP_FAILURE = 3  # uvicorn's status for "cannot start": its supervisor does not respawn it

try:
    app = create_app(Settings.from_env())
except (SettingsError, LessonError) as error:
    # Under `uvicorn server:app` nobody checked the settings before: one line, no traceback.
    print(f"tryredis: {error}", file=sys.stderr)
    raise SystemExit(STARTUP_FAILURE) from None
if PARENT_PID_ENV not in os.environ:  # `tryredis serve` warned already
    for warning in unknown_variables(read_env()):
        print(f"tryredis: warning: {warning}", file=sys.stderr)
