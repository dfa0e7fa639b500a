"""Settings: where openai-cost keeps its files and which ledger database it uses.

Nothing here reads the environment at import time; `load_settings()` reads it when called.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["Settings", "default_db_url", "load_settings", "user_dir"]

_APP = "openai-cost"


def user_dir() -> Path:
    """The directory for the ledger, the spool and ``config.toml``.

    ``OPENAI_COST_HOME`` when set, else the platform's user data directory:
    ``$XDG_DATA_HOME/openai-cost`` (default ``~/.local/share/openai-cost``) on Linux and other
    Unixes, ``~/Library/Application Support/openai-cost`` on macOS and
    ``%LOCALAPPDATA%\\openai-cost`` on Windows. It is not created here.
    """
    home = os.environ.get("OPENAI_COST_HOME")
    if home:
        return Path(home).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / _APP
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / _APP
    xdg = os.environ.get("XDG_DATA_HOME")
    return Path(xdg if xdg else Path.home() / ".local" / "share") / _APP


def default_db_url(home: Path | None = None) -> str:
    """``sqlite:///<user dir>/ledger.db``."""
    return f"sqlite:///{(home or user_dir()) / 'ledger.db'}"


@dataclass(frozen=True, slots=True)
class Settings:
    """Resolved settings."""

    home: Path
    """The user directory (see `user_dir`)."""
    db_url: str
    """The ledger database URL: ``sqlite:///...`` or ``postgresql://...``."""
    db_url_source: str
    """Where `db_url` came from: ``argument``, ``env``, ``config`` or ``default``."""


def _read_config(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: cannot read config file: {e}") from e
    known = {"db_url"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(map(repr, unknown))}; "
            f"valid: {', '.join(sorted(known))}"
        )
    url = data.get("db_url")
    if url is not None and (not isinstance(url, str) or not url):
        raise ConfigError(f"{path}: db_url must be a non-empty string, got {url!r}")
    return dict(data)


def load_settings(*, db_url: str | None = None) -> Settings:
    """Resolve the settings.

    Precedence, highest first:

    1. the explicit argument (``db_url=...``);
    2. the environment: ``OPENAI_COST_DB_URL`` (and ``OPENAI_COST_HOME`` for the user dir);
    3. ``config.toml`` in the user dir (key ``db_url``);
    4. the default: a SQLite file ``ledger.db`` in the user dir.

    Raises:
        ConfigError: ``config.toml`` is unreadable or holds an unknown or invalid setting.
    """
    home = user_dir()
    if db_url:
        return Settings(home, db_url, "argument")
    env = os.environ.get("OPENAI_COST_DB_URL")
    if env:
        return Settings(home, env, "env")
    cfg = _read_config(home / "config.toml")
    if cfg.get("db_url"):
        return Settings(home, str(cfg["db_url"]), "config")
    return Settings(home, default_db_url(home), "default")
