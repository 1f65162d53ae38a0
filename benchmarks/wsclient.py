"""A Streamlit session without a browser: the websocket protocol a browser tab speaks.

A tab opens ``/_stcore/stream`` (subprotocol ``streamlit``) and sends ``BackMsg`` protobufs; a
run is a ``BackMsg.rerun_script`` carrying the tab's ``ClientState`` (query string, page name —
the page's url path, empty for the default page — and widget states); the server answers with
``ForwardMsg`` protobufs (the new session, one delta per element, ``script_finished``).  The
messages are Streamlit's own generated protobuf modules (``streamlit.proto``), the wire format of
the installed version.

:class:`Session` first asks for the app's page over HTTP, as a browser does, and keeps the
cookies it gets: behind the workers' proxy (scripts/run-workers.sh) the proxy's cookie pins the
session to one worker.  ``run`` measures one run from the request to ``script_finished``: the
server's time plus a loopback round trip.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

__all__ = ["RunResult", "Session", "page_cookies"]

_FINISHED = ForwardMsg.ScriptFinishedStatus


@dataclass
class RunResult:
    """One script run as the client saw it."""

    seconds: float
    status: str  # "ok", "error" (compile error) or "interrupted"
    elements: Counter = field(default_factory=Counter)  # element kind -> count
    exceptions: list[str] = field(default_factory=list)  # st.exception / error texts shown
    received_bytes: int = 0


def page_cookies(base_url: str, timeout_s: float = 30.0) -> str:
    """GET the app's page as a browser would and return its cookies as a Cookie header."""
    with urllib.request.urlopen(base_url + "/", timeout=timeout_s) as response:
        jar = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        response.read()
    return "; ".join(f"{k}={m.value}" for k, m in jar.items())


class Session:
    """One browser tab's session over the websocket (``async with Session(url) as s``)."""

    def __init__(self, base_url: str, *, timeout_s: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.cookie = ""
        self._ws: Any = None

    async def __aenter__(self) -> Session:
        self.cookie = await asyncio.to_thread(page_cookies, self.base_url)
        url = "ws" + self.base_url.removeprefix("http") + "/_stcore/stream"
        headers = {"Cookie": self.cookie} if self.cookie else {}
        self._ws = await connect(url, subprotocols=["streamlit"], additional_headers=headers,  # type: ignore[list-item]
                                 max_size=None, open_timeout=self.timeout_s)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._ws is not None:
            await self._ws.close()

    async def run(self, page: str = "", query: str = "") -> RunResult:
        """Run the script for ``page`` (its url path; "" the default page) with ``query``
        (the URL's query string) and wait for the run to finish."""
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_name = page
        t0 = time.perf_counter()
        await self._ws.send(msg.SerializeToString())
        result = RunResult(0.0, "interrupted")
        while True:
            data = await asyncio.wait_for(self._ws.recv(), self.timeout_s)
            result.received_bytes += len(data)
            fwd = ForwardMsg()
            fwd.ParseFromString(data)
            kind = fwd.WhichOneof("type")
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                element = fwd.delta.new_element
                name = element.WhichOneof("type") or ""
                result.elements[name] += 1
                if name == "exception":
                    result.exceptions.append(element.exception.message)
                elif name == "alert" and element.alert.format == element.alert.ERROR:
                    result.exceptions.append(element.alert.body)
            elif kind == "script_finished":
                if fwd.script_finished == _FINISHED.FINISHED_EARLY_FOR_RERUN:
                    continue  # the script asked for a rerun (a page switch): wait for that one
                result.status = "ok" if fwd.script_finished in (
                    _FINISHED.FINISHED_SUCCESSFULLY, _FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY) else "error"
                result.seconds = time.perf_counter() - t0
                return result
