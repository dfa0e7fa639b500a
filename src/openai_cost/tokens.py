"""Offline token counting and pre-call cost estimates.

```python
import openai_cost as oc

oc.count_tokens("Hello world", "gpt-4o")                       # 2
oc.count_tokens([{"role": "user", "content": "Hi"}], "gpt-4o")  # 8: 3 + 1 + 1 + 3
est = oc.estimate("gpt-4o", messages, max_output_tokens=500)
est.prompt_cost.total, est.total_min, est.total_max
```

**Encodings.** The model's tiktoken encoding is the ``encoding`` field of its catalog entry, so a
new model needs a line of price data, not code. A model the catalog does not know, or an entry
without an ``encoding``, falls back to a prefix rule: ``o200k_base`` for GPT-4o, GPT-4.1, GPT-4.5,
the o-series, GPT-5 and later; ``cl100k_base`` for GPT-4, GPT-3.5, text-embedding-3 / ada-002 and
davinci-002 / babbage-002. Anything else is `UnknownModelError` (not in the catalog) or
`TokenizerUnavailableError` (in it, but no known encoding). Both encodings ship with the package
and load without network access (see `openai_cost._encodings`).

**Text** is counted as ordinary text (``encode_ordinary``): a literal ``<|endoftext|>`` in user
text is just characters, as the API treats it.

**Chat messages** follow OpenAI's published rules (the cookbook "How to count tokens with
tiktoken", checked there against API-reported ``prompt_tokens`` for gpt-3.5-turbo, gpt-4,
gpt-4o and gpt-4o-mini):

* every message costs 3 tokens plus the tokens of each of its string values (``role``,
  ``content``, ``name``, ``tool_call_id``...); a ``name`` adds 1 more;
* every reply is primed with 3 tokens (``<|start|>assistant<|message|>``);
* ``tools`` (function definitions) add, per function, 7 tokens (10 on cl100k models) plus
  ``name:description``; per parameter 3 plus ``name:type:description``, and 3 more for the
  parameter list; an enum adds -3 plus 3 and the value's tokens per item; 12 close the list.

Approximations, said plainly: the same rules are applied to models newer than the ones the
cookbook checked (GPT-4.1, o-series, GPT-5 and later: one recorded gpt-4.1 pair agrees);
nested parameter schemas count only their ``type``; several text parts in one message are
counted separately; an assistant's ``tool_calls`` count their function names and arguments;
other non-string values count as their JSON text; message keys that the model does not see
(``type``, ``id``, ``status`` of Responses items) are skipped. Images follow `openai_cost._images`.
Audio and file parts cannot be counted offline and raise `TokenizerUnavailableError`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

from . import _encodings
from ._images import image_rule, image_size, image_tokens
from .catalog import Catalog, catalog, strip_provider
from .errors import OpenAICostError, TokenizerUnavailableError, UnknownModelError, UsageError
from .pricing import price
from .types import Cost, CostLine, ModelPrice, Usage
from .usage import as_mapping

if TYPE_CHECKING:
    import tiktoken

__all__ = [
    "Estimate",
    "RequestFields",
    "Tokenizer",
    "count_tokens",
    "estimate",
    "estimate_request",
    "request_fields",
    "tokenizer_for",
]

_log = logging.getLogger("openai_cost.tracking")  # estimate_request serves the budget

Messages = Sequence[Mapping[str, Any]]
"""Chat messages as the API takes them (dicts; SDK objects are dumped first)."""


@runtime_checkable
class Tokenizer(Protocol):
    """Counts the tokens of ordinary text for one encoding."""

    @property
    def name(self) -> str:
        """Encoding name, e.g. ``"o200k_base"``."""
        ...  # pragma: no cover - protocol

    def count(self, text: str) -> int:
        """Tokens of ``text``, special-token markers counted as plain characters."""
        ...  # pragma: no cover - protocol


class _TiktokenTokenizer:
    """A `Tokenizer` over a bundled `tiktoken.Encoding`."""

    __slots__ = ("_encode", "encoding", "name")

    def __init__(self, encoding: tiktoken.Encoding) -> None:
        self.encoding = encoding
        self.name: str = encoding.name
        self._encode = encoding.encode_ordinary

    def count(self, text: str) -> int:
        return len(self._encode(text))

    def __repr__(self) -> str:
        return f"<Tokenizer {self.name}>"


_TOKENIZERS: dict[str, _TiktokenTokenizer] = {}

# Documented fallback when the catalog does not name an encoding. First match wins.
_PREFIX_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-[5-9]|o[1-9]|codex-mini)(\b|$)"),
        "o200k_base",
    ),
    (
        re.compile(
            r"^(gpt-4|gpt-3\.5|text-embedding-3|text-embedding-ada-002|davinci-002|babbage-002)"
            r"(\b|$)"
        ),
        "cl100k_base",
    ),
)


def _bare(model: str) -> str:
    name = strip_provider(model)
    if name.startswith("ft:"):
        name = name[3:]
    return name


def prefix_encoding(model: str) -> str | None:
    """The fallback encoding for a model name by its prefix, or None when no rule matches."""
    name = _bare(model)
    for pattern, enc in _PREFIX_RULES:
        if pattern.search(name):
            return enc
    return None


def _tokenizer(encoding: str) -> _TiktokenTokenizer:
    tok = _TOKENIZERS.get(encoding)
    if tok is None:
        tok = _TOKENIZERS[encoding] = _TiktokenTokenizer(_encodings.get_encoding(encoding))
    return tok


def _resolve(
    model: str, prices: Catalog | None, at: date | datetime | str | None = None
) -> tuple[ModelPrice | None, str, str]:
    """(catalog entry or None, model id to use for family rules, encoding name)."""
    try:
        # counting tokens prices nothing: no warning about a dated snapshot priced as its model
        mp: ModelPrice | None = (prices or catalog()).resolve(model, at, warn=False)
    except UnknownModelError:
        enc = prefix_encoding(model)
        if enc is None:
            raise
        return None, _bare(model), enc
    assert mp is not None
    return mp, mp.model, _encoding_of(mp, model)


def _encoding_of(mp: ModelPrice, model: str) -> str:
    """The encoding of a resolved entry: its catalog ``encoding``, else the prefix rule."""
    enc = mp.encoding or prefix_encoding(mp.model) or prefix_encoding(model)
    if enc is None:
        raise TokenizerUnavailableError(
            f"model {mp.model!r} has no tiktoken encoding in the catalog and none can be "
            f'inferred from its name; add encoding = "o200k_base" (or another of '
            f"{', '.join(_encodings.BUNDLED)}) to its entry in a price file"
        )
    return enc


def tokenizer_for(model: str, *, prices: Catalog | None = None) -> Tokenizer:
    """The tokenizer of ``model``: its catalog ``encoding``, else the documented prefix rule.

    Raises:
        UnknownModelError: neither the catalog nor the prefix rule knows the model.
        TokenizerUnavailableError: the model's encoding is not bundled or cannot be loaded.
    """
    return _tokenizer(_resolve(model, prices)[2])


# ----------------------------------------------------------------------------- messages


def _as_dict(obj: Any, where: str) -> Mapping[str, Any]:
    data = as_mapping(obj, exclude_none=True)
    if data is not None:
        return data
    raise UsageError(f"{where} must be an object (a dict), got {type(obj).__name__}")


_SKIP_KEYS = frozenset({"type", "id", "status"})
_TEXT_PARTS = {"text": "text", "input_text": "text", "output_text": "text", "refusal": "refusal"}


class _Counter:
    __slots__ = ("count", "model", "rule", "rule_checked")

    def __init__(self, tok: _TiktokenTokenizer, model: str) -> None:
        self.count = tok.count
        self.model = model
        self.rule_checked = False
        self.rule: Any = None

    def image(self, part: Mapping[str, Any], where: str) -> int:
        if not self.rule_checked:
            self.rule = image_rule(self.model)
            self.rule_checked = True
        if self.rule is None:
            raise TokenizerUnavailableError(
                f"{where}: no image token rule is known for model {self.model!r}"
            )
        raw = part.get("image_url")
        inner: Mapping[str, Any] = {}
        if isinstance(raw, Mapping):
            inner = raw
            url = raw.get("url")
            detail = raw.get("detail", part.get("detail"))
        else:
            url = raw
            detail = part.get("detail")
        if url is None and part.get("file_id"):
            url = ""
        if not isinstance(url, str):
            raise UsageError(f"{where}: image part needs an image_url with a url string")
        detail = "auto" if detail is None else detail
        if not isinstance(detail, str):
            raise UsageError(f"{where}: image detail must be a string, got {detail!r}")
        try:
            size = image_size(url, inner, part)
            return image_tokens(self.rule, detail.lower(), size)
        except UsageError as e:
            raise UsageError(f"{where}: {e}") from e

    def content(self, content: Any, where: str) -> int:
        if isinstance(content, str):
            return self.count(content)
        if content is None:
            return 0
        if not isinstance(content, (list, tuple)):
            raise UsageError(
                f"{where} must be a string or a list of parts, got {type(content).__name__}"
            )
        n = 0
        for i, raw in enumerate(content):
            pw = f"{where}[{i}]"
            if isinstance(raw, str):
                n += self.count(raw)
                continue
            part = _as_dict(raw, pw)
            kind = part.get("type")
            if kind in _TEXT_PARTS:
                text = part.get(_TEXT_PARTS[kind])
                if not isinstance(text, str):
                    raise UsageError(f"{pw}: a {kind!r} part needs a {_TEXT_PARTS[kind]!r} string")
                n += self.count(text)
            elif kind in ("image_url", "input_image"):
                n += self.image(part, pw)
            elif kind in ("input_audio", "audio", "file", "input_file"):
                raise TokenizerUnavailableError(
                    f"{pw}: {kind} parts cannot be counted offline (only text and images)"
                )
            else:
                raise UsageError(
                    f"{pw}: unknown content part type {kind!r}; expected text, image_url, "
                    "input_text or input_image"
                )
        return n

    def calls(self, calls: Any, where: str) -> int:
        if not isinstance(calls, (list, tuple)):
            raise UsageError(f"{where} must be a list")
        n = 0
        for i, raw in enumerate(calls):
            call = _as_dict(raw, f"{where}[{i}]")
            fn = call.get("function", call)
            fn = _as_dict(fn, f"{where}[{i}].function")
            for key in ("name", "arguments"):
                v = fn.get(key)
                if isinstance(v, str):
                    n += self.count(v)
        return n

    def value(self, v: Any) -> int:
        if isinstance(v, str):
            return self.count(v)
        if v is None or isinstance(v, bool):
            return 0
        return self.count(json.dumps(v, ensure_ascii=False, separators=(",", ":")))

    def messages(self, messages: Any) -> int:
        if isinstance(messages, (str, bytes)) or not isinstance(messages, Iterable):
            raise UsageError(
                f"messages must be a list of message objects, got {type(messages).__name__}"
            )
        n = 0
        seen = 0
        for i, raw in enumerate(messages):
            seen += 1
            where = f"messages[{i}]"
            msg = _as_dict(raw, where)
            if "role" not in msg:
                raise UsageError(f"{where} has no 'role'")
            if not isinstance(msg["role"], str):
                raise UsageError(f"{where}.role must be a string, got {msg['role']!r}")
            n += 3
            for key, v in msg.items():
                if key in _SKIP_KEYS:
                    continue
                if key == "content":
                    n += self.content(v, f"{where}.content")
                elif key in ("tool_calls", "function_call"):
                    if v is not None:
                        n += self.calls(v if key == "tool_calls" else [v], f"{where}.{key}")
                elif key == "name":
                    if not isinstance(v, str):
                        raise UsageError(f"{where}.name must be a string, got {v!r}")
                    n += self.count(v) + 1
                else:
                    n += self.value(v)
        if seen == 0:
            raise UsageError("messages is empty; pass at least one message")
        return n + 3


def _strip_dot(s: str) -> str:
    return s[:-1] if s.endswith(".") else s


def _tool_tokens(counter: _Counter, tools: Any, encoding: str) -> int:
    if not isinstance(tools, (list, tuple)):
        raise UsageError(f"tools must be a list of tool definitions, got {type(tools).__name__}")
    if not tools:
        return 0
    func_init = 10 if encoding == "cl100k_base" else 7
    count = counter.count
    n = 0
    for i, raw in enumerate(tools):
        where = f"tools[{i}]"
        tool = _as_dict(raw, where)
        fn = tool.get("function", tool)
        fn = _as_dict(fn, f"{where}.function")
        name = fn.get("name")
        if not isinstance(name, str):
            raise UsageError(
                f"{where}: only function tools can be counted; a function needs a 'name'"
            )
        desc = fn.get("description") or ""
        n += func_init + count(f"{name}:{_strip_dot(str(desc))}")
        params = fn.get("parameters") or {}
        props = _as_dict(params, f"{where}.parameters").get("properties") or {}
        props = _as_dict(props, f"{where}.parameters.properties")
        if props:
            n += 3
            for key, raw_spec in props.items():
                spec = _as_dict(raw_spec, f"{where}.parameters.properties.{key}")
                n += 3
                enum = spec.get("enum")
                if isinstance(enum, (list, tuple)):
                    n -= 3
                    for item in enum:
                        n += 3 + count(str(item))
                ptype = spec.get("type", "")
                if isinstance(ptype, list):
                    ptype = "|".join(map(str, ptype))
                pdesc = _strip_dot(str(spec.get("description") or ""))
                n += count(f"{key}:{ptype}:{pdesc}")
    return n + 12


def count_tokens(
    text_or_messages: str | Messages,
    model: str,
    *,
    tools: Sequence[Mapping[str, Any]] | None = None,
    prices: Catalog | None = None,
) -> int:
    """Tokens of a text, or the prompt tokens of chat messages, for ``model``; offline.

    Args:
        text_or_messages: plain text (counted as ordinary text, no message overhead), or chat
            messages as the Chat Completions API takes them (dicts or SDK objects; content as a
            string or a list of text and image parts).
        model: a model the catalog knows (its ``encoding``), or one the prefix rule recognises.
        tools: function tool definitions sent with the messages (Chat Completions or Responses
            shape, or legacy ``functions``).
        prices: a `Catalog` to use instead of the shared `catalog()`.

    Returns:
        The token count: what the API reports as ``prompt_tokens`` for messages, within the
        approximations listed in this module's docstring.

    Raises:
        UnknownModelError: neither the catalog nor the prefix rule knows ``model``.
        TokenizerUnavailableError: no bundled encoding for the model; an audio or file part.
        UsageError: malformed messages or tools; an image part that cannot be sized.
    """
    _, model_id, enc = _resolve(model, prices)
    return _count(text_or_messages, model_id, enc, tools)


def _count(
    text_or_messages: str | Messages,
    model_id: str,
    enc: str,
    tools: Sequence[Mapping[str, Any]] | None,
) -> int:
    tok = _tokenizer(enc)
    if isinstance(text_or_messages, str):
        if tools:
            raise UsageError("tools= only applies to chat messages, not to plain text")
        return tok.count(text_or_messages)
    counter = _Counter(tok, model_id)
    n = counter.messages(text_or_messages)
    if tools is not None:
        n += _tool_tokens(counter, tools, enc)
    return n


# ----------------------------------------------------------------------------- estimate


@dataclass(frozen=True, slots=True)
class Estimate:
    """What a call will cost before it is sent: the prompt exactly, the output as a range."""

    model: str
    """Resolved model id that priced it."""
    prompt_tokens: int
    """Prompt tokens, as `count_tokens` counts them."""
    prompt_cost: Cost
    """Cost of the prompt alone (cached tokens at the cached rate)."""
    max_output_tokens: int
    """Upper end of the output range: the argument, else the model's maximum output."""
    output_cost_max: Decimal
    """Cost of ``max_output_tokens`` output tokens, USD."""
    total_min: Decimal
    """Prompt cost with no output, USD."""
    total_max: Decimal
    """Prompt cost plus the maximum output, USD."""
    lines: tuple[CostLine, ...]
    """Cost lines of the maximum case."""
    encoding: str = ""
    """tiktoken encoding used to count."""

    @property
    def total_min_usd(self) -> Decimal:
        """`total_min`, USD (the package's unit-named spelling)."""
        return self.total_min

    @property
    def total_max_usd(self) -> Decimal:
        """`total_max`, USD."""
        return self.total_max

    @property
    def output_max_usd(self) -> Decimal:
        """`output_cost_max`, USD."""
        return self.output_cost_max

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: decimal strings."""
        return {
            "model": self.model,
            "encoding": self.encoding,
            "prompt_tokens": self.prompt_tokens,
            "prompt_usd": str(self.prompt_cost.total),
            "max_output_tokens": self.max_output_tokens,
            "output_max_usd": str(self.output_cost_max),
            "total_min_usd": str(self.total_min),
            "total_max_usd": str(self.total_max),
            "tier": self.prompt_cost.tier,
            "price_since": self.prompt_cost.price_since.isoformat(),
            "lines": [ln.to_dict() for ln in self.lines],
        }


def estimate(
    model: str,
    messages: str | Messages,
    *,
    max_output_tokens: int | None = None,
    tools: Sequence[Mapping[str, Any]] | None = None,
    batch: bool = False,
    tier: str | None = None,
    cached_tokens: int = 0,
    at: date | datetime | str | None = None,
    prices: Catalog | None = None,
) -> Estimate:
    """Estimate a call's cost before sending it: exact prompt cost, output cost as a range.

    Args:
        model: the model to price with (must be in the catalog).
        messages: chat messages (or a plain text prompt).
        max_output_tokens: upper end of the output range; default the model's maximum output.
        tools: function tool definitions sent with the messages.
        batch: price at Batch API rates.
        tier: ``service_tier`` (``flex``, ``priority``...).
        cached_tokens: prompt tokens expected from the prompt cache.
        at: the date whose prices apply; default today (UTC).
        prices: a `Catalog` to use instead of the shared `catalog()`.

    Returns:
        An `Estimate`.

    Raises:
        UnknownModelError: the model is not in the catalog.
        UsageError: malformed messages, an unsizable image, a bad output or cached count, or no
            maximum output known for the model and none given.
        PricingError: the tier is unknown or not offered.
    """
    mp = (prices or catalog()).resolve(model, at)  # once, at the date whose prices apply
    enc = _encoding_of(mp, model)
    n = _count(messages, mp.model, enc, tools)
    if max_output_tokens is None:
        max_out = mp.max_output_tokens
        if max_out is None:
            raise UsageError(
                f"the catalog has no maximum output for {mp.model!r}; pass max_output_tokens="
            )
    else:
        if type(max_output_tokens) is not int or max_output_tokens < 0:
            raise UsageError(
                f"max_output_tokens must be a whole number >= 0, got {max_output_tokens!r}"
            )
        max_out = max_output_tokens
    prompt = price(Usage(input_tokens=n, cached_tokens=cached_tokens), mp, tier=tier, batch=batch)
    worst = price(
        Usage(input_tokens=n, output_tokens=max_out, cached_tokens=cached_tokens),
        mp,
        tier=tier,
        batch=batch,
    )
    return Estimate(
        model=mp.model,
        prompt_tokens=n,
        prompt_cost=prompt,
        max_output_tokens=max_out,
        output_cost_max=worst.output,
        total_min=prompt.total,
        total_max=worst.total,
        lines=worst.lines,
        encoding=enc,
    )


class RequestFields(NamedTuple):
    """What an API request body says about its cost (`request_fields`)."""

    model: str | None
    """``model``."""
    prompt: Any
    """``messages`` (Chat Completions), else ``input`` (Responses); not validated."""
    max_output_tokens: int | None
    """``max_completion_tokens``, else ``max_tokens``, else ``max_output_tokens`` (an int >= 0)."""
    tools: Any
    """``tools``, else the legacy ``functions``; not validated."""
    tier: str | None
    """``service_tier`` when it may change the price (``flex``, ``priority``, ``fast``,
    ``ultrafast``, any case), else None."""


_PRICED_TIERS = frozenset({"flex", "priority", "fast", "ultrafast"})


def request_fields(body: Mapping[str, Any]) -> RequestFields:
    """The fields of a request body that decide a call's cost, read the one way the budget's
    pre-call estimate and the ``estimate`` command both use."""
    model = body.get("model")
    out: int | None = None
    for key in ("max_completion_tokens", "max_tokens", "max_output_tokens"):
        v = body.get(key)
        if type(v) is int and v >= 0:
            out = v
            break
    t = body.get("service_tier")
    return RequestFields(
        model if isinstance(model, str) else None,
        body.get("messages", body.get("input")),
        out,
        body.get("tools", body.get("functions")),
        t if isinstance(t, str) and t.lower() in _PRICED_TIERS else None,
    )


def estimate_request(
    model: str | None,
    body: Mapping[str, Any] | None,
    raw: bytes | None,
    prices: Catalog | None = None,
) -> Decimal:
    """A conservative (high) cost estimate of a request before it is sent (for budgets).

    Output is the request's ``max_completion_tokens`` / ``max_tokens`` / ``max_output_tokens``,
    else the model's maximum output from the catalog. Input: chat messages and Responses
    ``input`` are counted with `estimate`; anything else (or anything it cannot count) is the
    request body's length / 4 tokens, which over-counts (JSON syntax counts too). A model the
    catalog does not know estimates to 0 (logged): the budget still refuses calls once what was
    spent reaches the limit.
    """
    fields = request_fields(body or {})
    names = [n for n in (fields.model, model) if n]
    if not names:
        return Decimal(0)
    cat = prices or catalog()
    for name in names:
        try:
            mp = cat.resolve(name)
        except OpenAICostError:
            continue
        max_out = (
            fields.max_output_tokens
            if fields.max_output_tokens is not None
            else (mp.max_output_tokens or 0)
        )
        tier = fields.tier
        if tier is not None:
            try:  # a tier the model has no price for: its standard rates, said in the log
                price(Usage(input_tokens=1, output_tokens=1), mp, tier=tier)
            except OpenAICostError as e:
                _log.info("openai-cost estimates %r at standard rates for a budget: %s", name, e)
                tier = None
        prompt = fields.prompt
        if isinstance(prompt, (str, list)) and prompt:
            try:
                tools = fields.tools
                return estimate(
                    name,
                    prompt,
                    max_output_tokens=max_out,
                    tools=tools if isinstance(tools, list) else None,
                    tier=tier,
                    prices=cat,
                ).total_max
            except Exception as e:  # a shape it cannot count: fall back to the body size
                _log.debug("openai-cost counted %r by size: %s", name, e)
        try:
            usage = Usage(input_tokens=len(raw or b"") // 4, output_tokens=max_out)
            return price(usage, mp, tier=tier).total
        except OpenAICostError as e:
            _log.info("openai-cost cannot estimate %r for a budget: %s", name, e)
            return Decimal(0)
    _log.info("openai-cost cannot estimate %s for a budget (counted as $0)", names[0])
    return Decimal(0)
