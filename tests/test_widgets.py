"""nb.explorer (chapter 1): the slider redraws with the chosen value."""

import matplotlib
import pytest

import nodebook as nb

matplotlib.use("Agg")


def test_moving_the_slider_redraws_with_the_new_value():
    seen = []

    def draw(ax, value):
        seen.append(value)
        ax.plot([0, 1], [0, value])

    box = nb.explorer(draw, [1, 2, 4], description="blocks", initial=2)
    slider = box.children[0]
    assert seen == [2]  # drawn once for the initial value
    slider.value = 4
    assert seen == [2, 4]


def test_an_initial_value_off_the_slider_is_refused():
    with pytest.raises(ValueError, match="not one of"):
        nb.explorer(lambda ax, v: None, [1, 2], description="x", initial=3)
    with pytest.raises(ValueError, match="empty"):
        nb.explorer(lambda ax, v: None, [], description="x")
