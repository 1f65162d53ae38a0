"""Junheng 均衡 — the server: Streamlit's documented ASGI app (``st.App``) around app/main.py.

``make run`` serves this file (``streamlit run app/serve.py`` finds the ``app`` object below
and runs it under uvicorn).  It adds one thing to Streamlit's own server: an address with more
than one path segment (``/a/b``) is redirected to the app's not-found page.  Streamlit's
front end loads its scripts relatively (``./static/…``), so under ``/a/b`` they would resolve
to ``/a/static/…``, answered with the HTML page, and the browser would show an empty page.
"""

from pathlib import Path
from urllib.parse import quote, urlencode

import streamlit as st
from starlette.middleware import Middleware

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
