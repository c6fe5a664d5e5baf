"""A class's wall as a ZIP, and back: the format the export writes is the one the import reads.

    class.json          {"format": "mnist-draw-class", "version": 1, "drawings": N}
    drawings.csv        number, file, label, time (UTC), and for each model: its answer, whether
                        it took the drawing for a digit, and its ten probabilities
    images/NNNNN.png    each drawing as the 28x28 picture the models read, as MNIST stores its
                        digits (white ink on black)

An archive to import comes from outside, so it is read as hostile: bounded in size before it is
opened and in every member before that is read, only these names, every field checked.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import datetime, timezone

import numpy as np
from PIL import Image

from mnist_models.classes.class_wall import CAPACITY, Entry, WallError, mnist_png, thumbnail_png
from mnist_models.models.checkpoints import MODEL_NAMES

FORMAT = {"format": "mnist-draw-class", "version": 1}
MAX_ARCHIVE_BYTES = 8 * 1024 * 1024  # as large as an upload may be (reading.preprocess.MAX_FILE_BYTES)
MAX_MEMBER_BYTES = 4 * 1024 * 1024  # drawings.csv of a full wall is well under 1 MB
# A fixed time for every member, so that the same wall always makes the same bytes.
ZIP_TIME = (2020, 1, 1, 0, 0, 0)
IMAGE_NAME = re.compile(r"^images/(\d{5})\.png$")
COLUMNS = ["number", "file", "label", "time"] + [
    f"{name}_{field}" for name in MODEL_NAMES for field in ("answer", "is_digit", "probabilities")
]


def export_archive(entries: list[Entry]) -> bytes:
    """The wall's drawings, oldest first, as a ZIP (see the module's docstring)."""
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(COLUMNS)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        write = lambda name, data: archive.writestr(zipfile.ZipInfo(name, ZIP_TIME), data, zipfile.ZIP_DEFLATED)
        write("class.json", json.dumps({**FORMAT, "drawings": len(entries)}) + "\n")
        for entry in entries:
            name = f"images/{entry.number:05d}.png"
            write(name, mnist_png(entry.image))
            when = datetime.fromtimestamp(entry.time, timezone.utc).isoformat(timespec="microseconds")
            answers = []
            for model in MODEL_NAMES:
                probabilities = (entry.probabilities or {}).get(model) or []
                answers += [entry.answers[model], int(entry.is_digit_for(model)), " ".join(map(repr, probabilities))]
            writer.writerow([entry.number, name, entry.label, when, *answers])
        write("drawings.csv", table.getvalue())
    return buffer.getvalue()


def bad_archive(why: str) -> WallError:
    return WallError(f"This file is not a class exported from this app: {why}.", "bad_import", why=why)


def import_archive(data: bytes) -> list[Entry]:
    """The drawings of an exported class, checked; WallError "bad_import" saying what is wrong."""
    if not isinstance(data, (bytes, bytearray)) or len(data) > MAX_ARCHIVE_BYTES:
        raise bad_archive(f"larger than {MAX_ARCHIVE_BYTES // 2**20} MB")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = {info.filename: info for info in archive.infolist()}
            if len(members) > CAPACITY + 2 or set(members) - {"class.json", "drawings.csv"} - {
                name for name in members if IMAGE_NAME.match(name)
            }:
                raise bad_archive("it holds files the export does not write")
            sizes = [info.file_size for info in members.values()]
            if max(sizes, default=0) > MAX_MEMBER_BYTES or sum(sizes) > 2 * MAX_ARCHIVE_BYTES:
                raise bad_archive("it unpacks to more than a class holds")
            header = json.loads(archive.read("class.json"))
            if not isinstance(header, dict) or {k: header.get(k) for k in FORMAT} != FORMAT:
                raise bad_archive("class.json does not name this format")
            rows = list(csv.reader(io.StringIO(archive.read("drawings.csv").decode("utf-8"))))
            if not rows or rows[0] != COLUMNS or len(rows) - 1 != header.get("drawings") or len(rows) - 1 > CAPACITY:
                raise bad_archive("drawings.csv does not match the export's columns or count")
            return [entry_of(fields, archive) for fields in rows[1:]]
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, json.JSONDecodeError, csv.Error, EOFError) as error:
        raise bad_archive("it is not a complete ZIP of a class") from error


def entry_of(fields: list[str], archive: zipfile.ZipFile) -> Entry:
    """One row of drawings.csv and its picture, checked."""
    if len(fields) != len(COLUMNS):
        raise bad_archive("a row of drawings.csv has the wrong number of fields")
    values = dict(zip(COLUMNS, fields, strict=True))
    try:
        number, label = int(values["number"]), int(values["label"])
        when = datetime.fromisoformat(values["time"]).timestamp()
        answers = {name: int(values[f"{name}_answer"]) for name in MODEL_NAMES}
        is_digit = {name: values[f"{name}_is_digit"] == "1" for name in MODEL_NAMES}
        probabilities = {name: [float(x) for x in values[f"{name}_probabilities"].split()] for name in MODEL_NAMES}
    except ValueError as error:
        raise bad_archive("a row of drawings.csv has a field that is not a number") from error
    name = values["file"]
    if IMAGE_NAME.match(name) is None or int(IMAGE_NAME.match(name).group(1)) != number or not 0 < number < 10**5:
        raise bad_archive("a row of drawings.csv names a picture it should not")
    if not 0 <= label <= 9 or any(not 0 <= a <= 9 for a in answers.values()):
        raise bad_archive("a digit is not one of 0-9")
    if any(len(p) != 10 or not all(0.0 <= x <= 1.0 for x in p) for p in probabilities.values()):
        raise bad_archive("a model's probabilities are not ten numbers between 0 and 1")
    image = read_picture(archive.read(name))
    return Entry(
        number=number,
        image=image,
        thumbnail=thumbnail_of(image),
        label=label,
        answers=answers,
        time=when,
        key="imported",
        is_digit=is_digit,
        probabilities=probabilities,
    )


def read_picture(data: bytes) -> np.ndarray:
    """A 28x28 greyscale PNG as the models' input (ink 1.0)."""
    try:
        picture = Image.open(io.BytesIO(data), formats=["PNG"])
        if picture.size != (28, 28):
            raise bad_archive("a picture is not 28x28")
        return np.asarray(picture.convert("L"), np.float32) / 255.0
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise bad_archive("a picture cannot be read") from error


def thumbnail_of(image: np.ndarray) -> bytes:
    """The wall's card for an imported drawing: its 28x28 picture, dark on light, enlarged."""
    ink = Image.fromarray((np.clip(image, 0, 1) * 255).round().astype(np.uint8), "L")
    picture = Image.new("RGBA", ink.size, (0, 0, 0, 0))
    picture.putalpha(ink)
    return thumbnail_png(picture.resize((64, 64), Image.Resampling.NEAREST))
