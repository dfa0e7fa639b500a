"""Import pyarrow (and numpy), or say which extra installs them."""

from __future__ import annotations

from typing import Any


def require_pyarrow() -> tuple[Any, Any]:
    """``(pyarrow, pyarrow.compute)``, imported on first use.

    Raises:
        ModuleNotFoundError: pyarrow is missing; the message names the extra to install.
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ModuleNotFoundError as e:  # pragma: no cover - the test environment has pyarrow
        raise ModuleNotFoundError(
            'openai_cost.table needs pyarrow: pip install "openai-cost[arrow]"'
        ) from e
    return pa, pc


def require_numpy() -> Any:
    """``numpy``, imported on first use (the kernel writes its decimal columns with it).

    Raises:
        ModuleNotFoundError: numpy is missing; the message names the extra to install.
    """
    try:
        import numpy as np
    except ModuleNotFoundError as e:  # pragma: no cover - the test environment has numpy
        raise ModuleNotFoundError(
            'openai_cost.table needs numpy: pip install "openai-cost[arrow]"'
        ) from e
    return np
