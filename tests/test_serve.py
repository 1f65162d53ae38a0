"""app/serve.py: the server's one addition to Streamlit, the redirect of nested addresses, and
the heap it sets aside before serving.

The browser test (tests/test_journey.py) follows the redirect to the page; here the
middleware's answers are checked one by one on a stub ASGI app.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
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


def test_every_connection_is_served_without_nagles_delay() -> None:
    """The served app's connections have TCP_NODELAY: Streamlit's own `streamlit run` socket
    (protocol 0) left Nagle's algorithm on, and the last small messages of a run then waited
    for the browser's delayed acknowledgement (~40 ms per run; app/serve.py explains)."""
    import socket

    from browser import free_port

    server = SERVE.build_server("127.0.0.1", free_port())
    server.config.lifespan = "off"  # the socket is the point here, not Streamlit's runtime
    seen: list[int] = []

    async def probe() -> None:
        serving = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.config.port)
        for _ in range(100):
            if server.server_state.connections:
                break
            await asyncio.sleep(0.01)
        for connection in server.server_state.connections:
            accepted = connection.transport.get_extra_info("socket")
            seen.append(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()
        server.should_exit = True
        await serving

    asyncio.run(probe())
    assert seen and all(seen), seen


def test_the_server_keeps_streamlits_websocket_settings() -> None:
    """What `streamlit run` would give uvicorn: sans-I/O websockets, Streamlit's message limit."""
    import streamlit as st

    config = SERVE.build_server("127.0.0.1", 8501).config
    assert config.ws == "websockets-sansio"
    assert config.ws_max_size == st.get_option("server.maxMessageSize") * 1024 * 1024
    assert config.host == "127.0.0.1"


def test_the_server_sets_the_long_lived_heap_aside_before_it_serves(monkeypatch) -> None:
    """main() freezes the objects of the libraries every run uses (gc.freeze) before uvicorn
    starts, so that the collector's full passes walk only what the runs made."""
    import gc

    frozen_at_start: list[int] = []

    class NoServer:
        started = True

        async def serve(self) -> None:
            frozen_at_start.append(gc.get_freeze_count())

    monkeypatch.setattr(SERVE, "build_server", lambda host, port: NoServer())
    try:
        assert SERVE.main(["--host", "127.0.0.1", "--port", "1"]) == 0
        assert frozen_at_start and frozen_at_start[0] > 100_000  # pandas, plotly, the engine
        assert all(m in sys.modules for m in SERVE.LONG_LIVED_MODULES)
        assert "dashboard.ui.cache" not in SERVE.LONG_LIVED_MODULES  # its caches need the runtime
    finally:
        gc.unfreeze()
