"""What one hostile caller can do to the app, and what a student drawing at the same time sees.

    python benchmarks/abuse.py [--seconds 15] [--loads 300] [--smoke]

Each attack runs against the real app (``python -m demo``), started behind one trusted proxy
(``MNIST_FORWARDED_HOPS=1``) so that every caller has an address of its own in
``X-Forwarded-For``: the attacker one, the victim another, a class a third.

1. giant pads: one caller with 16 connections sends 4096x4096 pad pictures (the pad's event, as
   fast as answers come) for --seconds; a victim draws (the pad's event, 5 a second) before and during: its p50 in each
   phase, their ratio, and the app's peak memory.
2. classroom reloads: --loads loads of /classroom from one address, each its config and a new
   session's page (what a browser's reload does): what each load got (a page, a line to reload
   later, HTTP 429), the app's memory growth and the victim's p50 meanwhile; with the app's bounds
   (demo/gate.py, demo/classroom/pages.py), with its limit on pages built lifted (the bound on
   pages kept alone), and with both lifted (Gradio alone).
3. made-up sessions: 200 session ids from one address send labelled drawings to a class's wall for
   10 s, while 30 students behind another address send one every 10 s: drawings accepted of each.
4. wrong passwords: 20 tries at a server's teacher password from one address, each as soon as the
   last is answered: how many were checked, how many were told to wait, and in what time.
5. uploads: one request with 50 files of 1 MiB, then 200 uploads of a drawing from one address
   as fast as answers come: the answers' status codes and the bytes left in the upload folder.
6. a PNG with a malformed EXIF chunk through /classify: the message the caller gets.

Figures are observations of this machine, never assertions; benchmarks/RESULTS.md keeps them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import struct
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

import _common  # noqa: F401  (puts the repository on sys.path)
import httpx
import psutil
from _common import (
    folder_size,
    machine_info,
    mib,
    pad_values,
    percentiles,
    print_machine,
    rss_bytes,
    serve,
    write_results,
)

from tests.conftest import draw_digit
from tests.live_app import GradioHTTP, event_of, file_data, pad_event, start_class
from tests.nginx_front import nginx

BEHIND_A_PROXY = {"MNIST_FORWARDED_HOPS": "1"}
PASSWORD = "a long teacher password"


def at(address: str) -> dict:
    return {"x-forwarded-for": address}


class Memory:
    """The app's resident memory (the process and its children), sampled every 0.2 s: its peak."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, rss_bytes(pid), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, rss_bytes(self.pid))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


class Victim:
    """A student at the drawing page, from an address of its own: a stroke's event every 0.2 s,
    each latency kept with the time it started."""

    def __init__(self, url: str, drawing: str) -> None:
        self.http = GradioHTTP(url, headers=at("10.9.9.9"))
        self.fn, self.trigger = pad_event(self.http.config())
        self.drawing, self.samples, self._stop = drawing, [], threading.Event()
        self._thread = threading.Thread(target=self._draw, daemon=True)

    def start(self) -> Victim:
        self._thread.start()
        return self

    def _draw(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            done = self.http.event(self.fn, [self.drawing, "mlp"], self.trigger, "victim")
            if done.get("success"):
                self.samples.append((started, time.perf_counter() - started))
            self._stop.wait(max(0.0, 0.2 - (time.perf_counter() - started)))

    def p50_ms(self, since: float, until: float) -> float:
        window = [latency for started, latency in self.samples if since <= started < until]
        return percentiles(window)["p50_ms"] if window else float("nan")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.http.close()


def giant_pads(seconds: float, behind_nginx: bool = False) -> dict:
    """One caller floods 4096x4096 pad pictures from 16 connections; a victim draws meanwhile.
    With ``behind_nginx``, through nginx configured as deploy/nginx.conf says, and no setting of
    the app's about it."""
    drawing, giant = pad_values(1)[0][0], pad_values(1, canvas=4096)[0][0]
    with contextlib.ExitStack() as stack:
        app = stack.enter_context(serve("app", {"MNIST_FORWARDED_HOPS": ""} if behind_nginx else BEHIND_A_PROXY))
        url = stack.enter_context(nginx(int(app.url.rstrip("/").rsplit(":", 1)[1]))) if behind_nginx else app.url
        victim = Victim(url, drawing).start()
        time.sleep(seconds / 2)
        memory, began, answered = Memory(app.process.pid), time.perf_counter(), []

        def flood(n: int) -> None:
            http = GradioHTTP(url, headers=at("10.6.6.6"))  # one caller, 16 connections
            fn, trigger = pad_event(http.config())
            while time.perf_counter() < began + seconds:
                done = http.event(fn, [giant, "mlp"], trigger, f"flood-{n}")
                answered.append("Too many requests" not in str(done["output"]))
            http.close()

        with ThreadPoolExecutor(16) as pool:
            list(pool.map(flood, range(16)))
        ended = time.perf_counter()
        peak = memory.stop()
        victim.stop()
    before, during = victim.p50_ms(0, began), victim.p50_ms(began, ended)
    return {
        "giant_pad_url_kib": round(len(giant) / 1024, 1),
        "flood_events": len(answered),
        "flood_events_per_s": round(len(answered) / (ended - began), 1),
        "flood_events_queued": sum(answered),
        "victim_p50_before_ms": round(before, 1),
        "victim_p50_during_ms": round(during, 1),
        "victim_ratio": round(during / before, 2),
        "app_peak_mib": round(mib(peak)),
    }


def classroom_loads(loads: int, lifted: tuple[str, ...] = ()) -> dict:
    """``loads`` loads of /classroom from one address, with the app's bounds but those ``lifted``
    ("builds": the pages built per address; "kept": the pages kept per address)."""
    env = {**BEHIND_A_PROXY}
    if "builds" in lifted:
        env["MNIST_CLASSROOM_BUILDS_BURST"] = "100000"
    if "kept" in lifted:
        env["MNIST_CLASSROOM_PAGES_PER_ADDRESS"] = "100000"
    outcomes = {"built": 0, "asked to reload later": 0, "refused (HTTP 429)": 0}
    with serve("app", env) as app:
        http = GradioHTTP(app.url, headers=at("10.7.7.7"))
        local = GradioHTTP(app.url)  # the first page built, from the server's own machine
        local.open_page("classroom", "warm-up")
        local.close()
        victim = Victim(app.url, pad_values(1)[0][0]).start()
        time.sleep(3)
        before_mib, began = mib(rss_bytes(app.process.pid)), time.perf_counter()
        for n in range(loads):
            try:
                config = http.open_page("classroom", f"reload-{n}")
            except json.JSONDecodeError:  # the page's config refused: too many loads
                outcomes["refused (HTTP 429)"] += 1
                continue
            texts = " ".join(str(c.get("props", {}).get("value")) for c in config["components"])
            outcomes["asked to reload later" if "Reload this page in" in texts else "built"] += 1
        ended = time.perf_counter()
        after_mib = mib(rss_bytes(app.process.pid))
        victim.stop()
        http.close()
    return {
        "lifted": ", ".join(lifted) or "none",
        "loads": loads,
        "loads_per_s": round(loads / (ended - began), 1),
        **outcomes,
        "growth_mib": round(after_mib - before_mib, 1),
        "victim_p50_before_ms": round(victim.p50_ms(0, began), 1),
        "victim_p50_during_ms": round(victim.p50_ms(began, ended), 1),
    }


def made_up_sessions(seconds: float = 10.0, students: int = 30, every_s: float = 10.0) -> dict:
    drawings = pad_values(10)
    with serve("app", BEHIND_A_PROXY) as app:
        teacher = GradioHTTP(app.url, headers=at("10.8.0.1"))
        code = start_class(teacher, "teacher")["code"]
        meant = event_of(teacher.config(), "meant", "input")
        outcomes = {"attacker": [], "students": []}

        def tap(http: GradioHTTP, session: str, n: int) -> bool:
            url, digit = drawings[n % len(drawings)]
            done = http.event(meant["id"], [url, str(digit), code], meant["trigger"], session)
            return bool(done.get("success")) and str(done["output"]["data"][1]).startswith("On the class wall")

        began = time.perf_counter()

        def attacker() -> None:
            http, n = GradioHTTP(app.url, headers=at("10.8.6.6")), 0
            while time.perf_counter() < began + seconds:
                outcomes["attacker"].append(tap(http, f"made-up-{n % 200}", n))
                n += 1

        def student(n: int) -> None:
            http = GradioHTTP(app.url, headers=at("10.8.0.2"))  # the whole class behind one router
            time.sleep(n * every_s / students)  # they draw at their own pace
            while time.perf_counter() < began + seconds:
                outcomes["students"].append(tap(http, f"student-{n}", n))
                time.sleep(every_s)

        with ThreadPoolExecutor(students + 1) as pool:
            list(pool.map(lambda f: f(), [attacker] + [lambda n=n: student(n) for n in range(students)]))
    return {
        "seconds": seconds,
        "attacker_sent": len(outcomes["attacker"]),
        "attacker_on_wall": sum(outcomes["attacker"]),
        "students_sent": len(outcomes["students"]),
        "students_on_wall": sum(outcomes["students"]),
    }


def wrong_passwords(tries: int = 20) -> dict:
    with serve("app", {**BEHIND_A_PROXY, "MNIST_TEACHER_PASSWORD": PASSWORD}) as app:
        http = GradioHTTP(app.url, headers=at("10.5.5.5"))
        start = event_of(http.open_page("classroom", "guesser"), "class-start", "click")
        replies, began = [], time.perf_counter()
        for n in range(tries):
            done = http.event(start["id"], [f"guess {n}"], start["trigger"], "guesser")
            replies.append(str(done["output"]["data"][1]) if done.get("success") else "error")
        elapsed = time.perf_counter() - began
    checked = sum("Wrong" in reply for reply in replies)
    return {
        "tries": tries,
        "checked": checked,
        "told_to_wait": sum("wait" in reply for reply in replies),
        "seconds": round(elapsed, 2),
        "checked_per_s": round(checked / elapsed, 2),
        "last_reply": replies[-1],
    }


def uploads(count: int = 200) -> dict:
    picture = io.BytesIO()
    draw_digit(7).save(picture, "PNG")
    with serve("app", BEHIND_A_PROXY) as app:
        client = httpx.Client(base_url=app.url + "gradio_api", headers=at("10.4.4.4"), timeout=60)
        many = [("files", (f"{n}.png", os.urandom(2**20), "image/png")) for n in range(50)]
        fifty = client.post("/upload", files=many).status_code
        codes = [
            client.post("/upload", files={"files": ("7.png", picture.getvalue(), "image/png")}).status_code
            for _ in range(count)
        ]
        size, files = folder_size(app_upload_folder(app))
        client.close()
    return {
        "fifty_files_in_one_request": fifty,
        "uploads": count,
        "accepted": codes.count(200),
        "refused_429": codes.count(429),
        "folder_mib": round(mib(size), 2),
        "folder_files": files,
    }


def app_upload_folder(app) -> str:
    """The upload folder ``serve`` gave the app (its $GRADIO_TEMP_DIR)."""
    return psutil.Process(app.process.pid).environ()["GRADIO_TEMP_DIR"]


def malformed_exif() -> dict:
    buffer = io.BytesIO()
    draw_digit(7).save(buffer, "PNG")
    png, data = buffer.getvalue(), b"not a TIFF structure"
    chunk = struct.pack(">I", len(data)) + b"eXIf" + data + struct.pack(">I", zlib.crc32(b"eXIf" + data))
    with serve("app") as app:
        http = GradioHTTP(app.url)
        event, answer = http.call("classify", [file_data(http.upload(png[:33] + chunk + png[33:])), "mlp"])
        http.close()
    return {"event": event, "message": str(answer)[:160]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="how long the giant pads flood")
    parser.add_argument("--loads", type=int, default=300, help="loads of /classroom")
    parser.add_argument("--smoke", action="store_true", help="a short run: 4 s of flood, 30 loads")
    parser.add_argument("--only", nargs="+", help="run these attacks alone (by their names in the results)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.seconds, args.loads = 4.0, 30
    info = machine_info("cpu")
    print_machine(info)
    results = {"machine": info}
    steps = [
        ("giant_pads", lambda: giant_pads(args.seconds)),
        ("giant_pads_behind_nginx", lambda: giant_pads(args.seconds, behind_nginx=True)),
        ("classroom_loads", lambda: classroom_loads(args.loads)),
        ("classroom_loads_builds_lifted", lambda: classroom_loads(args.loads, ("builds",))),
        ("classroom_loads_gradio_alone", lambda: classroom_loads(args.loads, ("builds", "kept"))),
        ("made_up_sessions", made_up_sessions),
        ("wrong_passwords", wrong_passwords),
        ("uploads", uploads),
        ("malformed_exif", malformed_exif),
    ]
    for name, step in steps:
        if args.only and name not in args.only:
            continue
        results[name] = step()
        print(f"{name}: {results[name]}", flush=True)
    write_results("abuse" + ("_smoke" if args.smoke else ""), results)


if __name__ == "__main__":
    main()
