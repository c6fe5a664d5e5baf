"""Two per-event costs inside Gradio that shaped the app's server settings, measured in-process.

  python benchmarks/gradio_overheads.py [--repeats 20]

analytics    Gradio's queue rebuilds a pandas summary of its recent events (up to 10,000) after
             every event unless GRADIO_ANALYTICS_CACHE_FREQUENCY says otherwise. Timed here for
             100, 1,600 (one 30 s classroom run) and 10,000 recorded events, per event, with
             the default frequency (1) and the app's (1000).
session      The first event of every visitor builds a per-session copy of the page's component
             configs (gradio.state_holder.SessionState), for every component of the Blocks,
             both pages. Timed here for the app (and each page's part of it) and the no-op floor's page.
gc           One full garbage collection of a process holding the app's server (both pages, the
             models, Gradio): how long the event loop stops, before and after gc.freeze() as
             demo/app.py does at start-up.
"""

from __future__ import annotations

import argparse
import gc
import time

import _common  # noqa: F401  (puts the repository on sys.path)
import noop_server
import torch
from _common import machine_info, print_machine, print_table, wait_for_quiet, write_results
from gradio.queueing import Queue
from gradio.state_holder import SessionState

from demo.app import build_demo
from demo.texts import translations
from mnist_models.inference import Classifier


def analytics_ms(records: int, frequency: int) -> float:
    """Mean cost per event of Queue.compute_analytics_summary with ``records`` held, over enough
    events that a summary kept every ``frequency``-th event is rebuilt at least once."""
    events = max(200, frequency)
    queue = Queue.__new__(Queue)  # only the summary's own state is needed
    queue.events_recorded = queue.event_count_at_last_cache = 0
    queue.ANAYLTICS_CACHE_FREQUENCY = frequency
    queue.cached_event_analytics_summary = {"functions": {}}
    queue.events_recorded_per_fn = {}
    held = [
        {
            "time": time.time(),
            "status": "success",
            "process_time": 0.012,
            "function": "classify",
            "session_hash": f"student-{i % 100}",
        }
        for i in range(records)
    ]
    queue.events_recorded = frequency
    queue.compute_analytics_summary(held)  # warm-up (imports pandas); the count starts over here
    t = time.perf_counter()
    for _ in range(events):
        queue.events_recorded += 1
        queue.compute_analytics_summary(held)
    return (time.perf_counter() - t) / events * 1000


def session_ms(blocks, repeats: int) -> float:
    SessionState(blocks)
    t = time.perf_counter()
    for _ in range(repeats):
        SessionState(blocks)
    return (time.perf_counter() - t) / repeats * 1000


def session_ms_by_page(blocks, repeats: int) -> dict[str, tuple[int, float]]:
    """How the per-session copy splits between the pages of one Blocks: per page (its route, "" for
    the first), its components and the ms the copy of their configs takes."""
    config = blocks.default_config
    pages: dict[str, list] = {}
    for key, block in config.blocks.items():
        if key in blocks.blocks:
            pages.setdefault(getattr(block, "page", "") or "", []).append((key, block))
    split = {}
    for page, members in pages.items():
        t = time.perf_counter()
        for _ in range(repeats):
            for key, block in members:
                config.config_for_block(key, [], block)
        split[page] = (len(members), (time.perf_counter() - t) / repeats * 1000)
    return split


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=20, help="session states built per page (default 20)")
    parser.add_argument("--no-wait", action="store_true", help="start at once even if the machine is busy")
    args = parser.parse_args(argv)
    if not args.no_wait:
        wait_for_quiet()
    torch.set_num_threads(1)
    info = machine_info("CPU")
    print_machine(info)

    analytics = [
        {"records": n, "frequency": f, "ms_per_event": analytics_ms(n, f)}
        for n in (100, 1600, 10_000)
        for f in (1, 1000)
    ]
    print("\nGradio's analytics summary, per event:")
    print_table(analytics, ["records", "frequency", "ms_per_event"])

    classifier = Classifier("cpu")
    i18n = translations(classifier.metrics, classifier.device_label)
    demo = build_demo(classifier, i18n)
    pages = {"the app (both pages, one Blocks)": demo, "no-op floor": noop_server.build()}
    sessions = [
        {"page": name, "components": len(blocks.blocks), "ms_per_new_session": session_ms(blocks, args.repeats)}
        for name, blocks in pages.items()
    ]
    for page, (count, ms) in session_ms_by_page(demo, args.repeats).items():
        name = f"the app: {'the classroom' if page else 'the drawing page'}'s part"
        sessions.append({"page": name, "components": count, "ms_per_new_session": ms})
    print("\nA visitor's first event: Gradio's per-session copy of the page's component configs:")
    print_table(sessions, ["page", "components", "ms_per_new_session"])

    collections = []
    for frozen in (False, True):
        if frozen:
            gc.collect()
            gc.freeze()
        t = time.perf_counter()
        gc.collect()
        collections.append(
            {
                "gc.freeze()": frozen,
                "objects_tracked": len(gc.get_objects()),
                "full_collection_ms": (time.perf_counter() - t) * 1000,
            }
        )
    gc.unfreeze()
    print("\nOne full garbage collection with the app's server built:")
    print_table(collections, ["gc.freeze()", "objects_tracked", "full_collection_ms"])
    write_results(
        "gradio_overheads", {"machine": info, "analytics": analytics, "sessions": sessions, "gc": collections}
    )


if __name__ == "__main__":
    main()
