"""Image input tokens: the size of an image part and the per-family token formula.

Sources (OpenAI's vision guide, "Calculating costs", as of 2025; and OpenAI's pricing page):

* **Tile families** (GPT-4o, GPT-4.1, GPT-4.5, o1, o3, GPT-5, gpt-4o-mini, computer-use): ``low``
  costs the base tokens whatever the size. ``high`` first scales the image to fit in
  2048 x 2048, then so that its shortest side is at most 768 px, and adds one tile charge per
  512 px square needed to cover it, on top of the base. Base / tile: 85 / 170 (GPT-4o, 4.1, 4.5),
  2833 / 5667 (gpt-4o-mini), 75 / 150 (o1, o3), 70 / 140 (GPT-5, gpt-5-chat), 65 / 129
  (computer-use-preview).
* **Patch families** (gpt-4.1-mini, gpt-4.1-nano, o4-mini, gpt-5-mini, gpt-5-nano): one patch
  per 32 x 32 px square needed to cover the image, capped at 1536; a larger image is scaled down
  (by ``sqrt(1536 * 32^2 / (w * h))``, then so its width is a whole number of patches) before
  counting; the patch count is multiplied by 1.62 (4.1-mini, 5-mini), 2.46 (4.1-nano, 5-nano) or
  1.72 (o4-mini). ``detail`` does not change the count.

Approximations, said plainly: ``auto`` is counted as ``high`` (the API decides, and for anything
but thumbnails it has been observed to charge like ``high``); a fractional patch total is rounded
up; GPT-5.1 and later and GPT-6 are assumed to follow GPT-5's 70 / 140 rule until OpenAI
publishes theirs. The per-family figures are checked against API-reported counts where such
recordings exist (see ``tests/fixtures/token_counts/README.md``).

Sizes come from the image itself (the header of a ``data:`` URL: PNG, JPEG, GIF, WebP, read with
the standard library) or from explicit ``width`` and ``height`` keys next to the URL (an
openai-cost extension for estimates; the API does not take them). A remote URL without a size
is an error unless its cost does not depend on the size (``detail: "low"`` on a tile family).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from .errors import UsageError

__all__ = ["ImageRule", "image_rule", "image_size", "image_tokens"]


@dataclass(frozen=True, slots=True)
class ImageRule:
    """How one model family counts image input tokens."""

    family: str
    """Name of the family, for messages."""
    base: int = 0
    """Tile families: tokens every image costs (all of a ``low`` image)."""
    tile: int = 0
    """Tile families: tokens per 512 px tile at ``high``."""
    patch_multiplier: Decimal | None = None
    """Patch families: tokens per 32 px patch; None for tile families."""


_GPT4O = ImageRule("gpt-4o / gpt-4.1 / gpt-4.5", 85, 170)
_GPT4O_MINI = ImageRule("gpt-4o-mini", 2833, 5667)
_O_SERIES = ImageRule("o1 / o3", 75, 150)
_GPT5 = ImageRule("gpt-5", 70, 140)
_CUA = ImageRule("computer-use-preview", 65, 129)
_P162 = ImageRule("gpt-4.1-mini / gpt-5-mini (patches x 1.62)", patch_multiplier=Decimal("1.62"))
_P246 = ImageRule("gpt-4.1-nano / gpt-5-nano (patches x 2.46)", patch_multiplier=Decimal("2.46"))
_P172 = ImageRule("o4-mini (patches x 1.72)", patch_multiplier=Decimal("1.72"))

# first match wins: more specific prefixes first
_RULES: tuple[tuple[re.Pattern[str], ImageRule], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"^gpt-4\.1-mini\b", _P162),
        (r"^gpt-4\.1-nano\b", _P246),
        (r"^gpt-5(\.\d+)?-mini\b", _P162),
        (r"^gpt-5(\.\d+)?-nano\b", _P246),
        (r"^o4-mini\b", _P172),
        (r"^gpt-4o-mini\b", _GPT4O_MINI),
        (r"^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-4-turbo|gpt-4-vision)\b", _GPT4O),
        (r"^(o1|o3)\b", _O_SERIES),
        (r"^computer-use-preview\b", _CUA),
        (r"^(gpt-5|gpt-6)\b", _GPT5),
    )
)


def image_rule(model: str) -> ImageRule | None:
    """The image rule of ``model`` (a resolved catalog id), or None when none is known."""
    name = model.lower()
    if name.startswith("ft:"):
        name = name[3:]
    for pattern, rule in _RULES:
        if pattern.search(name):
            return rule
    return None


def _tiles(width: int, height: int) -> int:
    w, h = Decimal(width), Decimal(height)
    longest = max(w, h)
    if longest > 2048:
        w, h = w * 2048 / longest, h * 2048 / longest
    shortest = min(w, h)
    if shortest > 768:
        w, h = w * 768 / shortest, h * 768 / shortest
    return math.ceil(w / 512) * math.ceil(h / 512)


def _patches(width: int, height: int) -> int:
    raw = -(-width // 32) * -(-height // 32)
    if raw <= 1536:
        return raw
    shrink = math.sqrt(32 * 32 * 1536 / (width * height))
    w, h = width * shrink, height * shrink
    fit = math.floor(w / 32) / (w / 32)
    w, h = w * fit, h * fit
    return min(1536, math.ceil(w / 32) * math.ceil(h / 32))


def image_tokens(rule: ImageRule, detail: str, size: tuple[int, int] | None) -> int:
    """Input tokens of one image.

    Args:
        rule: the model family's rule (`image_rule`).
        detail: ``low``, ``high`` or ``auto`` (counted as ``high``).
        size: (width, height) in pixels; may be None only where the count does not depend on it.

    Raises:
        UsageError: the detail is unknown, or the size is needed and missing.
    """
    if detail not in ("low", "high", "auto"):
        raise UsageError(f"image detail must be 'low', 'high' or 'auto', got {detail!r}")
    if rule.patch_multiplier is None:
        if detail == "low":
            return rule.base
        if size is None:
            raise UsageError(
                f"cannot size an image from a remote URL ({rule.family}, detail {detail!r}); "
                'send it as a data: URL, add "width" and "height" to the part, or use '
                'detail "low"'
            )
        return rule.base + rule.tile * _tiles(*size)
    if size is None:
        raise UsageError(
            f"cannot size an image from a remote URL ({rule.family} counts 32 px patches at "
            'any detail); send it as a data: URL or add "width" and "height" to the part'
        )
    tokens = _patches(*size) * rule.patch_multiplier
    return int(tokens.to_integral_value(rounding=ROUND_CEILING))


# ------------------------------------------------------------------------- sizes from bytes


def _png(b: bytes) -> tuple[int, int] | None:
    if b[:8] == b"\x89PNG\r\n\x1a\n" and len(b) >= 24 and b[12:16] == b"IHDR":
        w, h = struct.unpack(">II", b[16:24])
        return int(w), int(h)
    return None


def _gif(b: bytes) -> tuple[int, int] | None:
    if b[:6] in (b"GIF87a", b"GIF89a") and len(b) >= 10:
        w, h = struct.unpack("<HH", b[6:10])
        return int(w), int(h)
    return None


def _webp(b: bytes) -> tuple[int, int] | None:
    if len(b) < 30 or b[:4] != b"RIFF" or b[8:12] != b"WEBP":
        return None
    chunk = b[12:16]
    if chunk == b"VP8 " and b[23:26] == b"\x9d\x01\x2a":
        w, h = struct.unpack("<HH", b[26:30])
        return int(w & 0x3FFF), int(h & 0x3FFF)
    if chunk == b"VP8L" and b[20] == 0x2F:
        bits = int.from_bytes(b[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        w = int.from_bytes(b[24:27], "little") + 1
        h = int.from_bytes(b[27:30], "little") + 1
        return w, h
    return None


_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


def _jpeg(b: bytes) -> tuple[int, int] | None:
    if b[:2] != b"\xff\xd8":
        return None
    i, n = 2, len(b)
    while i + 4 <= n:
        if b[i] != 0xFF:
            return None
        marker = b[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", b[i + 2 : i + 4])
        if marker in _SOF:
            if i + 9 > n:
                return None
            h, w = struct.unpack(">HH", b[i + 5 : i + 9])
            return int(w), int(h)
        i += 2 + length
    return None


def size_from_bytes(data: bytes) -> tuple[int, int] | None:
    """(width, height) read from a PNG, JPEG, GIF or WebP header; None when unrecognised."""
    for reader in (_png, _jpeg, _gif, _webp):
        size = reader(data)
        if size is not None:
            return size
    return None


_DATA_URL = re.compile(r"^data:([\w.+-]+/[\w.+-]+)?((?:;[^,;]*)*?);base64,", re.IGNORECASE)


def _from_data_url(url: str) -> tuple[int, int]:
    m = _DATA_URL.match(url)
    if m is None:
        raise UsageError(
            f"image data: URL must be base64, like data:image/png;base64,... (got {url[:40]!r}...)"
        )
    payload = url[m.end() :]
    # most headers sit in the first bytes; JPEG metadata can push the size further in
    for chars in (1 << 16, len(payload)):
        head = "".join(payload[:chars].split())  # data: URLs may be wrapped
        head = head[: len(head) - len(head) % 4] if chars < len(payload) else head
        try:
            data = base64.b64decode(head + "=" * (-len(head) % 4), validate=True)
        except (binascii.Error, ValueError) as e:
            raise UsageError(f"image data: URL is not valid base64: {e}") from e
        size = size_from_bytes(data)
        if size is not None:
            return size
        if chars >= len(payload):
            break
    raise UsageError(
        f"cannot read the size of the image in a data: URL ({m.group(1) or 'no media type'}); "
        'supported: PNG, JPEG, GIF, WebP; or add "width" and "height" to the part'
    )


def _dim(where: Mapping[str, Any], key: str) -> int | None:
    v = where.get(key)
    if v is None:
        return None
    if type(v) is not int or v <= 0:
        raise UsageError(f"image {key} must be a positive whole number of pixels, got {v!r}")
    return v


def image_size(url: str, *extra: Mapping[str, Any]) -> tuple[int, int] | None:
    """Size of an image part: explicit ``width``/``height`` in ``extra``, else a data: URL header.

    Returns:
        (width, height), or None for a remote URL without an explicit size.

    Raises:
        UsageError: a data: URL that cannot be decoded or sized; a bad explicit size.
    """
    for m in extra:
        w, h = _dim(m, "width"), _dim(m, "height")
        if (w is None) != (h is None):
            raise UsageError('an image part needs both "width" and "height", or neither')
        if w is not None and h is not None:
            return w, h
    if url[:5].lower() == "data:":
        return _from_data_url(url)
    return None
