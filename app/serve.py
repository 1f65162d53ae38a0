"""Junheng 均衡 — the server: Streamlit's documented ASGI app (``st.App``) around app/main.py,
served by uvicorn.

``make run`` runs ``python -m app.serve --host H --port P``: :func:`main` below starts uvicorn
on the ``app`` object (Streamlit documents ``uvicorn app:app`` for ``st.App``).  Why not
``streamlit run app/serve.py``: Streamlit 1.67 binds that server's socket itself, without naming
the TCP protocol (``socket.socket(family)``, protocol 0), and asyncio turns Nagle's algorithm
off (``TCP_NODELAY``) only on sockets whose protocol is ``IPPROTO_TCP``.  Nagle then holds the
last small messages of every run (``script_finished``) until the browser's delayed
acknowledgement, about 40 ms: a map rerun answered back-to-back took 48 ms instead of 21 ms,
an empty script 44 ms instead of 3 (issue 15; ``python -m benchmarks load``).  Uvicorn binds
from host and port, with the protocol, so asyncio sets ``TCP_NODELAY`` on every connection.
``main`` passes uvicorn what ``streamlit run`` would: the websocket implementation, the
message size limit and compression from Streamlit's configuration.

The ``app`` adds one thing to Streamlit's own server: an address with more
than one path segment (``/a/b``) is redirected to the app's not-found page.  Streamlit's
front end loads its scripts relatively (``./static/…``), so under ``/a/b`` they would resolve
to ``/a/static/…``, answered with the HTML page, and the browser would show an empty page.
"""

import argparse
import asyncio
import gc
import importlib
import sys
from pathlib import Path
from urllib.parse import quote, urlencode

import streamlit as st
import uvicorn
from starlette.middleware import Middleware

from dashboard.i18n import DEFAULT_LANG, LANGS, t

REPO = Path(__file__).resolve().parent.parent
# pages.common.NOT_FOUND_PATH (not imported: that would load the pages before the server runs).
NOT_FOUND_PATH = "not-found"

# Streamlit's own routes (app/static only when static serving is on); never redirected.
STREAMLIT_PREFIXES = ("_stcore", "static", "media", "component", "app", "auth", "oauth2callback")


def nested_page(path: str, method: str, accept: str) -> bool:
    """Whether a request is a browser's navigation to an address of several segments."""
    parts = [p for p in path.split("/") if p]
    return (method == "GET" and len(parts) > 1 and parts[0] not in STREAMLIT_PREFIXES
            and "text/html" in accept)


class NestedPathRedirect:
    """ASGI middleware: send a browser that asks for ``/a/b`` to ``/not-found?path=a/b``."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            accept = headers.get(b"accept", b"").decode("latin-1")
            path = scope.get("path", "")
            base = "/" + str(st.get_option("server.baseUrlPath") or "").strip("/")
            if base != "/" and (path == base or path.startswith(base + "/")):
                path = path[len(base):]
            else:
                base = ""
            if nested_page(path, scope.get("method", ""), accept):
                query = scope.get("query_string", b"").decode("latin-1")
                target = base + "/" + NOT_FOUND_PATH + "?" + urlencode({"path": path.strip("/")}, quote_via=quote)
                if query:
                    target += "&" + query
                await send({"type": "http.response.start", "status": 302,
                            "headers": [(b"location", target.encode("latin-1")),
                                        (b"content-length", b"0")]})
                await send({"type": "http.response.body", "body": b""})
                return
        await self.app(scope, receive, send)


app = st.App(str(REPO / "app" / "main.py"), middleware=[Middleware(NestedPathRedirect)])


def build_server(host: str, port: int) -> uvicorn.Server:
    """Return the uvicorn server of ``app`` on host:port, with the settings ``streamlit run``
    gives uvicorn (streamlit/web/server/starlette): its sans-I/O websockets, Streamlit's message
    size limit (MB) and websocket compression."""
    return uvicorn.Server(uvicorn.Config(
        app, host=host, port=port, ws="websockets-sansio",
        ws_max_size=int(st.get_option("server.maxMessageSize")) * 1024 * 1024,
        ws_per_message_deflate=bool(st.get_option("server.enableWebsocketCompression")),
        access_log=False))


# The libraries and engine every run of every page uses, imported before the server starts so
# that settle_heap can set their objects aside.  Not dashboard.ui.cache nor the pages: their
# Streamlit caches must be made once Streamlit's runtime exists.
LONG_LIVED_MODULES = ("numpy", "pandas", "pyarrow", "plotly.graph_objects", "plotly.io",
                      "dashboard.method.engine", "dashboard.ui.maps", "dashboard.ui.figures")


def settle_heap() -> int:
    """Import LONG_LIVED_MODULES and move every object made so far out of the cyclic garbage
    collector's way (``gc.freeze``, the standard library's API for objects that live as long as
    the process): its full collections then walk only what the runs made.  On the demo they
    took up to 215 ms each, every session waiting (issue 15: GC times of the served app, 200
    reruns); frozen, about half.  Return the number of objects set aside."""
    for name in LONG_LIVED_MODULES:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def main(argv: list[str] | None = None) -> int:
    """Serve ``app`` with uvicorn on ``--host``/``--port`` (default: .streamlit/config.toml's
    ``server.address`` and ``server.port``) until stopped; say where once it listens."""
    parser = argparse.ArgumentParser(prog="python -m app.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=st.get_option("server.address") or "127.0.0.1")
    parser.add_argument("--port", type=int, default=int(st.get_option("server.port")))
    parser.add_argument("--lang", choices=LANGS, default=DEFAULT_LANG)
    args = parser.parse_args(argv)
    settle_heap()
    server = build_server(args.host, args.port)
    url = f"http://{args.host}:{args.port}"

    async def announce() -> None:
        while not server.started:
            await asyncio.sleep(0.05)
        print(t("serve.listening", args.lang, url=url), file=sys.stderr, flush=True)

    async def serve() -> None:
        told = asyncio.create_task(announce())
        try:
            await server.serve()
        finally:
            told.cancel()

    asyncio.run(serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
