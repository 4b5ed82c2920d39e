"""The book's figure style and the plots that several chapters share."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib as mpl
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap

OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)
"""The Okabe-Ito palette: distinguishable with the common colour-vision deficiencies."""


def use_book_style() -> None:
    """Set matplotlib defaults for every figure in the book. Introduced in chapter 1.

    Readable fonts, the Okabe-Ito colour cycle, light grids and a resolution that stays
    sharp in the published page. Call it once, after :func:`nodebook.seed_everything`.
    """
    mpl.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "figure.figsize": (7.0, 4.2),
            "figure.constrained_layout.use": True,
            "font.size": 12,
            "axes.titlesize": 13,
            "axes.labelsize": 12,
            "legend.fontsize": 10.5,
            "xtick.labelsize": 10.5,
            "ytick.labelsize": 10.5,
            "axes.prop_cycle": mpl.cycler(color=OKABE_ITO),
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "lines.linewidth": 2.0,
            "image.cmap": "cividis",
        }
    )


CLASS_COLOURS = (OKABE_ITO[0], OKABE_ITO[1])
"""Colours of class 0 and class 1 in classification figures."""


def plot_decision_boundary(
    ax: Axes,
    predict: Callable[[torch.Tensor], torch.Tensor],
    X: torch.Tensor,
    y: torch.Tensor,
    title: str,
    resolution: int = 150,
) -> None:
    """Shade the plane by the predicted class and scatter the labelled points.

    Introduced in chapter 1. ``predict`` maps an ``(m, 2)`` tensor of points to ``(m, 2)``
    logits; the shading is the predicted probability of class 1.
    """
    pad = 0.5
    lo = X.min(0).values.numpy() - pad
    hi = X.max(0).values.numpy() + pad
    gx, gy = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    grid = torch.tensor(np.stack([gx.ravel(), gy.ravel()], axis=1), dtype=X.dtype)
    with torch.no_grad():
        p1 = torch.softmax(predict(grid), dim=1)[:, 1].numpy().reshape(gx.shape)
    cmap = ListedColormap(
        [
            mpl.colors.to_rgba(CLASS_COLOURS[0], 0.35),
            mpl.colors.to_rgba(CLASS_COLOURS[1], 0.35),
        ]
    )
    ax.contourf(gx, gy, p1, levels=[0.0, 0.5, 1.0], cmap=cmap)
    ax.contour(gx, gy, p1, levels=[0.5], colors="k", linewidths=1.2)
    scatter_classes(ax, X, y)
    ax.set(title=title, xlabel="$x_1$ (input feature)", ylabel="$x_2$ (input feature)")


def scatter_classes(
    ax: Axes, X: torch.Tensor, y: torch.Tensor, size: float = 12
) -> None:
    """Scatter 2-D points coloured by class, with a legend. Introduced in chapter 1."""
    for k, colour in enumerate(CLASS_COLOURS):
        pts = X[y == k].detach().numpy()
        marker = "o" if k == 0 else "s"
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=size,
            color=colour,
            marker=marker,
            label=f"class {k}",
            edgecolors="white",
            linewidths=0.4,
        )
    ax.legend(loc="lower right", framealpha=0.9)


def plot_convergence(
    ax: Axes, dt: Sequence[float], errors: Sequence[float], label: str, order: float
) -> None:
    """Log-log error against step size, with the fitted slope in the legend.

    Introduced in chapter 1; chapter 2 uses it for every method it compares.
    """
    line = ax.loglog(dt, errors, "o-", label=f"{label} (slope {order:.2f})")[0]
    ref = np.asarray(errors[0]) * (np.asarray(dt) / dt[0]) ** round(order)
    ax.loglog(
        dt,
        ref,
        ":",
        color=line.get_color(),
        alpha=0.7,
        label=f"reference slope {round(order)}",
    )
    ax.set(xlabel="step size $\\Delta t$ (time units)", ylabel="error at final time")
    ax.legend()
