"""The two tiktoken encodings shipped with the package, loaded without any network access.

tiktoken downloads its ``.tiktoken`` rank files on first use and keeps them in a cache directory.
openai-cost ships ``o200k_base`` and ``cl100k_base`` in ``openai_cost/data/encodings/`` and builds
the `tiktoken.Encoding` itself from them: it parses the rank file (one ``base64-token rank`` pair
a line, the format tiktoken reads) and passes tiktoken's own split pattern and special tokens,
so tiktoken's download and cache code never runs. Each file is checked against the sha256 hash
tiktoken publishes for it (``expected_hash`` in ``tiktoken_ext/openai_public.py``) the first time
it is loaded in a process; a mismatch is a `TokenizerUnavailableError`, never a silent
different count.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import threading
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import TokenizerUnavailableError

if TYPE_CHECKING:
    import tiktoken

__all__ = [
    "BUNDLED",
    "ENCODING_URLS",
    "EXPECTED_SHA256",
    "bundled_path",
    "get_encoding",
    "seed_tiktoken_cache",
    "verify",
]

EXPECTED_SHA256: dict[str, str] = {
    # the expected_hash arguments of tiktoken_ext/openai_public.py
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
}
"""sha256 of each bundled rank file, as tiktoken publishes it."""

BUNDLED: tuple[str, ...] = tuple(EXPECTED_SHA256)
"""Encodings available offline."""

ENCODING_URLS: dict[str, str] = {
    name: f"https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
    for name in BUNDLED
}
"""Where tiktoken itself downloads each file (the key of its cache)."""

_ENDOFTEXT = "<|endoftext|>"
_ENDOFPROMPT = "<|endofprompt|>"

# Split patterns and special tokens as tiktoken_ext/openai_public.py defines them.
_O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
_CL100K_PAT = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|"""
    r"""\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_SPEC: dict[str, tuple[str, dict[str, int]]] = {
    "o200k_base": (_O200K_PAT, {_ENDOFTEXT: 199999, _ENDOFPROMPT: 200018}),
    "cl100k_base": (
        _CL100K_PAT,
        {
            _ENDOFTEXT: 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            _ENDOFPROMPT: 100276,
        },
    ),
}

_LOCK = threading.Lock()


def _unknown(name: str) -> TokenizerUnavailableError:
    return TokenizerUnavailableError(
        f"encoding {name!r} is not available offline; bundled: {', '.join(BUNDLED)}"
    )


def bundled_path(name: str) -> Path:
    """Path of the bundled rank file of encoding ``name``.

    Raises:
        TokenizerUnavailableError: ``name`` is not one of `BUNDLED`.
    """
    if name not in EXPECTED_SHA256:
        raise _unknown(name)
    return Path(str(resources.files("openai_cost") / "data" / "encodings" / f"{name}.tiktoken"))


@functools.cache
def _verified_bytes(name: str) -> bytes:
    path = bundled_path(name)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise TokenizerUnavailableError(
            f"bundled encoding file for {name!r} cannot be read: {e.strerror or e}"
        ) from e
    return verify(name, data)


def verify(name: str, data: bytes) -> bytes:
    """Return ``data`` if its sha256 is the one tiktoken publishes for encoding ``name``.

    Raises:
        TokenizerUnavailableError: the hash differs (a corrupt or substituted file).
    """
    digest = hashlib.sha256(data).hexdigest()
    if digest != EXPECTED_SHA256[name]:
        raise TokenizerUnavailableError(
            f"bundled encoding file for {name!r} is corrupt: sha256 {digest}, "
            f"expected {EXPECTED_SHA256[name]} (reinstall openai-cost)"
        )
    return data


def _parse_ranks(data: bytes) -> dict[bytes, int]:
    b64 = base64.b64decode
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[b64(token)] = int(rank)
    return ranks


def get_encoding(name: str) -> tiktoken.Encoding:
    """The `tiktoken.Encoding` named ``name``, built from the bundled, hash-checked file.

    Loaded once per process (about a tenth of a second for ``o200k_base``), then cached.

    Raises:
        TokenizerUnavailableError: the encoding is not bundled, the file is unreadable or its
            hash does not match, or tiktoken is not installed.
    """
    if name not in _SPEC:
        raise _unknown(name)
    return _load(name)


@functools.cache
def _load(name: str) -> tiktoken.Encoding:
    with _LOCK:
        try:
            import tiktoken
        except ImportError as e:  # pragma: no cover - tiktoken is a dependency
            raise TokenizerUnavailableError(
                "tiktoken is not installed: pip install tiktoken"
            ) from e
        pat_str, special = _SPEC[name]
        ranks = _parse_ranks(_verified_bytes(name))
        kwargs: dict[str, Any] = {
            "pat_str": pat_str,
            "mergeable_ranks": ranks,
            "special_tokens": dict(special),
        }
        return tiktoken.Encoding(name, **kwargs)


def seed_tiktoken_cache(cache_dir: str | os.PathLike[str]) -> list[Path]:
    """Copy the bundled files into a tiktoken cache directory, under tiktoken's own cache keys.

    After this, ``TIKTOKEN_CACHE_DIR=cache_dir`` lets plain ``tiktoken.get_encoding`` (and
    libraries built on it) load both encodings without a download; tiktoken checks the hashes
    itself. Files already present are left alone.

    Returns:
        The paths written or found.
    """
    out: list[Path] = []
    d = Path(cache_dir)
    d.mkdir(parents=True, exist_ok=True)
    for name, url in ENCODING_URLS.items():
        target = d / hashlib.sha1(url.encode()).hexdigest()
        if not target.exists():
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(_verified_bytes(name))
            tmp.replace(target)
        out.append(target)
    return out
