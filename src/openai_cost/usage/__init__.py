"""The usage wing: the only part of the package that knows OpenAI's wire formats.

Everything that reads what the API sends back lives here, and turns it into the core's values
(`Usage`, `Call`):

* `_mapping`: one ``usage`` object (dict or SDK object) -> `Usage` (`usage_from_mapping`),
  and the one "SDK object to dict" reader (`as_mapping`);
* `_response`: whole responses, streams, events and Batch lines -> `Call` (`extract_usage`),
  with the tables of endpoints and event types;
* `_sse`: the one Server-Sent Events framer, and `UsageHider`, which takes out of a live
  stream the usage chunk tracking asked for on the caller's behalf;
* `_files`: files of responses, Batch output and logs, read item by item (`iter_records`).

`summary`, `tracking` and `cost_of` read responses only through the names exported here.
"""

from __future__ import annotations

from ._files import Item, Records, iter_records
from ._mapping import (
    CHAT_COMPLETION_DETAIL_KEYS,
    CHAT_PROMPT_DETAIL_KEYS,
    CHAT_USAGE_KEYS,
    as_mapping,
    chat_dict_usage,
    usage_from_mapping,
)
from ._response import (
    ENDPOINTS,
    NO_STREAM_USAGE,
    RESPONSE_DONE,
    USAGE_EVENTS,
    body_payload,
    endpoint_of,
    extract_usage,
    normalize_endpoint,
    parse_sse,
    stream_payload,
)
from ._sse import UsageHider

__all__ = [
    "CHAT_COMPLETION_DETAIL_KEYS",
    "CHAT_PROMPT_DETAIL_KEYS",
    "CHAT_USAGE_KEYS",
    "ENDPOINTS",
    "NO_STREAM_USAGE",
    "RESPONSE_DONE",
    "USAGE_EVENTS",
    "Item",
    "Records",
    "UsageHider",
    "as_mapping",
    "body_payload",
    "chat_dict_usage",
    "endpoint_of",
    "extract_usage",
    "iter_records",
    "normalize_endpoint",
    "parse_sse",
    "stream_payload",
    "usage_from_mapping",
]
