"""The app's server with its model call placed elsewhere: the variants model_call.py compares.

    python benchmarks/app_variant.py --model-call {process,process-normal,loop,thread,none} --port 7999

  process         as shipped: the model process of demo/worker.py (a batch process on Linux)
  process-normal  the same process, scheduled like any other
  loop            Classifier.classify called on the server's event loop
  thread          Classifier.classify in a worker thread (asyncio.to_thread)
  none            no model work at all: a fixed answer, so the rest of the app's server is measured
Everything else - pages, queue, settings - is demo/app.py's own.
"""

from __future__ import annotations

import argparse
import asyncio
import functools

import _common  # noqa: F401  (puts the repository on sys.path)
import numpy as np

from demo import app, worker
from mnist_models.inference import Prediction

FIXED = Prediction(0, [0.1] * 10, "mlp", "cpu", np.zeros((28, 28), np.float32))


class OnTheLoop:
    def __init__(self, local) -> None:
        self.local = local

    async def classify(self, image, model):
        return self.local.classify(image, model)

    def close(self) -> None:
        pass


class InAThread(OnTheLoop):
    async def classify(self, image, model):
        return await asyncio.to_thread(self.local.classify, image, model)


class NoWork(OnTheLoop):
    async def classify(self, image, model):
        return FIXED


VARIANTS = {
    "process": worker.ModelProcess,
    "process-normal": functools.partial(worker.ModelProcess, batch=False),
    "loop": OnTheLoop,
    "thread": InAThread,
    "none": NoWork,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-call", choices=sorted(VARIANTS), required=True)
    args, rest = parser.parse_known_args()
    worker.ModelProcess = VARIANTS[args.model_call]  # demo/app.py's main builds its model call from this
    app.main(rest)


if __name__ == "__main__":
    main()
