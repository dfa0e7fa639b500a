"""The local web dashboard: ``openai-cost dashboard`` and ``openai-cost report --html``.

A read-only Starlette application over one ledger (see `app`), server-rendered with Jinja2,
charts drawn as SVG on the server (`svg`), numbers computed once in `data` from the ledger's
query layer and served both as pages and as JSON under ``/api/``.

Needs the ``dashboard`` extra (``pip install "openai-cost[dashboard]"``): Starlette, Jinja2 and
uvicorn. Nothing here is imported by ``import openai_cost``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = ["INSTALL_HINT", "create_app", "missing_requirements"]

INSTALL_HINT = 'pip install "openai-cost[dashboard]"'
"""What to run when the dashboard's requirements are missing."""

REQUIREMENTS = ("starlette", "jinja2", "uvicorn")
"""Modules the server needs (``report --html`` needs only jinja2)."""


def missing_requirements(modules: tuple[str, ...] = REQUIREMENTS) -> list[str]:
    """Which of `modules` cannot be imported."""
    missing = []
    for m in modules:
        try:
            importlib.import_module(m)
        except ImportError:
            missing.append(m)
    return missing


def create_app(*args: Any, **kwargs: Any) -> Starlette:
    """The dashboard as an ASGI app; see `openai_cost.dashboard.app.create_app`."""
    from .app import create_app as _create

    return _create(*args, **kwargs)
