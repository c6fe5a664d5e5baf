"""The app as an outside caller sees it: every value a client sends is hostile until checked.

Each attack is sent over Gradio's HTTP API to the real app on a loopback port, and each is followed
by an ordinary drawing that must be answered right: one caller must never stop the app answering
everyone else. How soon is measured by benchmarks/abuse.py, not asserted here: a test that waits on
the clock fails on a slow machine.
"""

from __future__ import annotations

import base64
import os
import struct
import threading
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image

from mnist_models.reading.preprocess import MAX_FILE_BYTES
from tests.conftest import draw_digit, png_bytes
from tests.live_app import ROOT, GradioHTTP, file_data, pad_event, running_app, start_class

pytestmark = pytest.mark.app

SEVEN = png_bytes(draw_digit(7))


@pytest.fixture(scope="module")
def uploads(tmp_path_factory) -> Path:
    """The app's upload folder (GRADIO_TEMP_DIR), so tests can see what it holds."""
    return tmp_path_factory.mktemp("gradio-uploads")


@pytest.fixture(scope="module")
def app(uploads):
    # A live training started by the sweep below ends at its time limit, which is the app's own
    # bound on what a caller can start (2 s here, so that the sweep's dozen trainings are quick).
    env = {
        "GRADIO_TEMP_DIR": str(uploads),
        "MNIST_TRAINING_SECONDS": "2",
        "MNIST_CLASSES_DIR": str(uploads / "classes"),
    }
    with running_app(env_extra=env) as url:
        client = GradioHTTP(url, timeout_s=20)
        yield client
        client.close()


def assert_still_answering(app: GradioHTTP) -> None:
    """An ordinary drawing, answered right."""
    event, result = app.classify(SEVEN)
    assert event == "complete" and result[0]["prediction"] == 7, result


def refused(app: GradioHTTP, path: str, model: str = "mlp") -> str:
    """Call /classify naming ``path``; it must fail, with a message. Returns the message."""
    event, message = app.call("classify", [file_data(path), model])
    assert event == "error", (path, message)
    assert message and "Traceback" not in message
    return message


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.rglob("*") if p.is_file()}


def test_paths_that_were_never_uploaded_are_not_read(app, uploads, tmp_path):
    outside = tmp_path / "seven.png"
    outside.write_bytes(SEVEN)  # a real image of a digit: reading it would answer 7
    (uploads / "links").mkdir(exist_ok=True)
    (uploads / "links" / "seven.png").symlink_to(outside)
    (uploads / "links" / "zero").symlink_to("/dev/zero")
    for path in (
        str(outside),
        str(ROOT / "docs" / "screenshot.png"),
        "/etc/passwd",
        "/proc/self/environ",
        "/dev/zero",
        str(uploads / ".." / outside.parent.name / "seven.png"),  # out of the folder by ".."
        str(uploads / "links" / "seven.png"),  # out of the folder by a link
        str(uploads / "links" / "zero"),
        str(uploads),  # the folder itself
        str(uploads / "no-such-file.png"),
        "docs/screenshot.png",  # relative to the server's working directory
        "http://127.0.0.1:1/seven.png",  # a URL: Gradio would fetch it, but not from loopback
    ):
        refused(app, path)
        assert_still_answering(app)
    # Nothing was copied into the upload folder on the way (Gradio copies a path it accepts).
    assert not {"passwd", "environ", "screenshot.png", "zero"} & files_in(uploads)


def fifo_in(folder: Path) -> Path:
    path = folder / "pipe.png"
    if not path.exists():
        os.mkfifo(path)
    return path


def test_inputs_that_could_block_a_reader_are_refused_at_once(app, uploads):
    folder = uploads / "planted"  # what a process on the server could leave among the uploads
    folder.mkdir(exist_ok=True)
    message = refused(app, str(fifo_in(folder)))  # opening a FIFO waits for a writer
    assert "No image" in message
    assert_still_answering(app)

    growing = folder / "growing.png"
    growing.write_bytes(SEVEN)
    stop = threading.Event()

    def grow() -> None:  # bounded: at most 20 s and 200 MB
        with growing.open("ab") as file:
            for _ in range(200):
                if stop.is_set():
                    return
                file.write(b"\0" * 1_000_000)
                file.flush()
                time.sleep(0.1)

    writer = threading.Thread(target=grow, daemon=True)
    writer.start()
    try:
        while growing.stat().st_size <= MAX_FILE_BYTES and writer.is_alive():  # past the size the app reads
            time.sleep(0.05)
        assert "MB" in refused(app, str(growing))
    finally:
        stop.set()
        writer.join()
    assert_still_answering(app)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side: int) -> bytes:
    """A small PNG that would decode to side x side pixels (all zero): a few KB on the wire,
    gigabytes in memory."""
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit greyscale
    row = b"\0" * (side + 1)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(64)) + compressor.flush()  # the first rows only
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")


@pytest.mark.parametrize(
    "data, message",
    [
        (png_bomb(60_000), "megapixels"),
        (png_bytes(Image.new("1", (8_000, 8_000), 1)), "8000×8000"),  # a real 64-megapixel PNG of 10 KB
        (SEVEN[: len(SEVEN) // 2], "damaged or truncated"),
        (b"%PDF-1.4 not an image", "not an image"),
        (b"", "not an image"),
        (png_bytes(Image.new("RGB", (64, 64), "white"), "GIF"), "not an image"),  # an image, but not one we read
    ],
    ids=["png-bomb", "huge-1-bit-png", "truncated", "pdf", "empty", "gif"],
)
def test_uploads_that_cost_much_to_decode_are_refused_before_decoding(app, data, message):
    path = app.upload(data, "drawing.png")
    event, reply = app.call("classify", [file_data(path), "mlp"])
    assert event == "error" and message in reply, reply
    assert_still_answering(app)


def data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


@pytest.mark.parametrize(
    "value, message",
    [
        (data_url(png_bomb(60_000)), "megapixels"),
        ("data:image/png;base64," + "A" * (9 * 1024 * 1024), "MB of text"),
        (data_url(SEVEN[:300]), "damaged or truncated"),
        ("/etc/passwd", "did not arrive as a PNG"),
        ("data:image/svg+xml;base64,PHN2Zy8+", "did not arrive as a PNG"),
    ],
    ids=["png-bomb", "9-mb-of-text", "truncated", "a-path", "svg"],
)
def test_the_pads_own_event_reads_only_a_bounded_picture(app, value, message):
    fn_index, trigger = pad_event(app.config())
    completed = app.event(fn_index, [value, "mlp"], trigger, session="pad-attack")
    assert completed["success"], completed
    result_html = completed["output"]["data"][1]
    assert message in str(result_html), result_html
    assert_still_answering(app)


HOSTILE = [
    None,
    7,
    -1,
    99,
    1e308,
    True,
    "cnn",
    "../../../../etc/passwd",
    "x" * 1_000_000,
    [],
    ["softmax", "mlp"],
    {},
    file_data("/etc/passwd"),
    {"nested": {"deeper": [file_data("/dev/zero"), None]}},
]


# Controls whose events the loop below must reach (it takes every event of the config): the class
# wall's, among others, so that a new page part cannot slip out of the config unnoticed.
CONTROLS = [
    "sketch",
    "meant",
    "class-code",
    "wall-digit",
    "wall-missed",
    "wall-remove",
    "wall-undo",
    "wall-clear",
    "wall-export",
    "class-pause",
    "class-resume",
    "fine-tune",
    "fine-tune-reset",
    "train-start",
]


def test_every_event_of_both_pages_survives_hostile_inputs(app, uploads):
    """Every event in the pages' config - the private ones too, and those the classroom page
    renders for each visitor - called with values no page would send: each completes with an
    answer or an error (never a traceback, never a hang), reads no file, and the app answers the
    next drawing at once."""
    classroom = "hostile-classroom"  # the classroom's events exist in the session that opened it
    home = {c["id"] for c in app.config()["components"]}
    # Opened as its class's teacher: the class's controls are rendered for that page.
    config = app.open_page("classroom", classroom, start_class(app, "hostile-teacher"))
    rendered = {c["id"] for c in config["components"]} - home
    assert set(config["page"]) == {"", "classroom"}
    targets = {target for dependency in config["dependencies"] for target, _ in dependency["targets"]}
    ids = {c.get("props", {}).get("elem_id"): c["id"] for c in config["components"]}
    assert all(ids[name] in targets for name in CONTROLS), [name for name in CONTROLS if ids[name] not in targets]
    timers = [c["id"] for c in config["components"] if c["type"] == "timer"]
    assert len(timers) == 1 and set(timers) <= targets
    defaults = {c["id"]: c.get("props", {}).get("value") for c in config["components"]}
    stop = next((d["id"] for d in config["dependencies"] if d.get("api_name") == "stop"), None)
    for dependency in config["dependencies"]:
        inputs, trigger = dependency["inputs"], dependency["targets"][0][0]
        variants = [[value] * len(inputs) for value in HOSTILE] if inputs else [[]]
        for position in range(len(inputs)):  # one hostile value among the page's own
            variants += [[value if i == position else defaults[c] for i, c in enumerate(inputs)] for value in HOSTILE]
        session = classroom if {t for t, _ in dependency["targets"]} & rendered else f"hostile-{dependency['id']}"
        for data in variants:
            completed = app.event(dependency["id"], data, trigger, session, queue=dependency.get("queue", True))
            assert completed["msg"] == "process_completed"
            assert "Traceback" not in str(completed.get("output")), (dependency.get("api_name"), data)
        if stop is not None:  # a live training must not outlast its test
            app.event(stop, [], session=classroom)
        assert_still_answering(app)
    assert not {"passwd", "zero"} & files_in(uploads)
