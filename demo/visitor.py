"""Who is asking: the address a request came from, as this server can believe it.

Behind a proxy every request comes from the proxy's address, and the client's is in the
``X-Forwarded-For`` header that the proxy appends to. A client can write that header too, so it is
believed only as far as proxies this server trusts have written it: the entry ``hops`` from its
right end. Hugging Face's Spaces put one proxy in front of the app, so there one hop is trusted
(``SPACE_ID`` is set on a Space); anywhere else none, unless ``$MNIST_FORWARDED_HOPS`` says how
many proxies stand in front.
"""

from __future__ import annotations

import os

import gradio as gr

FORWARDED_HOPS_ENV = "MNIST_FORWARDED_HOPS"


def forwarded_hops() -> int:
    """How many proxies in front of this server write ``X-Forwarded-For``."""
    value = os.environ.get(FORWARDED_HOPS_ENV)
    if value is not None and value.strip().isdigit():
        return int(value)
    return 1 if os.environ.get("SPACE_ID") else 0


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
