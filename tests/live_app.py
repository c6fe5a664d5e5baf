"""The real app over HTTP, for tests and benchmarks alike: start it as a separate process on a
free loopback port (``live_app``), and call it as an outside caller does, with no
gradio_client (``GradioHTTP``, ``pad_event``, ``read_call_stream``)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveApp:
    url: str
    process: subprocess.Popen
    started: float  # time.perf_counter() just before the process was started


@contextmanager
def live_app(
    command: list[str] | None = None, env_extra: dict | None = None, port: int | None = None, cwd: Path = ROOT
) -> Iterator[LiveApp]:
    """Run ``python -m demo`` (or ``command``, which reads its port from $GRADIO_SERVER_PORT) in
    ``cwd`` on ``port`` (default: a free one) until its /config answers; yield its URL and process;
    stop it afterwards (SIGTERM, as a Space stops it)."""
    port = port or free_port()
    command = command or [sys.executable, "-m", "demo", "--host", "127.0.0.1", "--port", str(port)]
    classes = tempfile.TemporaryDirectory(prefix="live-app-classes-", ignore_cleanup_errors=True)
    uploads = tempfile.TemporaryDirectory(prefix="live-app-uploads-", ignore_cleanup_errors=True)
    env = {
        "MNIST_CLASSES_DIR": classes.name,  # the server's classes in a folder of its own
        "GRADIO_TEMP_DIR": uploads.name,  # and its uploads: a server sweeps old ones as it starts
        **os.environ,
        "GRADIO_ANALYTICS_ENABLED": "False",
        "MNIST_DEVICE": "cpu",
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        **(env_extra or {}),
    }
    # The server's output goes to a file: a pipe that nobody reads fills up, and the server then
    # blocks on its next log line (Gradio prints a traceback for every failed event).
    with tempfile.TemporaryFile(mode="w+") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        url = f"http://127.0.0.1:{port}/"
        try:
            deadline = time.monotonic() + 90
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"the app exited with {process.returncode}:\n{log.read()[-5000:]}")
                try:
                    urllib.request.urlopen(url + "config", timeout=2)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the app did not answer within 90 s") from None
                    time.sleep(0.1)
            yield LiveApp(url, process, started)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            classes.cleanup()
            uploads.cleanup()


@contextmanager
def running_app(command: list[str] | None = None, env_extra: dict | None = None) -> Iterator[str]:
    """``live_app`` for callers that need only the URL."""
    with live_app(command, env_extra) as app:
        yield app.url


@contextmanager
def proxy_running(command: list[str], url: str, name: str) -> Iterator[str]:
    """Run a proxy's ``command`` until ``url`` answers through it (the app's /config); yield
    ``url``; stop the proxy afterwards."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "config", timeout=2)
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited: {process.stderr.read().decode()[-2000:]}") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


FILE_META = {"_type": "gradio.FileData"}


def read_call_stream(lines) -> tuple[str, object]:
    """Read a /gradio_api/call/... SSE stream; return (event, data) of its final event."""
    event = None
    for line in lines:
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:") and event in ("complete", "error"):
            payload = line[5:].strip()
            try:
                return event, json.loads(payload)
            except json.JSONDecodeError:
                return event, payload
    return event or "eof", None


def pad_event(config: dict) -> tuple[int, int]:
    """(fn_index, trigger_id) of the drawing page's pad change event, from the page's /config:
    the change event of the html component with elem_id "sketch" on the home page."""
    home = config.get("page", {}).get("", {}).get("components")
    pads = [
        c["id"]
        for c in config["components"]
        if c.get("type") == "html"
        and c.get("props", {}).get("elem_id") == "sketch"
        and (home is None or c["id"] in home)
    ]
    for dependency in config["dependencies"]:
        for target, event in dependency["targets"]:
            if target in pads and event == "change":
                return dependency["id"], target
    raise LookupError("no change event of a drawing pad (elem_id 'sketch') on the home page")


class GradioHTTP:
    """Gradio 6's HTTP API as an outside caller uses it (no gradio_client): uploads, the public
    /call/<api_name> endpoints, and any event of either page by its fn_index through queue/join,
    the way the page itself calls its private events."""

    def __init__(self, url: str, timeout_s: float = 30.0, headers: dict | None = None) -> None:
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url + "/gradio_api", timeout=timeout_s, headers=headers)
        self.timeout_s = timeout_s

    def close(self) -> None:
        self.http.close()

    def config(self) -> dict:
        return self.http.get(self.url + "/config").json()

    def upload(self, data: bytes, name: str = "drawing.png") -> str:
        response = self.http.post("/upload", files={"files": (name, data, "application/octet-stream")})
        response.raise_for_status()
        return response.json()[0]

    def call(self, api_name: str, data: list, session: str = "test-client") -> tuple[str, object]:
        """POST /call/<api_name>, then read its result stream: ("complete", outputs) or ("error", message)."""
        response = self.http.post(f"/call/{api_name}", json={"data": data, "session_hash": session})
        response.raise_for_status()
        with self.http.stream("GET", f"/call/{api_name}/{response.json()['event_id']}") as stream:
            event, payload = read_call_stream(stream.iter_lines())
        if event == "error":
            return event, (payload or {}).get("error") if isinstance(payload, dict) else payload
        return event, payload

    def open_page(self, page: str, session: str, stored: object = None) -> dict:
        """Open a page as a browser does: run its load events for ``session`` (with ``stored``,
        what the browser's storage holds, for each input they read), and return the page's config
        with what they rendered (``gr.render``: components and events made for that session alone)
        added to its components and dependencies."""
        config = self.config()
        own = set(config["page"][page]["dependencies"])
        loads = [d for d in config["dependencies"] if d["id"] in own and [0, "load"] in d["targets"]]
        for dependency in loads:
            data = [stored] * len(dependency["inputs"])
            rendered = self.event(dependency["id"], data, 0, session)["output"].get("render_config") or {}
            config["components"] += rendered.get("components", [])
            config["dependencies"] += rendered.get("dependencies", [])
        return config

    def classify(self, png: bytes, model: str = "mlp") -> tuple[str, object]:
        return self.call("classify", [file_data(self.upload(png)), model])

    def event(
        self,
        fn_index: int,
        data: list,
        trigger_id: int | None = None,
        session: str = "test-client",
        queue: bool = True,
        headers: dict | None = None,
    ) -> dict:
        """Run one event as the page does (queue/join, then the session's message stream) and
        return its process_completed message; queue=False events go through /run/predict."""
        body = {
            "data": data,
            "fn_index": fn_index,
            "session_hash": session,
            "trigger_id": trigger_id,
            "event_data": None,
        }
        if not queue:
            response = self.http.post("/run/predict", json=body)
            return {"msg": "process_completed", "success": response.status_code == 200, "output": response.json()}
        response = self.http.post("/queue/join", json=body, headers=headers)
        if response.status_code != 200:
            return {"msg": "process_completed", "success": False, "output": {"error": response.text}}
        event_id = response.json()["event_id"]
        # No deadline on the whole event: the app bounds its work (a live training ends at its time
        # limit), and a test that gives a slow machine N seconds fails on it. The stream is read
        # until the event completes; silence longer than timeout_s (Gradio sends a heartbeat every
        # 15 s) or a closed stream fails.
        with self.http.stream("GET", "/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("event_id") == event_id and message.get("msg") == "process_completed":
                    return message
        raise ConnectionError(f"the stream of event {fn_index} ended before the event completed")


def event_of(config: dict, elem_id: str, event: str | None = None) -> dict:
    """The dependency (event) of ``config`` triggered by the component with ``elem_id``: the one
    for ``event`` ("click", "change", ...), or its first; with its ``trigger`` (the component's id)."""
    ids = {c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == elem_id}
    for dependency in config["dependencies"]:
        for target, name in dependency["targets"]:
            if target in ids and event in (None, name):
                return {**dependency, "trigger": target}
    raise LookupError(f"no {event or ''} event of a component with elem_id {elem_id!r}")


def start_class(http: GradioHTTP, session: str) -> dict:
    """Start a class from the classroom page as a teacher does (its "Start a class" button, in the
    session of a page opened with no class); the teacher key the browser then keeps."""
    config = http.open_page("classroom", session)
    start = event_of(config, "class-start", "click")
    completed = http.event(start["id"], [""], start["trigger"], session)
    key, message = completed["output"]["data"]
    if not isinstance(key, dict) or "code" not in key:
        raise RuntimeError(f"no class was started: {message}")
    return key


def file_data(path: str) -> dict:
    """A FileData value naming a server path, as Gradio's clients send an uploaded file."""
    return {"path": path, "meta": FILE_META}
