"""Preprocessing and the forward pass in a process of their own, off the web server's thread.

A Gradio server does its work - HTTP, uploads, the queue, every page's events - on one event
loop, in one Python thread that holds the interpreter lock while it works. Answering a drawing
takes about 1.5 ms of CPU (decoding the PNG, preprocessing, the forward pass). Run on the loop,
that time is taken from everyone else's requests; run in a worker thread, it fights the loop for
the lock after every decoding step and torch operation. In a process of its own it runs on the
other core, and the loop only passes a few kilobytes each way. Under a class's load this made
the p95 latency lower than a no-op endpoint's (benchmarks/README.md).

The child loads the same shipped weights on the same device. If it dies, the next drawing is
answered in this process (in a thread) while a new child starts.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from mnist_models.inference import Classifier, Prediction

_classifier: Classifier | None = None  # in the child


def _start_child(device: str, parent: int) -> None:
    global _classifier
    import torch

    torch.set_num_threads(1)  # one drawing at a time: more threads only add hand-offs
    _classifier = Classifier(device)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    # A server killed outright cannot stop its child; the child notices and goes too.
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _classify(image: Any, model: str) -> Prediction:
    return _classifier.classify(image, model)


def _ready() -> bool:
    return _classifier is not None


class ModelProcess:
    """Classifies drawings in one child process, with ``local`` (this process's classifier)
    checking model names first and standing in while the child is being replaced."""

    def __init__(self, local: Classifier) -> None:
        self.local = local
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        # "spawn": a fresh interpreter on every platform (forking a process that has touched
        # CUDA or holds threads is unsafe).
        pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_child,
            initargs=(str(self.local.device), os.getpid()),
        )
        pool.submit(_ready)  # start the child now, not at the first drawing
        return pool

    async def classify(self, image: Any, model: str) -> Prediction:
        """``Classifier.classify`` in the child; the same errors (DrawingError, UnknownModelError)."""
        self.local.model(model)  # an unknown name fails here, before anything is sent
        try:
            return await asyncio.wrap_future(self._pool.submit(_classify, image, model))
        except BrokenProcessPool:
            self._pool = self._start()
            return await asyncio.to_thread(self.local.classify, image, model)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def in_thread(classifier: Classifier):
    """``Classifier.classify`` in a worker thread of this process: the app without a model
    process (for tests, and for tools that build the pages without serving them)."""

    async def classify(image: Any, model: str) -> Prediction:
        return await asyncio.to_thread(classifier.classify, image, model)

    return classify
