"""nodebook: the helper package of the course book "Neural ODEs, executable".

Each chapter imports it as ``import nodebook as nb``. Public names are re-exported here;
each one's docstring names the chapter that introduces it.
"""

from nodebook import checks
from nodebook.book import glue
from nodebook.datasets import make_moons
from nodebook.metrics import accuracy, fit_order
from nodebook.models import MLP, NeuralODE, ResNet, VectorField, count_parameters
from nodebook.plots import (
    CLASS_COLOURS,
    OKABE_ITO,
    plot_convergence,
    plot_decision_boundary,
    scatter_classes,
    use_book_style,
)
from nodebook.repro import seed_everything
from nodebook.solvers import (
    EULER,
    MIDPOINT,
    RK4,
    TABLEAUX,
    ButcherTableau,
    odeint_fixed,
    rk_step,
)
from nodebook.training import TrainingRecord, train
from nodebook.widgets import explorer

__all__ = [
    "CLASS_COLOURS",
    "EULER",
    "MIDPOINT",
    "MLP",
    "OKABE_ITO",
    "RK4",
    "TABLEAUX",
    "ButcherTableau",
    "NeuralODE",
    "ResNet",
    "TrainingRecord",
    "VectorField",
    "accuracy",
    "checks",
    "count_parameters",
    "explorer",
    "fit_order",
    "glue",
    "make_moons",
    "odeint_fixed",
    "plot_convergence",
    "plot_decision_boundary",
    "rk_step",
    "scatter_classes",
    "seed_everything",
    "train",
    "use_book_style",
]
__version__ = "0.1.0"
