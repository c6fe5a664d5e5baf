"""In-process cost of classifying one drawing: preprocessing and forward pass, per model.

    python benchmarks/inference.py [--repeats 300] [--threads 1 default]

Cases, each timed per call (p50/p95):
  pad-url      the drawing pad's value as the app's live handler receives it: a data URL of a
               280x280 PNG, black ink on transparent; decoded, then Classifier.classify
  live-handler the same, plus demo/student.read_drawing's display: everything the pad's event does in
               Python (decoding, classify, the chart's data frame, the 28x28 picture as HTML)
  png-file     a 280x280 PNG file on disk, as the /classify API receives it, through classify
  preprocess   preprocess() alone on the pad's PNG / the PNG file
  forward-1    Classifier.probabilities on one preprocessed image (the forward pass alone)
  batch-32/100 Classifier.probabilities on 32/100 preprocessed images; per-image cost reported
and all of it under torch.set_num_threads(1) and under torch's default thread count.
"""

from __future__ import annotations

import argparse
import base64
import io
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401  (puts the repository on sys.path)
import numpy as np
import torch
from _common import (
    CANVAS,
    OtherLoad,
    machine_info,
    percentiles,
    print_machine,
    print_table,
    wait_for_quiet,
    write_results,
)
from PIL import Image

from demo import student
from mnist_models.datasets.drawings import render_digit
from mnist_models.models.checkpoints import MODEL_NAMES
from mnist_models.reading.classifier import Classifier
from mnist_models.reading.preprocess import decode_data_url, preprocess


def pad_value(digit: int, rng: np.random.Generator) -> str:
    """What the drawing pad sends: a PNG data URL, black ink on a transparent background."""
    buffer = io.BytesIO()
    render_digit(digit, rng, CANVAS, "transparent").save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def timed(fn, inputs: list, repeats: int, warmup: int = 10) -> list[float]:
    """Time ``fn(x)`` per call, cycling through ``inputs`` so caches see varied drawings."""
    for i in range(warmup):
        fn(inputs[i % len(inputs)])
    samples = []
    for i in range(repeats):
        x = inputs[i % len(inputs)]
        t = time.perf_counter()
        fn(x)
        samples.append(time.perf_counter() - t)
    return samples


def run_cases(classifier: Classifier, pads: list[str], pngs: list[str], repeats: int) -> list[dict]:
    rows = []
    pad_pngs = [decode_data_url(url) for url in pads]
    inputs = np.stack([preprocess(png) for png in pad_pngs])
    batch_pool = np.concatenate([inputs] * (-(-100 // len(inputs))))[:100]

    def row(case: str, model: str, samples: list[float], per: int = 1) -> dict:
        stats = percentiles(samples)
        out = {"case": case, "model": model, **stats}
        if per > 1:
            out["per_image_p50_us"] = stats["p50_ms"] * 1000.0 / per
            out["per_image_p95_us"] = stats["p95_ms"] * 1000.0 / per
        return out

    # Preprocessing does not depend on the model: time it once per input kind.
    rows.append(row("preprocess pad-png", "-", timed(preprocess, pad_pngs, repeats)))
    rows.append(row("preprocess png-file", "-", timed(preprocess, pngs, repeats)))
    for name in MODEL_NAMES:
        rows.append(
            row(
                "read pad-url",
                name,
                timed(lambda url, name=name: classifier.read(url, [name], source="pad"), pads, repeats),
            )
        )
        rows.append(
            row(
                "live-handler",
                name,
                timed(lambda url, name=name: student.read_drawing(classifier, url, name), pads, repeats),
            )
        )
        rows.append(
            row(
                "read png-file",
                name,
                timed(lambda p, name=name: classifier.read(p, [name], source="image"), pngs, repeats),
            )
        )
        singles = [inputs[i : i + 1] for i in range(len(inputs))]
        rows.append(
            row("forward-1", name, timed(lambda x, name=name: classifier.probabilities(x, name), singles, repeats))
        )
        for size in (32, 100):
            batch = [batch_pool[:size]]
            rows.append(
                row(
                    f"forward batch-{size}",
                    name,
                    timed(lambda x, name=name: classifier.probabilities(x, name), batch, max(repeats // 3, 30)),
                    size,
                )
            )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=300, help="timed calls per case (default 300)")
    parser.add_argument("--drawings", type=int, default=20, help="distinct drawings cycled through (default 20)")
    parser.add_argument(
        "--threads",
        nargs="+",
        default=["default", "1"],
        help="torch thread settings to compare, in order (default first: the state the app runs in)",
    )
    parser.add_argument("--device", help="cuda, mps, cpu or auto (default: $MNIST_DEVICE or auto)")
    parser.add_argument("--no-wait", action="store_true", help="start at once even if the machine is busy")
    args = parser.parse_args(argv)
    if not args.no_wait:
        wait_for_quiet()

    default_threads = torch.get_num_threads()
    classifier = Classifier(args.device)
    info = machine_info(classifier.device_label)
    print_machine(info)

    rng = np.random.default_rng(0)
    pads = [pad_value(i % 10, rng) for i in range(args.drawings)]
    tmp = Path(tempfile.mkdtemp(prefix="bench-inference-"))
    pngs = []
    for i, url in enumerate(pads):
        path = tmp / f"drawing{i}.png"
        # An opaque drawing, black on white, as an API client sends it.
        layer = Image.open(io.BytesIO(decode_data_url(url)))
        paper = Image.new("RGB", layer.size, "white")
        paper.paste(layer, mask=layer)
        paper.save(path)
        pngs.append(str(path))

    results = {}
    for setting in args.threads:
        threads = default_threads if setting == "default" else int(setting)
        torch.set_num_threads(threads)
        print(f"\n== torch threads: {threads} ({setting})")
        load = OtherLoad()
        rows = run_cases(classifier, pads, pngs, args.repeats)
        others = load.cores_used_by_others()
        print(f"(cores kept busy by other processes meanwhile: {others:.2f})")
        for r in rows:
            r["other_cores_busy"] = others
        print_table(rows, ["case", "model", "n", "p50_ms", "p95_ms", "per_image_p50_us", "per_image_p95_us"])
        results[f"threads_{threads}"] = rows
    torch.set_num_threads(default_threads)

    for path in pngs:
        Path(path).unlink()
    tmp.rmdir()
    write_results("inference", {"machine": info, "repeats": args.repeats, "canvas": CANVAS, "results": results})


if __name__ == "__main__":
    main()
