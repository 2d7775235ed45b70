"""The code cells' runtime as vendored and served: what is there, how it is cached and typed."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tomllib
import zipfile

from starlette.testclient import TestClient

from tryredis.assets import IMMUTABLE, fingerprint_files
from tryredis.pycells.bundle import MODULES, runtime_bundle
from tryredis.settings import PROJECT_ROOT

STATIC = PROJECT_ROOT / "static"
PYODIDE = STATIC / "vendor" / "pyodide-314.0.8"
REDIS_PY = STATIC / "vendor" / "redis-py-8.1.0"
CODEMIRROR = STATIC / "vendor" / "codemirror-6.0.2"
WHEEL = "redis-8.1.0-py3-none-any.whl"


def test_only_the_files_a_cell_loads_are_vendored() -> None:
    assert sorted(p.name for p in PYODIDE.iterdir()) == [
        "LICENSE",
        "package.json",
        "pyodide-lock.json",
        "pyodide-lock.json.gz",
        "pyodide.asm.mjs",
        "pyodide.asm.mjs.gz",
        "pyodide.asm.wasm",
        "pyodide.asm.wasm.gz",
        "pyodide.mjs",
        "pyodide.mjs.gz",
        "python_stdlib.zip",
    ]
    meta = json.loads((PYODIDE / "package.json").read_text())
    assert (meta["name"], meta["version"], meta["license"]) == ("pyodide", "314.0.8", "MPL-2.0")
    licence = (PYODIDE / "LICENSE").read_text()
    assert "Mozilla Public License Version 2.0" in licence
    assert "PYTHON SOFTWARE FOUNDATION LICENSE" in licence
    for name in ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "pyodide-lock.json"):
        original = (PYODIDE / name).read_bytes()
        assert gzip.decompress((PYODIDE / f"{name}.gz").read_bytes()) == original


def test_redis_py_is_the_locked_wheel() -> None:
    lock = tomllib.loads((PROJECT_ROOT / "uv.lock").read_text())
    package = next(p for p in lock["package"] if p["name"] == "redis")
    assert package["version"] == "8.1.0"
    wheel = next(w for w in package["wheels"] if w["url"].endswith(WHEEL))
    digest = hashlib.sha256((REDIS_PY / WHEEL).read_bytes()).hexdigest()
    assert f"sha256:{digest}" == wheel["hash"]
    assert "MIT License" in (REDIS_PY / "LICENSE").read_text()


def test_precompiled_modules_belong_to_this_interpreter() -> None:
    python = json.loads((PYODIDE / "pyodide-lock.json").read_text())["info"]["python"]
    tag = "cpython-" + "".join(python.split(".")[:2])
    overlay = REDIS_PY / f"redis-8.1.0-py3-none-any.{tag}-pycache.zip"
    with zipfile.ZipFile(REDIS_PY / WHEEL) as wheel, zipfile.ZipFile(overlay) as pycache:
        sources = set(wheel.namelist())
        names = pycache.namelist()
        assert "redis/__pycache__/client." + tag + ".pyc" in names
        for name in names:  # each .pyc sits beside its module's source in the wheel
            folder, _, file = name.partition("/__pycache__/")
            assert f"{folder}/{file.split('.')[0]}.py" in sources, name
            header = pycache.read(name)[:8]
            assert int.from_bytes(header[4:8], "little") == 0b01  # unchecked hash-based
    with zipfile.ZipFile(PYODIDE / "python_stdlib.zip") as stdlib:
        listed = set(stdlib.namelist())
    assert "asyncio/__init__.pyc" in listed and "asyncio/__init__.py" not in listed
    assert "sqlite3/__init__.py" in listed  # what a cell does not import stays source


def test_the_editor_bundle_lists_its_packages_and_licences() -> None:
    versions = (CODEMIRROR / "VERSIONS").read_text()
    assert "codemirror@6.0.2 (MIT)" in versions
    assert "@codemirror/lang-python@" in versions
    packages = versions.splitlines()[1:]
    licence = (CODEMIRROR / "LICENSE").read_text()
    assert [line[5:] for line in licence.splitlines() if line.startswith("==== ")] == packages
    assert (CODEMIRROR / "codemirror.min.js").stat().st_size < 600_000


def test_a_bundle_shares_one_fingerprint() -> None:
    hashes = fingerprint_files(STATIC)
    inside = {hashes[f"vendor/pyodide-314.0.8/{p.name}"] for p in PYODIDE.iterdir()}
    assert inside == {hashes["vendor/pyodide-314.0.8/"]}
    assert hashes["vendor/htmx-4.0.1.min.js"] != hashes["vendor/pyodide-314.0.8/"]
    assert hashes["js/repl.js"] != hashes["js/cells-worker.js"]


def test_runtime_files_are_served_immutable_typed_and_gzipped(client: TestClient) -> None:
    base = "/static" + client.app.state.assets.url_path("vendor/pyodide-314.0.8/")  # type: ignore[attr-defined]
    plain = client.get(base + "pyodide.asm.wasm", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200
    assert plain.headers["content-type"] == "application/wasm"
    assert plain.headers["cache-control"] == IMMUTABLE
    assert plain.headers["vary"] == "Accept-Encoding"
    assert "content-encoding" not in plain.headers
    assert plain.content == (PYODIDE / "pyodide.asm.wasm").read_bytes()
    zipped = client.get(base + "pyodide.asm.mjs", headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["content-type"].startswith("text/javascript")
    assert zipped.content == (PYODIDE / "pyodide.asm.mjs").read_bytes()  # httpx decoded it
    refused = client.get(base + "pyodide.mjs", headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers
    stdlib = client.get(base + "python_stdlib.zip", headers={"Accept-Encoding": "gzip"})
    assert stdlib.headers["content-type"] == "application/zip"
    assert "content-encoding" not in stdlib.headers and "vary" not in stdlib.headers


def test_only_the_worker_may_compile_webassembly(client: TestClient) -> None:
    assets = client.app.state.assets  # type: ignore[attr-defined]
    worker = client.get("/static" + assets.url_path("js/cells-worker.js"))
    assert "script-src 'self' 'wasm-unsafe-eval';" in worker.headers["content-security-policy"]
    for path in ("/", "/repl", "/static" + assets.url_path("js/repl.js")):
        policy = client.get(path).headers["content-security-policy"]
        assert "script-src 'self';" in policy and "wasm" not in policy


def test_the_modules_zip_is_the_packages_own_files(client: TestClient) -> None:
    bundle = runtime_bundle()
    response = client.get(f"/cells/modules/{bundle.digest}.zip")
    assert response.status_code == 200
    assert response.headers["cache-control"] == IMMUTABLE
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.namelist() == list(MODULES)
        for name, source in MODULES.items():
            assert archive.read(name) == source.read_bytes()
    assert client.get("/cells/modules/000000000000.zip").status_code == 404


def test_pages_without_cells_load_none_of_it(client: TestClient) -> None:
    for path in ("/", "/repl", "/lesson/keys-and-strings"):
        page = client.get(path).text
        for name in ("pyodide", "codemirror", "cells"):
            assert name not in page, (path, name)
