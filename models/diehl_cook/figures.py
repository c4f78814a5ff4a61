"""Figures of a Diehl & Cook run, drawn from its RunRecord only."""

from __future__ import annotations

import numpy as np

__all__ = ["draw_figures"]


def draw_figures(record) -> dict:
    """Receptive fields, threshold histogram, confusion matrix and accuracy during training."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = {}
    weights = record.weights["input_exc"]
    w = np.asarray(weights.weights, dtype=float)
    n = int(np.max(weights.post)) + 1
    fields = np.zeros((784, n))
    fields[np.asarray(weights.pre), np.asarray(weights.post)] = w
    side = int(np.ceil(np.sqrt(n)))
    mosaic = np.full((side * 28, side * 28), np.nan)
    for k in range(n):
        r, c = divmod(k, side)
        mosaic[r * 28 : (r + 1) * 28, c * 28 : (c + 1) * 28] = fields[:, k].reshape(28, 28)
    # At least one pixel of the saved figure per weight, so that large networks stay legible
    # (1,600 neurons: a 1,120-pixel mosaic; 6,400: 2,240).
    from bioneuro.io.record import FIGURE_DPI

    inches = max(6.0, 1.1 * side * 28 / FIGURE_DPI)
    fig, ax = plt.subplots(figsize=(inches, inches))
    image = ax.imshow(mosaic, cmap="hot_r", vmin=0, vmax=max(float(np.nanmax(mosaic)), 1e-9),
                      interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(f"Input weights of {n} excitatory neurons")
    fig.colorbar(image, ax=ax, shrink=0.8, label="weight")
    figures["receptive_fields"] = fig

    theta = np.asarray(record.arrays["theta"], dtype=float) * 1e3  # read back as volt -> mV
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.hist(theta, bins=30, color="0.3")
    ax.set_xlabel("adaptive threshold θ (mV)")
    ax.set_ylabel("neurons")
    figures["threshold_histogram"] = fig

    if "confusion_matrix" in record.arrays:
        matrix = np.asarray(record.arrays["confusion_matrix"])
        fig, ax = plt.subplots(figsize=(5, 4.5))
        image = ax.imshow(matrix, cmap="Blues")
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_xticks(range(10))
        ax.set_yticks(range(10))
        acc = record.metrics.get("test_accuracy", float("nan"))
        ax.set_title(f"Test confusion matrix (accuracy {acc:.3f})")
        fig.colorbar(image, ax=ax)
        figures["confusion_matrix"] = fig

    history = np.asarray(record.arrays.get("training_accuracy", np.zeros((0, 2))), dtype=float)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    if len(history):
        ax.plot(history[:, 0], history[:, 1], marker="o")
    ax.set_xlabel("training images")
    ax.set_ylabel("accuracy on the chunk (labels from preceding images)")
    ax.set_ylim(0, 1)
    figures["training_accuracy"] = fig
    return figures
