"""§3's toy games: two players, one scalar each, and the gradient dynamics between them.

- :mod:`ganlab.games.games`: the xy game, the piecewise game, and games from your own function.
- :mod:`ganlab.games.dynamics`: :func:`simulate` with simultaneous, alternating,
  historical-averaging, extragradient and optimistic updates.
- :mod:`ganlab.games.trajectory`: :class:`Trajectory`, the iterates it returns and their run.
- :mod:`ganlab.games.closed_forms`: the rates those updates have near a rotational equilibrium.
- :mod:`ganlab.games.plots`: fields, trajectories, phase portraits, rate curves, sweeps.
- :mod:`ganlab.games.dirac`: the Dirac-GAN, the smallest GAN as one of these games.
"""

from ganlab.games.closed_forms import (
    alternating_invariant,
    extragradient_rate,
    historical_averaging_decay_exponent,
    historical_averaging_max_lr,
    optimistic_rate,
    simultaneous_growth,
    update_matrix,
)
from ganlab.games.dirac import (
    DIRAC_OMEGA,
    DiracGAN,
    equilibrium_jacobian,
    simultaneous_radius_factor,
)
from ganlab.games.dynamics import (
    DEFAULT_BOUND,
    DEFAULT_HA_LR,
    DEFAULT_HA_STEPS,
    DEFAULT_WEIGHT,
    METHODS,
    DivergenceWarning,
    grid_starts,
    random_starts,
    simulate,
)
from ganlab.games.games import (
    CustomGame,
    Game,
    PiecewiseGame,
    XYGame,
    game_from_function,
)
from ganlab.games.trajectory import Trajectory, running_mean

__all__ = [
    "DEFAULT_BOUND",
    "DEFAULT_HA_LR",
    "DEFAULT_HA_STEPS",
    "DEFAULT_WEIGHT",
    "DIRAC_OMEGA",
    "METHODS",
    "CustomGame",
    "DiracGAN",
    "DivergenceWarning",
    "Game",
    "PiecewiseGame",
    "Trajectory",
    "XYGame",
    "alternating_invariant",
    "equilibrium_jacobian",
    "extragradient_rate",
    "game_from_function",
    "grid_starts",
    "historical_averaging_decay_exponent",
    "historical_averaging_max_lr",
    "optimistic_rate",
    "random_starts",
    "running_mean",
    "simulate",
    "simultaneous_growth",
    "simultaneous_radius_factor",
    "update_matrix",
]
