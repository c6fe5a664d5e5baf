"""What a visitor's session costs: Gradio copies the config of every component of the Blocks into
each new session (``SessionState``) at its first event, and keeps up to
``Blocks.state_session_capacity`` sessions.

    python benchmarks/sessions.py [--sessions 5000] [--repeats 50]

1. In process: the time to build one new session's state for the app's Blocks (both pages; the
   classroom's tabs are rendered per classroom page, so not in it) and for the floor's (the
   drawing page alone, benchmarks/floor.py), p50 over --repeats.
2. Over HTTP, against the app: its resident memory after a warm-up, after as many made-up
   sessions as the app keeps (each one pad event with a new session_hash, as a script would
   send them), and after --sessions of them: the memory a made-up session costs, and the bound
   the app's capacity puts on them.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import _common  # noqa: F401  (puts the repository on sys.path)
import gradio as gr
import numpy as np
from _common import (
    machine_info,
    mib,
    pad_values,
    print_machine,
    rss_bytes,
    serve,
    wait_for_quiet,
    write_results,
)
from gradio.state_holder import SessionState

from demo import student
from demo.app import SESSION_CAPACITY, build_demo
from demo.language import translations
from mnist_models.classes.store import ClassStore
from mnist_models.reading.classifier import Classifier
from tests.live_app import GradioHTTP, pad_event


def copy_ms(blocks: gr.Blocks, repeats: int) -> float:
    """p50 milliseconds to build a new session's state for ``blocks``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        SessionState(blocks)
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1000)


def in_process(repeats: int) -> dict:
    from floor import NoopClassifier

    classifier = Classifier("cpu")
    i18n = translations(classifier.metrics, classifier.device_label)
    store = ClassStore(tempfile.mkdtemp(prefix="bench-classes-"))
    app = build_demo(classifier, i18n, store)
    with gr.Blocks() as floor:
        student.build(NoopClassifier(), i18n, store, floor)
    return {
        "app_components": len(app.blocks),
        "app_copy_ms": copy_ms(app, repeats),
        "floor_components": len(floor.blocks),
        "floor_copy_ms": copy_ms(floor, repeats),
    }


def made_up_sessions(total: int) -> dict:
    """The app's memory as made-up sessions arrive: (sessions, MiB) after each step."""
    drawing = pad_values(1)[0][0]
    readings = []
    with serve("app") as app:
        http = GradioHTTP(app.url, timeout_s=60)
        fn_index, trigger = pad_event(http.config())
        send = lambda n: http.event(fn_index, [drawing, "mlp"], trigger, session=f"made-up-{n}")
        for n in range(20):  # warm-up: the models, the queue, the first sessions
            send(-n - 1)
        readings.append((0, mib(rss_bytes(app.process.pid))))
        steps = sorted({min(SESSION_CAPACITY, total), total})
        done = 0
        with ThreadPoolExecutor(4) as pool:
            for step in steps:
                list(pool.map(send, range(done, step)))
                done = step
                readings.append((done, mib(rss_bytes(app.process.pid))))
                print(f"{done} made-up sessions: {readings[-1][1]:.0f} MiB", flush=True)
        http.close()
    first = readings[1]
    return {
        "readings_mib": readings,
        "kib_per_session": (first[1] - readings[0][1]) * 1024 / max(1, first[0]),
        "mib_after_all": readings[-1][1],
        "capacity": SESSION_CAPACITY,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--no-wait", action="store_true", help="start at once even if the machine is busy")
    args = parser.parse_args()
    if not args.no_wait:
        wait_for_quiet()
    info = machine_info("cpu")
    print_machine(info)
    copies = in_process(args.repeats)
    print(
        f"a new session's state: app {copies['app_copy_ms']:.2f} ms ({copies['app_components']} components up front), "
        f"floor {copies['floor_copy_ms']:.2f} ms ({copies['floor_components']})",
        flush=True,
    )
    memory = made_up_sessions(args.sessions)
    print(
        f"a made-up session: {memory['kib_per_session']:.0f} KiB; after {args.sessions}: {memory['mib_after_all']:.0f} MiB "
        f"(the app keeps {memory['capacity']})"
    )
    write_results("sessions", {"machine": info, "copies": copies, "memory": memory})


if __name__ == "__main__":
    main()
