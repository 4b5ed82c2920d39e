"""Checks for the exercises: clear feedback for a learner, a pass or fail for a grader.

Each exercise cell of a chapter ends with ``nb.checks.check_<name>(<the learner's
function>)``. The check calls the learner's function itself on cases whose answers it
knows: a passing check prints one line starting with a tick, a failing one raises
:class:`CheckFailed` with a message that says what was expected and what came back. The
shared machinery (messages, calling learner code, comparisons) is in ``_core``; the checks
of chapter N are in ``chapterN``, and all are re-exported here.
"""

from nodebook.checks._core import CheckFailed
from nodebook.checks.chapter1 import (
    check_euler_step,
    check_measure_order,
    check_min_stable_blocks,
)
from nodebook.checks.chapter2 import (
    check_crossover_stiffness,
    check_largest_stable_dt,
    check_newton_update,
    check_rk_step,
)
from nodebook.checks.chapter3 import (
    check_adjoint_at_start,
    check_adjoint_rhs,
    check_directional_derivative,
)
from nodebook.checks.chapter4 import (
    check_field_agreement,
    check_mlp_parameters,
    check_rk4_step_backward,
    check_rnn_rollout,
)
from nodebook.checks.chapter5 import (
    check_fhn_nullclines,
    check_find_fixed_point,
    check_period_from_crossings,
)
from nodebook.checks.chapter6 import (
    check_estimate_ab,
    check_inside_training_range,
    check_spiral_solution,
)
from nodebook.checks.chapter7 import (
    check_delay_embedding,
    check_euler_maruyama_step,
    check_stiffness_ratio,
)

__all__ = [
    "CheckFailed",
    "check_adjoint_at_start",
    "check_adjoint_rhs",
    "check_crossover_stiffness",
    "check_delay_embedding",
    "check_directional_derivative",
    "check_estimate_ab",
    "check_euler_maruyama_step",
    "check_euler_step",
    "check_fhn_nullclines",
    "check_field_agreement",
    "check_find_fixed_point",
    "check_inside_training_range",
    "check_largest_stable_dt",
    "check_measure_order",
    "check_min_stable_blocks",
    "check_mlp_parameters",
    "check_newton_update",
    "check_period_from_crossings",
    "check_rk4_step_backward",
    "check_rk_step",
    "check_rnn_rollout",
    "check_spiral_solution",
    "check_stiffness_ratio",
]
