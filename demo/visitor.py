"""Who is asking: the address a request came from, as this server can believe it.

Behind a proxy every request comes from the proxy's address, and the client's is in the
``X-Forwarded-For`` header that the proxy appends to. A client can write that header too, so it is
believed only as far as proxies this server trusts have written it: the entry ``hops`` from its
right end. Hugging Face's Spaces put one proxy in front of the app, so there one hop is trusted;
anywhere else none, unless ``--forwarded-hops`` (``MNIST_FORWARDED_HOPS``) says how many proxies
stand in front. The app says so once, when it builds its pages (``trust_proxies``).
"""

from __future__ import annotations

import gradio as gr

# How many proxies in front of this server write X-Forwarded-For: set once, at start-up.
_trusted_hops = 0


def trust_proxies(hops: int) -> None:
    """Believe the last ``hops`` entries of ``X-Forwarded-For`` from now on (demo.settings.Settings.hops)."""
    global _trusted_hops
    _trusted_hops = max(0, int(hops))


def forwarded_hops() -> int:
    """How many proxies in front of this server write ``X-Forwarded-For``."""
    return _trusted_hops


def client_address(request: gr.Request | None, hops: int | None = None) -> str:
    """The client's address: from ``X-Forwarded-For`` as far as ``hops`` trusted proxies wrote
    it, else the connection's own; "unknown" when there is neither."""
    client = getattr(request, "client", None)
    return address_of(getattr(request, "headers", None) or {}, getattr(client, "host", None), hops)


def address_of(headers, peer: str | None, hops: int | None = None) -> str:
    """``client_address`` from a request's ``headers`` (a mapping with lower-case names) and the
    address of its connection, ``peer``."""
    hops = forwarded_hops() if hops is None else hops
    if hops > 0:
        chain = [part.strip() for part in str(headers.get("x-forwarded-for", "")).split(",") if part.strip()]
        if len(chain) >= hops:
            return chain[-hops][:64]
    return str(peer or "unknown")[:64]


def is_local(address: str) -> bool:
    """Whether ``address`` is this machine's own (loopback): the person running the app."""
    return address in ("127.0.0.1", "::1", "localhost")
