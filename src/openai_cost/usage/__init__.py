"""The usage wing: the only part of the package that knows OpenAI's wire formats.

Everything that reads what the API sends back lives here, and turns it into the core's values
(`Usage`, `Call`):

* `_mapping`: one ``usage`` object (dict or SDK object) -> `Usage` (`usage_from_mapping`);
* `_response`: whole responses, streams, events and Batch lines -> `Call` (`extract_usage`);
* `_files`: files of responses, Batch output and logs, read item by item (`iter_records`).

`summary`, `tracking` and `cost_of` read responses only through this package.
"""

from __future__ import annotations

from ._mapping import as_mapping, usage_from_mapping
from ._response import extract_usage

__all__ = ["as_mapping", "extract_usage", "usage_from_mapping"]
