"""Pictures for a classroom screen, drawn from the numbers in ``explain`` and the metrics shipped
with the weights: each function returns an RGB array (H, W, 3) of uint8.

Pictures carry digits and numbers only - their words live with whoever shows them, so they read
in any language. Matplotlib is imported on the first picture, not with this module: the drawing
page needs only ``enlarge``.
"""

from __future__ import annotations

import numpy as np

# Diverging, white at zero: red pixels push towards a digit, blue ones away from it.
DIVERGING = "RdBu_r"
# Big enough to read from the back of a classroom when the picture is scaled to a projector.
FONT = 15


def _figure(width: float, height: float):
    # A bare Figure with its own canvas, not pyplot: the app draws from several threads at once,
    # and pyplot's global current-figure state is not safe for that.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _render(fig) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[:, :, :3].copy()


def _symmetric_limit(*arrays: np.ndarray, percentile: float = 100.0) -> float:
    """A colour limit shared by ``arrays``, the same either side of zero so white means zero."""
    limit = float(np.percentile(np.abs(np.concatenate([np.ravel(a) for a in arrays])), percentile))
    return limit if limit > 0 else 1.0


def _heatmap(ax, values: np.ndarray, limit: float, cmap: str = DIVERGING) -> None:
    ax.imshow(values, cmap=cmap, vmin=-limit, vmax=limit, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def _ink(ax, image: np.ndarray) -> None:
    ax.imshow(np.asarray(image), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


# The title of a softmax's eleventh template, "not a digit".
NOT_A_DIGIT_TITLE = "✗"


def templates_picture(templates: np.ndarray, columns: int = 5) -> np.ndarray:
    """The 28x28 templates in a grid, one shared symmetric colour scale, each titled with its digit;
    an eleventh, "not a digit", titled NOT_A_DIGIT_TITLE, starts a row of its own."""
    rows = -(-min(len(templates), 10) // columns) + (len(templates) > 10)
    fig = _figure(1.9 * columns, 2.1 * rows)
    # A few pixels at the border, almost never inked in MNIST, carry extreme weights that would
    # wash out every digit's shape; let them saturate instead.
    limit = _symmetric_limit(templates, percentile=99.0)
    for digit, template in enumerate(templates):
        ax = fig.add_subplot(rows, columns, digit + 1 if digit < 10 else (rows - 1) * columns + 1 + columns // 2)
        _heatmap(ax, template, limit)
        ax.set_title(str(digit) if digit < 10 else NOT_A_DIGIT_TITLE, fontsize=FONT + 5, fontweight="bold")
    return _render(fig)


def contributions_picture(image: np.ndarray, panels: list[tuple[str, np.ndarray]]) -> np.ndarray:
    """The input, then one contribution map per (title, map), all maps on one symmetric scale."""
    fig = _figure(3.2 * (len(panels) + 1), 3.6)
    _ink(fig.add_subplot(1, len(panels) + 1, 1), image)
    limit = _symmetric_limit(*(values for _, values in panels))
    for i, (title, values) in enumerate(panels, start=2):
        ax = fig.add_subplot(1, len(panels) + 1, i)
        _heatmap(ax, values, limit)
        ax.set_title(title, fontsize=FONT + 2)
    fig.axes[0].set_title("28×28", fontsize=FONT + 2)
    return _render(fig)


def activations_picture(activations: list[np.ndarray], columns: int = 3) -> np.ndarray:
    """Each hidden layer's units as a small block of cells (dark: silent, bright: firing)."""
    rows = -(-len(activations) // columns)
    fig = _figure(2.4 * columns, 2.3 * rows)
    for i, values in enumerate(activations, start=1):
        # Per layer: activations grow with depth, and one scale would leave the first layers black.
        top = max(float(values.max()), 1e-6)
        width = 16
        grid = np.full(-(-len(values) // width) * width, np.nan)
        grid[: len(values)] = values
        ax = fig.add_subplot(rows, columns, i)
        ax.imshow(grid.reshape(-1, width), cmap="magma", vmin=0, vmax=top, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{i}: {int((values > 0).sum())}/{len(values)}", fontsize=FONT)
    return _render(fig)


def confusion_picture(confusion: np.ndarray | list) -> np.ndarray:
    """The confusion matrix with its counts; colour on a log scale so rare mistakes still show."""
    from matplotlib.colors import LogNorm

    confusion = np.asarray(confusion)
    fig = _figure(6.4, 6.0)
    ax = fig.add_subplot()
    ax.imshow(confusion + 1, cmap="Blues", norm=LogNorm(vmin=1, vmax=confusion.max() + 1))
    threshold = np.sqrt(confusion.max() + 1)
    for (row, column), count in np.ndenumerate(confusion):
        if count:
            colour = "white" if count + 1 > threshold else "black"
            ax.text(column, row, str(count), ha="center", va="center", fontsize=FONT - 4, color=colour)
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.tick_params(labelsize=FONT, length=0)
    ax.xaxis.tick_top()
    ax.set_xlabel("→", fontsize=FONT + 4)
    ax.xaxis.set_label_position("top")
    ax.set_ylabel("↓", fontsize=FONT + 4, rotation=0, labelpad=12)
    return _render(fig)


def per_class_picture(accuracy: list[float], pen: list[float] | None = None) -> np.ndarray:
    """Accuracy per digit as bars (MNIST test set), with the real pen-drawn digits' as dots if given."""
    fig = _figure(6.4, 3.4)
    ax = fig.add_subplot()
    digits = np.arange(10)
    ax.bar(digits, np.asarray(accuracy) * 100, color="#8fa3b8", width=0.7)
    if pen is not None:
        ax.plot(digits, np.asarray(pen) * 100, "o", color="#e4572e", markersize=9)
    low = min([*accuracy, *(pen or [])]) * 100
    ax.set_ylim(max(0, np.floor(low / 5) * 5 - 5), 101)  # 101: dots at 100 % stay whole
    ax.set_xticks(digits)
    ax.tick_params(labelsize=FONT)
    ax.set_ylabel("%", fontsize=FONT)
    ax.grid(axis="y", alpha=0.3)
    return _render(fig)


def curves_picture(
    curves: dict[str, list[float]],
    epochs: int | None = None,
    title: str | None = None,
    legend: tuple[str, str] | None = None,
) -> np.ndarray:
    """Loss (left) and accuracy in % (right) against epochs; solid lines training, dashed test.

    Curves may hold ``x``, the points' positions in fractional epochs (live training records them);
    without it the points are one per epoch, 1, 2, 3... ``epochs`` fixes the x axis's length (a
    live training's, before it has got there). ``title`` goes above both plots, and ``legend``
    names the solid and the dashed line, for a picture that is saved rather than shown beside words.
    """
    fig = _figure(8.6, 3.4)
    loss_ax, accuracy_ax = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    train_x = curves.get("x") or list(range(1, len(curves.get("train_loss", [])) + 1))
    test_x = curves.get("x") or list(range(1, len(curves.get("test_loss", [])) + 1))
    for ax, key, scale in ((loss_ax, "loss", 1), (accuracy_ax, "accuracy", 100)):
        train, test = curves.get(f"train_{key}", []), curves.get(f"test_{key}", [])
        ax.plot(train_x[: len(train)], np.asarray(train) * scale, "-", color="#3b6ea8", linewidth=2.5)
        ax.plot(test_x[: len(test)], np.asarray(test) * scale, "--o", color="#e4572e", linewidth=2.5, markersize=5)
        ax.tick_params(labelsize=FONT - 2)
        ax.grid(alpha=0.3)
        if epochs:
            ax.set_xlim(0, epochs)
    loss_ax.set_ylim(bottom=0)
    accuracy_ax.set_ylabel("%", fontsize=FONT)
    if legend is not None:
        loss_ax.legend(legend, fontsize=FONT - 4)
    if title is not None:
        fig.suptitle(title, fontsize=FONT)
    return _render(fig)


def reliability_picture(before: dict, after: dict) -> np.ndarray:
    """Two reliability diagrams (``verdict.reliability``), before and after temperature scaling:
    per confidence bin, accuracy (bars) against confidence (the diagonal, where a calibrated model
    sits), with the share of predictions in each bin as a thin grey line."""
    fig = _figure(8.6, 3.6)
    for panel, (rows, title) in enumerate(((before, "T = 1"), (after, "T fitted")), start=1):
        ax = fig.add_subplot(1, 2, panel)
        edges = np.asarray(rows["edges"])
        centres, width = (edges[:-1] + edges[1:]) / 2, edges[1] - edges[0]
        accuracy = np.array([np.nan if a is None else a for a in rows["accuracy"]])
        confidence = np.array([np.nan if c is None else c for c in rows["confidence"]])
        ax.bar(centres, accuracy * 100, width=width * 0.9, color="#8fa3b8")
        ax.plot(centres, confidence * 100, "o", color="#e4572e", markersize=6)
        ax.plot([0, 1], [0, 100], "--", color="#555555", linewidth=1)
        share = np.asarray(rows["count"], dtype=float) / max(1, sum(rows["count"]))
        ax.plot(centres, share * 100, "-", color="#bbbbbb", linewidth=1.5)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 101)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.tick_params(labelsize=FONT - 2)
        ax.set_ylabel("%", fontsize=FONT)
        ax.set_title(title, fontsize=FONT)
        ax.grid(alpha=0.3)
    return _render(fig)


def enlarge(image: np.ndarray, factor: int = 4) -> np.ndarray:
    """A uint8 or [0, 1] 28x28 digit as dark ink on white, enlarged with nearest-neighbour."""
    image = np.asarray(image)
    ink = image.astype(np.float32) / 255.0 if image.dtype == np.uint8 else np.clip(image, 0, 1)
    return np.kron((255 - ink * 255).astype(np.uint8), np.ones((factor, factor), np.uint8))
