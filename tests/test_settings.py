"""Settings: parsing, one-line errors naming the variable, and the README's table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tryredis.repl import Limits
from tryredis.resources import packaged_dir
from tryredis.settings import (
    FIELDS,
    PROJECT_ROOT,
    Settings,
    SettingsError,
    read_dotenv,
    unknown_variables,
)


def test_defaults_match_the_dataclass() -> None:
    parsed = Settings.from_env({}, env_file=Path("/nonexistent"))
    assert parsed == Settings()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TRYREDIS_RATE_BURST", "abc", "TRYREDIS_RATE_BURST='abc' is not a whole number"),
        ("TRYREDIS_RATE_BURST", "0", "must be greater than 0"),
        ("TRYREDIS_RATE_PER_SECOND", "fast", "is not a number"),
        ("TRYREDIS_RATE_PER_SECOND", "inf", "finite number"),
        ("TRYREDIS_PORT", "70000", "is not a TCP port"),
        ("TRYREDIS_REDIS_URL", "http://localhost:6379", "is not a Redis URL"),
        ("TRYREDIS_KEY_PREFIX", "a*b", "must be 1-32 characters"),
        ("TRYREDIS_KEY_PREFIX", "{tag}:", "must be 1-32 characters"),
        ("TRYREDIS_REDIS_CLUSTER", "maybe", "is not a boolean"),
        ("TRYREDIS_LOG_LEVEL", "loud", "is not one of"),
        ("TRYREDIS_REDIS_URL", "redis://h/0?nosuch=1", "unknown URL option 'nosuch'"),
        ("TRYREDIS_REDIS_URL", "redis://h/0?protocol=3", "tryredis sets protocol itself"),
        ("TRYREDIS_REDIS_URL", "redis://h:99999/0", "Port out of range"),
        ("TRYREDIS_REDIS_URL", "redis://h/x", "must be a database number"),
        ("TRYREDIS_SANDBOX_REDIS_URL", "redis://h/0?max_connections=x", "Invalid value for"),
        ("TRYREDIS_DATA_DIR", "/etc/hostname", "is not a directory"),
        ("TRYREDIS_LESSONS_DIR", "/nonexistent", "is not a directory"),
        ("TRYREDIS_LESSONS_DIR", "/", "holds no lessons"),
        ("TRYREDIS_HOST", " ", "is not a host name"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({name: value}, env_file=Path("/nonexistent"))
    text = str(error.value)
    assert text.startswith(name) and message in text and "\n" not in text


def test_values_parse(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(
        "# comment\nTRYREDIS_RATE_BURST=5\nexport TRYREDIS_KEY_PREFIX='school:'\n"
        'TRYREDIS_REDIS_URL="unix:///tmp/r.sock"\n'
    )
    parsed = Settings.from_env({"TRYREDIS_RATE_BURST": "7", "TRYREDIS_WORKERS": "1_0"}, env)
    assert parsed.rate_burst == 7  # the environment wins over .env
    assert parsed.key_prefix == "school:"
    assert parsed.redis_url == "unix:///tmp/r.sock"
    assert parsed.sandbox_url == "unix:///tmp/r.sock"
    assert parsed.workers == 10


def test_dotenv_errors_name_the_line(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("TRYREDIS_PORT=1\nnot a setting\n")
    with pytest.raises(SettingsError, match=r"\.env:2: expected NAME=value"):
        read_dotenv(env)


def test_readme_table_lists_every_setting_with_its_default() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    table = readme.split("<!-- settings-table", 1)[1].split("<!-- /settings-table -->", 1)[0]
    rows = re.findall(r"^\| `(TRYREDIS_\w+)` \| (.+?) \| (.+?) \|$", table, re.M)
    assert [row[0] for row in rows] == [field.env for field in FIELDS]
    for (_, default, doc), field in zip(rows, FIELDS, strict=True):
        assert default == (f"`{field.default}`" if field.default else "(unset)")
        assert doc == field.doc


def test_env_example_lists_every_setting() -> None:
    example = (PROJECT_ROOT / ".env.example").read_text()
    for field in FIELDS:
        assert f"# {field.env}={field.default}\n" in example


def test_url_errors_hide_the_password() -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"TRYREDIS_REDIS_URL": "redis://site:hunter2@h/0?x=1"}, Path("/none"))
    assert "hunter2" not in str(error.value)
    assert str(error.value).startswith("TRYREDIS_REDIS_URL=redis://site:***@h/0?x=1:")


def test_good_urls_pass() -> None:
    for url in ("redis://h:6380/2", "rediss://u:p@h/0?ssl_cert_reqs=none", "unix:///r.sock?db=1",
                "redis://[::1]:6379", "redis://h/0?health_check_interval=30"):  # fmt: skip
        assert Settings.from_env({"TRYREDIS_REDIS_URL": url}, Path("/none")).redis_url == url


def test_unknown_variables_name_the_nearest_setting() -> None:
    names = ["TRYREDIS_RATE_BRUST", "TRYREDIS_PORT", "TRYREDIS_PARENT_PID", "OTHER", "TRYREDIS_X"]
    assert unknown_variables(names) == [
        "TRYREDIS_RATE_BRUST is not a tryredis setting; ignored "
        "(did you mean TRYREDIS_RATE_BURST?)",
        "TRYREDIS_X is not a tryredis setting; ignored (see the README's settings)",
    ]


def test_lessons_default_to_the_shipped_ones(tmp_path: Path) -> None:
    assert Settings().lessons_dir == packaged_dir("lessons_md") == PROJECT_ROOT / "lessons_md"
    (tmp_path / "01-mine.md").write_text("---\ntitle: Mine\n---\n")
    own = Settings.from_env({"TRYREDIS_LESSONS_DIR": str(tmp_path)}, Path("/none"))
    assert own.lessons_dir == tmp_path


def test_the_engines_default_limits_are_the_sites_default_settings() -> None:
    # Limits repeats each default so the engine needs no Settings; the two must not drift,
    # or the engine's own tests would run under limits the site never has.
    assert Limits() == Limits.pick(Settings())
