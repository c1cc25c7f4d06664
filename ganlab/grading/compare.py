"""Comparisons for graded cases: the student's answer against a reference, with a message
that says what was expected and what arrived (values, shape, dtype, tolerance).

:func:`as_floats` and :func:`as_array` turn an answer (numbers, a NumPy array or a tensor)
into what a comparison takes; :mod:`ganlab.grading.mistakes` adds hints for known mistakes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from ganlab.grading.core import CaseFailed, Outcome, fail, ok

SHOWN_VALUES = 4  # how many numbers a message quotes


def show(values: Tensor) -> str:
    """A few numbers of a tensor, e.g. ``[0.6931, -1.313, ...] (16 values)``."""
    flat = values.detach().reshape(-1).tolist()
    if values.ndim == 0:
        return f"{flat[0]:.7g}"
    text = ", ".join(f"{v:.7g}" for v in flat[:SHOWN_VALUES])
    more = f", ...] ({len(flat)} values)" if len(flat) > SHOWN_VALUES else "]"
    return f"[{text}{more}"


def _shape(t: Tensor) -> str:
    return f"{tuple(t.shape)}" + (" (a scalar)" if t.ndim == 0 else "")


def compare_tensor(
    got: object,
    expected: Tensor,
    *,
    what: str = "the result",
    rtol: float = 1e-5,
    atol: float = 1e-6,
) -> Outcome:
    """Whether ``got`` is a floating tensor of ``expected``'s shape and values.

    The comparison runs in float64 on the CPU, so a float32 answer is judged by ``rtol`` and
    ``atol`` alone.  Tensor subclasses are refused: their ``__torch_function__`` could answer
    the comparison itself.
    """
    if type(got) is not Tensor:
        return fail(f"{what}: expected a torch.Tensor, got {type(got).__name__}")
    if got.shape != expected.shape:
        return fail(f"{what}: expected shape {_shape(expected)}, got shape {_shape(got)}")
    if not got.is_floating_point():
        return fail(f"{what}: expected a floating-point tensor, got dtype {got.dtype}")
    got64 = got.detach().to("cpu", torch.float64)
    expected64 = expected.detach().to("cpu", torch.float64)
    tolerance = f"rtol={rtol:g}, atol={atol:g}"
    if not torch.isfinite(got64[torch.isfinite(expected64)]).all():
        return fail(
            f"{what}: expected {show(expected64)}, got non-finite {show(got64)} "
            f"(dtype {got.dtype}); is the computation numerically stable?"
        )
    if not torch.allclose(got64, expected64, rtol=rtol, atol=atol):
        worst = (got64 - expected64).abs().max().item()
        # float64 is also what plain numbers and NumPy arrays become here: naming it would
        # talk about a tensor the student never made
        dtype = "" if got.dtype == torch.float64 else f"dtype {got.dtype}, "
        return fail(
            f"{what}: expected {show(expected64)}, got {show(got64)} ({dtype}"
            f"shape {_shape(got)}); largest difference {worst:.3g} exceeds {tolerance}"
        )
    return ok(f"{what} matches within {tolerance}")


def as_floats(got: object, count: int, what: str = "the result") -> list[float]:
    """``got`` (a tuple of numbers or 0-dim tensors, or a NumPy array or tensor of ``count``
    numbers) as ``count`` Python floats.

    Tensor subclasses are refused, as in :func:`compare_tensor`.

    Raises:
        CaseFailed: if it is anything else.
    """
    values = got
    if type(got) is Tensor:
        values = got.detach().reshape(-1).tolist()
    elif type(got) is np.ndarray:
        values = got.reshape(-1).tolist()
    if not isinstance(values, Sequence) or len(values) != count:
        raise CaseFailed(f"{what}: expected a tuple of {count} floats, got {_brief(got)}")
    try:
        return [float(value) for value in values]
    except (TypeError, ValueError, RuntimeError) as err:
        raise CaseFailed(f"{what}: expected {count} floats, got {_brief(got)} ({err})") from err


def as_array(got: object, shape: tuple[int, ...], what: str) -> Tensor:
    """``got`` (numbers, a NumPy array or a tensor) as a new float64 tensor of ``shape``.

    A float may also come as a one-element array.

    Raises:
        CaseFailed: if it is anything else.
    """
    kind = "a float" if shape == () else f"an array of shape {shape}"
    try:
        if isinstance(got, Tensor):
            value = got.detach().to("cpu", torch.float64, copy=True)
        else:
            value = torch.tensor(got, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError) as err:
        raise CaseFailed(f"{what}: expected {kind}, got {got!r:.60}") from err
    if shape == () and value.numel() == 1:
        value = value.reshape(())
    if value.shape != shape:
        raise CaseFailed(f"{what}: expected {kind}, got shape {tuple(value.shape)}")
    return value


def as_tensor(got: object, what: str = "the result") -> Tensor:
    """``got``, a floating-point tensor of any shape, detached and on the CPU in its dtype.

    For :func:`~ganlab.grading.mistakes.compare_with_mistakes`, which judges the shape itself
    (so that an answer of a known wrong shape still gets its hint).  Tensor subclasses are
    refused, as in :func:`compare_tensor`.

    Raises:
        CaseFailed: if it is not a floating-point torch.Tensor.
    """
    if type(got) is not Tensor:
        raise CaseFailed(f"{what}: expected a torch.Tensor, got {type(got).__name__}")
    if not got.is_floating_point():
        raise CaseFailed(f"{what}: expected a floating-point tensor, got dtype {got.dtype}")
    return got.detach().to("cpu")


def _brief(obj: object) -> str:
    text = repr(obj)
    return text if len(text) <= 80 else text[:77] + "..."


def first_failure(outcomes: Sequence[Outcome]) -> Outcome:
    """The first failing outcome, else a pass (for cases that test several inputs)."""
    return next((o for o in outcomes if not o.passed), ok())
