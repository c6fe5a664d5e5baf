"""Preprocessing and the forward pass in a process of their own, off the web server's thread.

A Gradio server does its work - HTTP, uploads, the queue, every page's events - on one event
loop, in one Python thread that holds the interpreter lock while it works. Answering a drawing
takes about 1.5 ms of CPU (decoding the PNG, preprocessing, the forward pass). Run on the loop,
that time is taken from everyone else's requests; run in a worker thread, it fights the loop for
the lock after every decoding step and torch operation. In a process of its own it runs on the
other core, and the loop only passes a few kilobytes each way (benchmarks/README.md).

The two processes talk over a socket pair that the event loop reads itself: a drawing goes out
as one message, the answers come back in the order the drawings were sent. (concurrent.futures'
process pool needs two threads of its own in the server to move each call, and each of them
must win the interpreter lock from the busy loop.)

The child loads the same shipped weights on the same device, and exits when the server's end
of the socket closes. Until it has loaded, or if it dies, drawings are answered in this process
(in a thread) while a new child starts.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import multiprocessing
import os
import pickle
import socket
import struct
from typing import Any

from mnist_models.inference import Classifier, Prediction

_HEADER = struct.Struct("!I")  # each message: its length, then the pickled value
# The slowest drawing the child takes (a 4096x4096 upload) is well under a second; one that takes
# this long means a stuck child, which is replaced rather than left to hold every later drawing.
ANSWER_TIMEOUT_S = 20.0


def _frame(value: Any) -> bytes:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


def _serve(connection: socket.socket, device: str, batch: bool) -> None:
    """The child: load the models, say so, then answer (image, model) messages until the server
    closes its end."""
    import torch

    torch.set_num_threads(1)  # one drawing at a time: more threads only add hand-offs
    if batch and hasattr(os, "sched_setscheduler"):  # Linux
        # A batch process does not preempt others when it wakes: a drawing runs on a free core,
        # or waits its turn, rather than pushing the web server off its core. Under a class's
        # load this cut the p95 by a fifth (benchmarks/README.md).
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    classifier = Classifier(device)
    incoming = connection.makefile("rb")
    try:
        connection.sendall(_frame("ready"))
        while header := incoming.read(_HEADER.size):
            image, model = pickle.loads(incoming.read(_HEADER.unpack(header)[0]))
            try:
                answer = _frame((True, classifier.classify(image, model)))
            except Exception as error:  # noqa: BLE001  DrawingError, UnknownModelError or a fault: the caller raises it
                try:
                    answer = _frame((False, error))
                except Exception:  # noqa: BLE001  one that does not pickle still reaches the caller, as text
                    answer = _frame((False, RuntimeError(f"{type(error).__name__}: {error}")))
            connection.sendall(answer)
    except (BrokenPipeError, ConnectionError):
        pass  # the server went away


class ModelGone(RuntimeError):
    """The model process ended before it answered."""


class ModelProcess:
    """Classifies drawings in one child process, with ``local`` (this process's classifier)
    checking model names first and standing in until the child is ready."""

    def __init__(self, local: Classifier, batch: bool = True) -> None:
        self.local = local
        self.batch = batch  # schedule the child as a batch process (Linux; see _serve)
        self._waiting: collections.deque[asyncio.Future] = collections.deque()  # in the order sent
        self._writer: asyncio.StreamWriter | None = None
        self._listener: asyncio.Task | None = None
        self._ready = False
        self._closed = False
        self._start()

    def _start(self) -> None:
        # "spawn": a fresh interpreter on every platform (forking a process that has touched
        # CUDA or holds threads is unsafe). Started at once, it loads while the pages are built.
        ours, theirs = socket.socketpair()
        context = multiprocessing.get_context("spawn")
        self._child = context.Process(target=_serve, args=(theirs, str(self.local.device), self.batch), name="mnist-model", daemon=True)
        self._child.start()
        theirs.close()
        self._socket: socket.socket | None = ours

    @property
    def pid(self) -> int | None:
        return self._child.pid

    @property
    def alive(self) -> bool:
        return self._child.is_alive()

    @property
    def ready(self) -> bool:
        """Whether drawings now go to the child (rather than being answered here)."""
        return self._ready

    async def classify(self, image: Any, model: str) -> Prediction:
        """``Classifier.classify`` in the child; the same errors (DrawingError, UnknownModelError)."""
        self.local.model(model)  # an unknown name fails here, before anything is sent
        if self._listener is None:  # the first drawing on this event loop
            self._listener = asyncio.get_running_loop().create_task(self._keep_child())
        if not self._ready:
            return await self._here(image, model)
        answer = asyncio.get_running_loop().create_future()
        self._waiting.append(answer)
        self._writer.write(_frame((image, model)))
        try:
            ok, value = await asyncio.wait_for(answer, ANSWER_TIMEOUT_S)
        except asyncio.TimeoutError:  # (not the built-in TimeoutError before Python 3.11)
            self._ready = False  # later drawings stay here; the listener sees the child go and starts another
            self._child.kill()
            return await self._here(image, model)
        except ModelGone:
            return await self._here(image, model)
        if ok:
            return value
        raise value

    async def _here(self, image: Any, model: str) -> Prediction:
        return await asyncio.to_thread(self.local.classify, image, model)

    async def _keep_child(self) -> None:
        """Listen to the child; when it dies, start another - at once if it had been answering,
        after a growing pause (2 s, 4 s, ... 60 s) if it died while loading."""
        failures = 0
        try:
            while True:
                if self._socket is None:  # the child died, or the loop it answered on ended
                    self._start()
                answered = await self._listen()
                if self._closed:
                    return
                failures = 0 if answered else failures + 1
                if failures:
                    await asyncio.sleep(min(60, 2**failures))
                    if self._closed:
                        return
        finally:
            self._listener = None

    async def _listen(self) -> bool:
        """Read the child's messages until it dies: first "ready", then one answer per drawing,
        in order. Whether it became ready; drawings it still had are answered here."""
        try:
            reader, self._writer = await asyncio.open_connection(sock=self._socket)
            while True:
                size = _HEADER.unpack(await reader.readexactly(_HEADER.size))[0]
                message = pickle.loads(await reader.readexactly(size))
                if message == "ready":
                    self._ready = True
                    continue
                answer = self._waiting.popleft()
                if not answer.done():  # its request may have been cancelled meanwhile
                    answer.set_result(message)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            return self._ready
        finally:
            self._ready = False
            while self._waiting:
                answer = self._waiting.popleft()
                if not answer.done():
                    answer.set_exception(ModelGone())
            if self._writer is not None:
                self._writer.close()  # and with it the socket
                self._writer = None
            else:
                self._socket.close()
            self._socket = None

    def close(self) -> None:
        """Stop the child (a listener still running sees it go, and starts no other)."""
        self._closed = True
        if self._listener is None and self._socket is not None:
            self._socket.close()  # the child reads the end of its input and exits
            self._socket = None
            self._child.join(timeout=1)
        if self._child.is_alive():
            self._child.terminate()
            self._child.join(timeout=5)


def in_thread(classifier: Classifier):
    """``Classifier.classify`` in a worker thread of this process: the app without a model
    process (for tests, and for tools that build the pages without serving them)."""

    async def classify(image: Any, model: str) -> Prediction:
        return await asyncio.to_thread(classifier.classify, image, model)

    return classify
