"""app/serve.py: the server's one addition to Streamlit, the redirect of nested addresses.

The browser test (tests/test_journey.py) follows the redirect to the page; here the
middleware's answers are checked one by one on a stub ASGI app.
"""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pages.common import NOT_FOUND_PATH

REPO = Path(__file__).resolve().parent.parent


def load_serve() -> ModuleType:
    spec = importlib.util.spec_from_file_location("junheng_serve", REPO / "app" / "serve.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SERVE = load_serve()


def answer(path: str, accept: str = "text/html,application/xhtml+xml", query: str = "",
           method: str = "GET") -> tuple[int | None, str | None]:
    """Send one request through the middleware; return (status, location) or (None, None)
    when it was passed on to Streamlit."""
    passed: list[str] = []
    sent: list[dict[str, Any]] = []

    async def inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
        passed.append(scope["path"])

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request"}

    scope = {"type": "http", "method": method, "path": path, "query_string": query.encode(),
             "headers": [(b"accept", accept.encode())]}
    asyncio.run(SERVE.NestedPathRedirect(inner)(scope, receive, send))
    if passed:
        return None, None
    headers = dict(sent[0]["headers"])
    return sent[0]["status"], headers[b"location"].decode()


def test_the_constant_agrees_with_the_pages() -> None:
    assert SERVE.NOT_FOUND_PATH == NOT_FOUND_PATH


def test_a_nested_address_is_sent_to_the_not_found_page_with_its_query() -> None:
    status, location = answer("/a/b/c", query="lang=en&scheme=quality")
    assert status == 302
    assert location == f"/{NOT_FOUND_PATH}?path=a%2Fb%2Fc&lang=en&scheme=quality"


@pytest.mark.parametrize("path", ["/", "/map", "/school", "/nope", "/not-found"])
def test_one_segment_is_streamlits_own_business(path: str) -> None:
    assert answer(path) == (None, None)


@pytest.mark.parametrize("path", ["/_stcore/health", "/static/js/index.js", "/media/x.png",
                                  "/component/x/index.html", "/_stcore/stream"])
def test_streamlits_routes_are_never_redirected(path: str) -> None:
    assert answer(path) == (None, None)


def test_only_a_browsers_navigation_is_redirected() -> None:
    assert answer("/a/static/js/index.js", accept="*/*") == (None, None)
    assert answer("/a/b", method="POST") == (None, None)


def test_the_upload_limit_is_the_contracts_file_limit() -> None:
    """Streamlit refuses an upload over server.maxUploadSize (MB) before any page code runs;
    it is the contract's own limit, so the uploader says what the import would accept."""
    import tomllib

    from dashboard.store.contract.limits import MAX_FILE_BYTES

    config = tomllib.loads((Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml")
                           .read_text("utf-8"))
    assert config["server"]["maxUploadSize"] * 1024 * 1024 == MAX_FILE_BYTES
