"""A small price file for the extraction and summary tests, so they do not depend on the
bundled catalog. Every rate is copied from openai-billing.md (section named per model)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from openai_cost import Catalog

FIXTURES = Path(__file__).parent / "fixtures" / "responses" / "openai"

PRICES_TOML = """
provider = "openai"

# openai-billing.md 2.7: web search $10 / 1K calls, file search $2.50 / 1K, container $0.03
[[tool_fees]]
since = "2025-03-11"
source = "openai-billing.md 2.7"
web_search_call = "0.01"
web_search_preview_call = "0.01"
file_search_call = "0.0025"
code_interpreter_container = "0.03"

[[models]]
id = "gpt-4o-2024-08-06"            # openai-billing.md 3.1
[[models.prices]]
since = "2024-08-06"
source = "openai-billing.md 3.1, 2.7"
input = "2.50"
cached_input = "1.25"
output = "10.00"
web_search_preview_call = "0.025"   # non-reasoning models: $25 / 1K calls (2.7)
[models.prices.batch]
input = "1.25"
output = "5.00"
[models.prices.priority]
input = "4.25"
cached_input = "2.125"
output = "17.00"

[[models]]
id = "gpt-4o-mini-2024-07-18"       # openai-billing.md 3.1
[[models.prices]]
since = "2024-07-18"
source = "openai-billing.md 3.1"
input = "0.15"
cached_input = "0.075"
output = "0.60"
[models.prices.batch]
input = "0.075"
output = "0.30"

[[models]]
id = "o3-2025-04-16"                # openai-billing.md 3.2: $10 / $40 at launch, cut 2025-06-10
[[models.prices]]
since = "2025-04-16"
source = "openai-billing.md 3.2"
input = "10.00"
cached_input = "2.50"
output = "40.00"
[[models.prices]]
since = "2025-06-10"
source = "openai-billing.md 3.2"
input = "2.00"
cached_input = "0.50"
output = "8.00"
[models.prices.flex]
input = "1.00"
cached_input = "0.25"
output = "4.00"

[[models]]
id = "gpt-5-2025-08-07"             # openai-billing.md 3.3
[[models.prices]]
since = "2025-08-07"
source = "openai-billing.md 3.3"
input = "1.25"
cached_input = "0.125"
output = "10.00"
[models.prices.batch]
input = "0.625"
cached_input = "0.0625"
output = "5.00"
[models.prices.priority]
input = "2.50"
cached_input = "0.25"
output = "20.00"

[[models]]
id = "gpt-5.4"                      # openai-billing.md 3.3, 2.6: above 272K input, 2x / 1.5x
[[models.prices]]
since = "2026-03-05"
source = "openai-billing.md 3.3"
input = "2.50"
cached_input = "0.25"
output = "15.00"
[models.prices.long_context]
threshold = 272000
input = "5.00"
cached_input = "0.50"
output = "22.50"

[[models]]
id = "gpt-4o-audio-preview-2024-12-17"   # openai-billing.md 3.5
[[models.prices]]
since = "2024-12-17"
source = "openai-billing.md 3.5"
input = "2.50"
output = "10.00"
audio_input = "40.00"
audio_output = "80.00"

[[models]]
id = "gpt-3.5-turbo-instruct"       # openai-billing.md 3.10
[[models.prices]]
since = "2023-09-18"
source = "openai-billing.md 3.10"
input = "1.50"
output = "2.00"

[[models]]
id = "text-embedding-3-small"       # openai-billing.md 3.8
[[models.prices]]
since = "2024-01-25"
source = "openai-billing.md 3.8"
input = "0.02"
[models.prices.batch]
input = "0.01"

[[models]]
id = "gpt-realtime"                 # openai-billing.md 3.5
[[models.prices]]
since = "2025-08-28"
source = "openai-billing.md 3.5"
input = "4.00"
cached_input = "0.40"
output = "16.00"
audio_input = "32.00"
cached_audio_input = "0.40"
audio_output = "64.00"
image_input = "5.00"
cached_image_input = "0.50"

[[models]]
id = "gpt-4o-transcribe"            # openai-billing.md 3.6
[[models.prices]]
since = "2025-03-20"
source = "openai-billing.md 3.6"
input = "2.50"
audio_input = "6.00"
output = "10.00"

[[models]]
id = "whisper-1"                    # openai-billing.md 3.6: $0.006 / minute
[[models.prices]]
since = "2023-03-01"
source = "openai-billing.md 3.6"
audio_minute = "0.006"

[[models]]
id = "gpt-4o-mini-tts"              # openai-billing.md 3.6
[[models.prices]]
since = "2025-03-20"
source = "openai-billing.md 3.6"
input = "0.60"
audio_output = "12.00"

[[models]]
id = "tts-1"                        # openai-billing.md 3.6: $15 / 1M characters
[[models.prices]]
since = "2023-11-06"
source = "openai-billing.md 3.6"
characters = "15.00"

[[models]]
id = "gpt-image-1"                  # openai-billing.md 3.7
[[models.prices]]
since = "2025-04-23"
source = "openai-billing.md 3.7"
input = "5.00"
cached_input = "1.25"
image_input = "10.00"
cached_image_input = "2.50"
image_output = "40.00"

[[models]]
id = "dall-e-3"                     # openai-billing.md 3.7
[[models.prices]]
since = "2023-11-06"
source = "openai-billing.md 3.7"
[models.prices.per_image]
"standard/1024x1024" = "0.04"
"standard/1024x1792" = "0.08"
"standard/1792x1024" = "0.08"
"hd/1024x1024" = "0.08"
"hd/1024x1792" = "0.12"
"hd/1792x1024" = "0.12"
"""


def make_catalog(tmp_path: Path) -> Catalog:
    """A catalog holding only the rates above."""
    p = tmp_path / "test-prices.toml"
    p.write_text(PRICES_TOML, encoding="utf-8")
    return Catalog([]).load(p)


def fixture_text(name: str) -> str:
    """A fixture file's text."""
    return (FIXTURES / name).read_text(encoding="utf-8")


def fixture(name: str) -> Any:
    """A JSON fixture, parsed."""
    return json.loads(fixture_text(name))
