"""nodebook: the helper package of the course book "Neural ODEs, executable".

Each chapter imports it as ``import nodebook as nb``. Public names are re-exported here;
each one's docstring names the chapter that introduces it.
"""

from nodebook import checks, fhn
from nodebook.adaptive import (
    AdaptiveSolution,
    StepLimitError,
    error_norm,
    odeint_adaptive,
)
from nodebook.adjoint import (
    SavedTensors,
    adjoint_dynamics,
    adjoint_odeint,
    checkpointed_odeint,
    fixed_step_solver,
    saved_tensors,
    torchdiffeq_solver,
)
from nodebook.book import glue, glued_text, show_glued
from nodebook.datasets import make_moons
from nodebook.fused import fused_odeint
from nodebook.implicit import (
    BACKWARD_EULER,
    IMPLICIT_METHODS,
    TRAPEZOID,
    ConvergenceError,
    ThetaMethod,
    implicit_step,
    newton_solve,
    odeint_implicit,
)
from nodebook.integrate import (
    METHODS,
    RK38,
    Method,
    NonFiniteError,
    SolverStats,
    Split,
    euler_maruyama,
    odeint,
    theta_step,
)
from nodebook.metrics import accuracy, fit_order
from nodebook.models import (
    MLP,
    BoundField,
    ConditionedField,
    LinearInState,
    NeuralODE,
    ResNet,
    VectorField,
    count_parameters,
)
from nodebook.plots import (
    CLASS_COLOURS,
    OKABE_ITO,
    plot_convergence,
    plot_decision_boundary,
    scatter_classes,
    use_book_style,
)
from nodebook.repro import generator, seed, seed_everything, seed_offset
from nodebook.solvers import (
    BOSH3,
    DOPRI5,
    EULER,
    MIDPOINT,
    RK4,
    TABLEAUX,
    ButcherTableau,
    odeint_fixed,
    rk_stages,
    rk_step,
)
from nodebook.splitting import odeint_split, split_step
from nodebook.systems import (
    CubicSpiral,
    FisherKPP,
    FitzHughNagumo,
    LinearSpiral,
    LinearTest,
    Oscillator,
    Robertson,
    VanDerPol,
    mackey_glass,
    reference_solution,
)
from nodebook.training import TrainingRecord, train
from nodebook.widgets import explorer
from nodebook.windows import Windows, sample_windows

__all__ = [
    "BACKWARD_EULER",
    "BOSH3",
    "CLASS_COLOURS",
    "DOPRI5",
    "EULER",
    "IMPLICIT_METHODS",
    "METHODS",
    "MIDPOINT",
    "MLP",
    "OKABE_ITO",
    "RK4",
    "RK38",
    "TABLEAUX",
    "TRAPEZOID",
    "AdaptiveSolution",
    "BoundField",
    "ButcherTableau",
    "ConditionedField",
    "ConvergenceError",
    "CubicSpiral",
    "FisherKPP",
    "FitzHughNagumo",
    "LinearInState",
    "LinearSpiral",
    "LinearTest",
    "Method",
    "NeuralODE",
    "NonFiniteError",
    "Oscillator",
    "ResNet",
    "Robertson",
    "SavedTensors",
    "SolverStats",
    "Split",
    "StepLimitError",
    "ThetaMethod",
    "TrainingRecord",
    "VanDerPol",
    "VectorField",
    "Windows",
    "accuracy",
    "adjoint_dynamics",
    "adjoint_odeint",
    "checkpointed_odeint",
    "checks",
    "count_parameters",
    "error_norm",
    "euler_maruyama",
    "explorer",
    "fhn",
    "fit_order",
    "fixed_step_solver",
    "fused_odeint",
    "generator",
    "glue",
    "glued_text",
    "implicit_step",
    "mackey_glass",
    "make_moons",
    "newton_solve",
    "odeint",
    "odeint_adaptive",
    "odeint_fixed",
    "odeint_implicit",
    "odeint_split",
    "plot_convergence",
    "plot_decision_boundary",
    "reference_solution",
    "rk_stages",
    "rk_step",
    "sample_windows",
    "saved_tensors",
    "scatter_classes",
    "seed",
    "seed_everything",
    "seed_offset",
    "show_glued",
    "split_step",
    "theta_step",
    "torchdiffeq_solver",
    "train",
    "use_book_style",
]
__version__ = "0.1.0"
