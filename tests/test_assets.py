"""Static assets: vendored bundles share a fingerprint, types are explicit, gzip siblings."""

from __future__ import annotations

import gzip
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from tryredis.assets import IMMUTABLE, REVALIDATE, StaticAssets, fingerprint_files


def make_static(root: Path) -> Path:
    """A small static tree: a vendored bundle, a loose vendored file, a page script."""
    files = {
        "vendor/lib-1.0/lib.mjs": b"export const x = 1;\n" * 50,
        "vendor/lib-1.0/lib.wasm": b"\0asm\1\0\0\0",
        "vendor/lib-1.0/data.whl": b"PK",
        "vendor/single-2.0.min.js": b"var y;",
        "js/worker.js": b"postMessage(1);",
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    (root / "vendor/lib-1.0/lib.mjs.gz").write_bytes(gzip.compress(files["vendor/lib-1.0/lib.mjs"]))
    return root


def test_a_vendored_directory_has_one_fingerprint(tmp_path: Path) -> None:
    hashes = fingerprint_files(make_static(tmp_path))
    bundle = hashes["vendor/lib-1.0/"]
    assert {hashes[f"vendor/lib-1.0/{n}"] for n in ("lib.mjs", "lib.wasm", "data.whl")} == {bundle}
    assert len({bundle, hashes["vendor/single-2.0.min.js"], hashes["js/worker.js"]}) == 3
    (tmp_path / "vendor/lib-1.0/lib.wasm").write_bytes(b"\0asm\2\0\0\0")
    assert fingerprint_files(tmp_path)["vendor/lib-1.0/"] != bundle  # any change: a new URL


def test_serving_types_gzip_and_extra_headers(tmp_path: Path) -> None:
    assets = StaticAssets(make_static(tmp_path), {"js/worker.js": {"x-extra": "yes"}})
    app = Starlette(routes=[Mount("/static", app=assets, name="static")])
    with TestClient(app) as client:
        base = "/static" + assets.url_path("vendor/lib-1.0/")
        wasm = client.get(base + "lib.wasm")
        assert (wasm.headers["content-type"], wasm.headers["cache-control"]) == (
            "application/wasm",
            IMMUTABLE,
        )
        assert client.get(base + "data.whl").headers["content-type"] == "application/zip"
        zipped = client.get(base + "lib.mjs", headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["content-encoding"] == "gzip"
        assert zipped.headers["content-type"] == "text/javascript"
        assert zipped.headers["vary"] == "Accept-Encoding"
        assert zipped.content == (tmp_path / "vendor/lib-1.0/lib.mjs").read_bytes()
        plain = client.get(base + "lib.mjs", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert plain.content == zipped.content
        revalidated = client.get("/static/vendor/lib-1.0/lib.wasm")
        assert revalidated.headers["cache-control"] == REVALIDATE
        worker = client.get("/static" + assets.url_path("js/worker.js"))
        assert worker.headers["x-extra"] == "yes"
        assert "x-extra" not in wasm.headers
