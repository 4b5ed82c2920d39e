"""Interactive explorers for live sessions (Jupyter, Colab, Binder).

The published page cannot run Python, so every chapter that shows an explorer also
draws the same picture for a few fixed settings as a plain figure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.axes import Axes


def explorer(
    draw: Callable[[Axes, Any], None],
    values: Sequence[Any],
    description: str,
    initial: Any | None = None,
) -> widgets.VBox:
    """A slider over ``values`` that redraws one figure with ``draw(ax, value)``.

    Introduced in chapter 1 (the number of ResNet blocks against the ODE flow).
    ``draw`` is the same function the chapter uses for its static figure, so the page and
    the live session show the same thing.
    """
    if len(values) == 0:
        raise ValueError("values must not be empty")
    start = values[0] if initial is None else initial
    if start not in values:
        raise ValueError(f"initial value {start!r} is not one of the slider's values")
    slider = widgets.SelectionSlider(
        options=list(values),
        value=start,
        description=description,
        continuous_update=False,
    )
    out = widgets.Output()

    def redraw(_change: object = None) -> None:
        with out:
            out.clear_output(wait=True)
            _fig, ax = plt.subplots()
            draw(ax, slider.value)
            plt.show()

    slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([slider, out])
