"""A stand-in for the ZeroGPU "device API" that the `spaces` package (0.51.3) talks to.

On a ZeroGPU Space, `SPACES_ZERO_GPU=true` makes `import spaces` patch torch and send every call of
an `@spaces.GPU` function through the device API named by `SPACES_ZERO_DEVICE_API_URL`. This module
speaks the endpoints the package calls (read from `spaces/zero/api.py` and `client.py`):

    POST /startup-report                      at the first Blocks.launch() when a function is
                                              decorated; anything but 200 stops the launch
    POST /schedule?cgroupPath=&taskId=&enableQueue=&tokenVersion=[&durationSeconds=][&gpuSize=][&token=]
                                              200 + JSON {idle, nvidiaIndex, nvidiaUUID, allowToken},
                                              or 200 + text/event-stream (events ping / failed /
                                              succeeded with the same JSON as data),
                                              or 429 + JSON {left, wait} (quota), 503 (no GPU),
                                              401 (expired token)
    POST /allow?allowToken=&pid=              from the forked worker; must answer 200
    POST /release?allowToken=&fail=           after the call; 200 (204: "GPU device not used")
    GET  /queue-size                          JSON number (the package defines it, never calls it)

Use it from a test::

    with ZeroGPUDeviceAPI() as api:
        env = {**os.environ, **api.env()}          # SPACES_ZERO_GPU, SPACES_ZERO_DEVICE_API_URL
        ...start the app with env, call it...
        assert [s.duration_seconds for s in api.schedules] == [6]
        api.answer_schedule("quota-exceeded", left=0, wait=timedelta(minutes=3))

The forked worker calls real CUDA (`torch.Tensor([0]).cuda()` in `spaces.zero.torch.init`). On a
machine without a GPU that fails and the visitor sees gr.Error "ZeroGPU worker error" with the
exception's class name. `tests/zerogpu_cpu_worker.py` skips that step (in the app's process, after
`import spaces`) so a decorated function runs on CPU; for an app started as a subprocess run::

    python tests/zerogpu_cpu_worker.py demo/app.py [args...]

Only loopback addresses are used.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from typing_extensions import Self  # typing.Self is Python 3.11+

# What /schedule can answer, and what the `spaces` package then shows the visitor (gr.Error title:
# message). "ok" and "queued" run the function. Messages are for calls without an X-IP-Token
# header (no Hugging Face token or IP token: Space-wide quota); with a token the quota message
# names the retry time, "Try again in 0:03:00.", and a failed queue is "ZeroGPU queue timeout".
OUTCOMES = {
    "ok": "200 JSON: a GPU at once",
    "queued": "200 event stream: ping, then succeeded",
    "quota-exceeded": "429 {left, wait}: ZeroGPU quota exceeded",
    "illegal-duration": "429 {left, wait<0}: ZeroGPU illegal duration",
    "pending-credits": "429 + X-Approve-Result: pending-overquota-exceeded: ZeroGPU pending credits exceeded",
    "queue-timeout": "200 event stream: failed: ZeroGPU quota exceeded / ZeroGPU queue timeout",
    "no-gpu": "503: ZeroGPU client error, No GPU was available",
    "expired-token": "401: ZeroGPU client error, Expired ZeroGPU proxy token",
}


@dataclass(frozen=True)
class Call:
    """One request the stand-in received."""

    method: str
    path: str
    params: dict[str, str]
    at: float


@dataclass(frozen=True)
class ScheduleRequest:
    """One POST /schedule, its query parameters decoded."""

    duration_seconds: int | None  # durationSeconds: round(duration * GPU factor); None: not sent
    task_id: int
    cgroup_path: str
    enable_queue: bool
    token_version: int
    token: str | None  # the visitor's X-IP-Token header, when Gradio passed one
    gpu_size: str | None  # "large" / "xlarge" when the decorator named one
    outcome: str  # what the stand-in answered


@dataclass
class _Answer:
    outcome: str = "ok"
    left: int = 0
    wait: timedelta = timedelta(minutes=3)
    auth: str | None = None  # X-Authenticated: None, "regular" or "pro"
    idle: bool = True


@dataclass
class ZeroGPUDeviceAPI:
    """The device API on 127.0.0.1 (a free port unless one is given), served from a thread."""

    host: str = "127.0.0.1"
    port: int = 0
    startup_status: int = 200  # what /startup-report answers
    allow_status: int = 200  # what /allow answers
    release_status: int = 200  # what /release answers
    calls: list[Call] = field(default_factory=list)
    schedules: list[ScheduleRequest] = field(default_factory=list)

    def __post_init__(self):
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the stand-in device API listens on loopback only")
        self._answer = _Answer()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle -------------------------------------------------------------------------
    def start(self) -> Self:
        self._server = ThreadingHTTPServer((self.host, self.port), _DeviceAPIHandler)
        self._server.api = self  # what its handlers record on and answer from
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="zerogpu-device-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env(self) -> dict[str, str]:
        """The environment a ZeroGPU app process needs to talk to this stand-in."""
        return {"SPACES_ZERO_GPU": "true", "SPACES_ZERO_DEVICE_API_URL": self.url}

    # --- what to answer ---------------------------------------------------------------------
    def answer_schedule(
        self,
        outcome: str = "ok",
        *,
        left: int = 0,
        wait: timedelta = timedelta(minutes=3),
        auth: str | None = None,
        idle: bool = True,
    ) -> None:
        """Answer every following /schedule with `outcome` (a key of OUTCOMES) until told otherwise.

        `left` and `wait` fill the quota answer (the package shows "Try again in {wait}" when the
        request carried a token); `auth` is the X-Authenticated header; `idle=False` makes the
        package fork a fresh worker instead of reusing the last one."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}; one of {sorted(OUTCOMES)}")
        with self._lock:
            self._answer = _Answer(outcome, left, wait, auth, idle)

    def reset(self) -> None:
        """Forget the calls received and answer "ok" again."""
        with self._lock:
            self.calls.clear()
            self.schedules.clear()
            self._answer = _Answer()

    # --- what was received ------------------------------------------------------------------
    def calls_to(self, path: str) -> list[Call]:
        return [call for call in self.calls if call.path == path]

    @property
    def startup_reports(self) -> int:
        return len(self.calls_to("/startup-report"))

    @property
    def allows(self) -> list[Call]:
        return self.calls_to("/allow")

    @property
    def releases(self) -> list[Call]:
        return self.calls_to("/release")

    def wait_for(self, path: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Wait until `count` calls to `path` came (a release comes just after the result)."""
        deadline = time.monotonic() + timeout
        while len(found := self.calls_to(path)) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(found)} of {count} calls to {path} after {timeout}s")
            time.sleep(0.02)
        return found

    def _record(self, method: str, path: str, params: dict[str, str]) -> _Answer:
        with self._lock:
            self.calls.append(Call(method, path, params, time.time()))
            return self._answer

    def _record_schedule(self, params: dict[str, str], outcome: str) -> None:
        with self._lock:
            self.schedules.append(
                ScheduleRequest(
                    duration_seconds=int(params["durationSeconds"]) if "durationSeconds" in params else None,
                    task_id=int(params.get("taskId", 0)),
                    cgroup_path=params.get("cgroupPath", ""),
                    enable_queue=params.get("enableQueue", "").lower() == "true",
                    token_version=int(params.get("tokenVersion", 1)),
                    token=params.get("token"),
                    gpu_size=params.get("gpuSize"),
                    outcome=outcome,
                )
            )


class _DeviceAPIHandler(BaseHTTPRequestHandler):
    """One request to the stand-in: recorded on ``self.server.api``, answered as it says."""

    # HTTP/1.0: a body ends when the connection closes, as an event stream needs
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        path, params = self._parse()
        self.server.api._record("GET", path, params)
        if path == "/queue-size":
            return self._send(200, 0)
        self._send(404, {"detail": "Not Found"})

    def do_POST(self):
        api = self.server.api
        path, params = self._parse()
        answer = api._record("POST", path, params)
        if path == "/startup-report":
            return self._send(api.startup_status)
        if path == "/schedule":
            return self._schedule(params, answer)
        if path == "/allow":
            return self._send(api.allow_status)
        if path == "/release":
            return self._send(api.release_status)
        self._send(404, {"detail": "Not Found"})

    def _schedule(self, params: dict[str, str], answer: _Answer):
        self.server.api._record_schedule(params, answer.outcome)
        headers = {"X-Authenticated": answer.auth} if answer.auth else {}
        granted = {
            "idle": answer.idle,
            "nvidiaIndex": 0,
            "nvidiaUUID": GPU_UUID,
            "allowToken": uuid.uuid4().hex,
        }
        outcome = answer.outcome
        if outcome == "ok":
            return self._send(200, granted, headers)
        if outcome in ("quota-exceeded", "illegal-duration", "pending-credits"):
            wait = -1.0 if outcome == "illegal-duration" else answer.wait.total_seconds()
            if outcome == "pending-credits":
                headers["X-Approve-Result"] = "pending-overquota-exceeded"
            return self._send(429, {"left": answer.left, "wait": wait}, headers)
        if outcome == "no-gpu":
            return self._send(503, {"detail": "No GPU available"}, headers)
        if outcome == "expired-token":
            return self._send(401, {"detail": "Expired token"}, headers)
        # queued / queue-timeout: an event stream. The package parses each chunk it reads as
        # one whole event, so each is written on its own with a pause between them.
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("X-Queuing-Reason", "node")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self._event("ping")
        time.sleep(0.2)
        if outcome == "queued":
            self._event("succeeded", granted)
        else:
            self._event("failed")

    def _event(self, name: str, data: dict | None = None):
        text = f"event: {name}\n" + (f"data: {json.dumps(data)}\n" if data is not None else "") + "\n"
        self.wfile.write(text.encode())
        self.wfile.flush()

    def _parse(self) -> tuple[str, dict[str, str]]:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        return url.path, {key: values[-1] for key, values in parse_qs(url.query).items()}

    def _send(self, status: int, body=None, headers: dict[str, str] | None = None):
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


def real_gpu_uuid() -> str | None:
    """This machine's first NVIDIA GPU's UUID (`nvidia-smi -L`), or None: the worker's start-up sets
    CUDA_VISIBLE_DEVICES to the UUID granted, and a made-up one would hide a real GPU from it."""
    listed = (
        shutil.which("nvidia-smi")
        and subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, check=False).stdout
    )
    return next(iter(re.findall(r"UUID: (GPU-[0-9a-fA-F-]+)", listed or "")), None)


GPU_UUID = real_gpu_uuid() or "GPU-00000000-stand-in"  # what the stand-in grants
