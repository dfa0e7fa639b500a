"""Costs API line items: which model, dimension and tier a billed amount is for.

The Costs API names its line items in free text. Those for model tokens follow one grammar::

    [<tier> | ]<model>[ <modality>], <direction>[, long context]

e.g. ``gpt-5.5-2026-04-23, cached input``, ``priority | gpt-5.6-sol, output, long context``,
``gpt-audio-mini-2025-12-15 audio, input``, ``ft-gpt-4o-2024-08-06, input``. Anything else
(``web search tool calls``, ``Vector storage``, ``whisper-1, audio``, ``dall-e 3, standard,
1024x1792``...) is a charge that is not a model's tokens.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

__all__ = ["LineItem", "parse_line_item"]

_DIRECTIONS = {
    "input": "input",
    "cached input": "cached_input",
    "cache read": "cached_input",
    "cache writes": "cache_write",
    "cache write": "cache_write",
    "output": "output",
}
_MODALITIES = ("text", "audio", "image")
_BY_MODALITY = {
    ("audio", "input"): "audio_input",
    ("audio", "cached_input"): "cached_audio_input",
    ("audio", "output"): "audio_output",
    ("image", "input"): "image_input",
    ("image", "cached_input"): "cached_image_input",
    ("image", "output"): "image_output",
}
_TIERS = {
    "default": "default",
    "standard": "default",
    "priority": "priority",
    "fast": "priority",
    "flex": "flex",
    "batch": "batch",
    "scale": "scale",
}


@dataclass(frozen=True, slots=True)
class LineItem:
    """A line item that bills one dimension of one model's tokens."""

    model: str
    """The model as the line item names it (``ft-`` prefix and all)."""
    dimension: str
    """The rate key billed: ``input``, ``cached_input``, ``cache_write``, ``output``,
    ``audio_input``, ``cached_audio_input``, ``audio_output``, ``image_input``,
    ``cached_image_input`` or ``image_output``."""
    tier: str
    """``default``, ``priority``, ``flex``, ``batch``, ``scale``, or the prefix as written when
    it is none of these."""
    long_context: bool
    """True for ``, long context`` items (the long-context rates)."""

    @property
    def model_candidates(self) -> tuple[str, ...]:
        """Names to look the model up by: as written, then ``ft-X`` as ``ft:X``."""
        if self.model.startswith("ft-"):
            return (self.model, "ft:" + self.model[3:])
        return (self.model,)


def _direction(text: str) -> str | None:
    d = " ".join(text.lower().replace("_", " ").split())
    if d.endswith(" tokens"):
        d = d[: -len(" tokens")]
    return _DIRECTIONS.get(d)


@functools.lru_cache(maxsize=4096)
def parse_line_item(text: str | None) -> LineItem | None:
    """The model, dimension and tier of a model-token line item; None for any other charge.

    >>> parse_line_item("priority | gpt-5.6-sol, output, long context")
    LineItem(model='gpt-5.6-sol', dimension='output', tier='priority', long_context=True)
    >>> parse_line_item("web search tool calls") is None
    True
    """
    if not text:
        return None
    tier = "default"
    body = text.strip()
    if "|" in body:
        prefix, _, body = body.partition("|")
        word = " ".join(prefix.lower().split())
        tier = _TIERS.get(word, word)
        body = body.strip()
    parts = [p.strip() for p in body.split(",")]
    if len(parts) not in (2, 3) or not parts[0]:
        return None
    long_context = False
    if len(parts) == 3:
        if " ".join(parts[2].lower().split()) != "long context":
            return None
        long_context = True
    direction = _direction(parts[1])
    if direction is None:
        return None
    model = parts[0]
    modality = None
    head, sep, last = model.rpartition(" ")
    if sep and last.lower() in _MODALITIES:
        model, modality = head.strip(), last.lower()
    if not model or " " in model:
        return None
    dimension = direction
    if modality in ("audio", "image"):
        dimension = _BY_MODALITY[(modality, direction)] if direction != "cache_write" else ""
        if not dimension:
            return None
    return LineItem(model=model, dimension=dimension, tier=tier, long_context=long_context)
