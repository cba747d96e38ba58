"""The embedded model's costs, measured through the seam: join, start, first structured draft.

    uv run python bench/bench_model.py [--cold] ["brief text"]

Prints plain ``key=value`` lines. What each figure includes:

* ``model_join_s``: making sure the joined weights are in the cache. Without ``--cold`` that
  is normally the verified-cache fast path (``model_join_cold=False``); with ``--cold`` the
  six chunks are joined and hashed into a temporary directory (the user's cache is untouched).
* ``model_start_s``: starting the llama.cpp child until ``/health`` is 200. Join excluded.
* ``model_first_draft_s``: the first ``with_structured_output(..., method="json_schema")``
  email draft on the fresh server (prompt reading + generation, grammar-constrained), tried
  again as the writer does when the model runs into max_tokens or returns what does not parse
  (``model_first_draft_attempts``: how many attempts it took; all of them are in the time).
* ``model_draft_tokens_per_s``: the successful attempt's output tokens / its wall time.
* ``model_free_tokens_per_s``: the baseline, the same prompt without a schema, in the same run,
  and ``model_warm_draft_tokens_per_s`` a second structured draft, both on the warm server;
  ``model_draft_vs_free_speed`` is their ratio (1.0 = the grammar costs nothing).
* ``model_server_rss_mib``: the child's resident memory after the draft.
* ``model_loadavg_1m``: other work on the machine slows llama.cpp a lot; read figures with it.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/bench_model.py` as well as `-m bench.bench_model`
    sys.path.insert(0, str(ROOT))

from graphs import embedded  # noqa: E402
from graphs.model import load_chat_model  # noqa: E402
from graphs.writer import ATTEMPTS, RETRYABLE  # noqa: E402

SAMPLE_BRIEF = (
    "Product: Brightloop 2 smart thermostat. Audience: homeowners with high heating bills. "
    "Goal: pre-orders before winter. Offer: 15% off pre-orders until October 31."
)
SYSTEM = (
    "You are a marketing copywriter. Write one marketing email for the brief. "
    "subject: the subject line. body: the email, under 120 words. "
    "confidence: how sure you are the email fits the brief, from 0.0 to 1.0."
)


class EmailDraft(BaseModel):
    subject: str
    body: str
    confidence: float = Field(ge=0, le=1)


def _rss_mib(pid: int | None) -> float | None:
    if pid is None:
        return None
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def _draft(
    structured: Any, messages: list[tuple[str, str]]
) -> tuple[dict[str, Any], float, float, int]:
    """One structured draft the way the writer makes it (graphs/drafting.py `_draft`): a draft cut
    off at max_tokens, or one that does not parse, is tried again, up to `ATTEMPTS` times.
    Returns the result, the wall time of every attempt together, that of the last one (the
    draft's tokens per second are of that one), and the number of attempts."""
    started = time.perf_counter()
    for attempt in range(1, ATTEMPTS + 1):
        began = time.perf_counter()
        try:
            result = structured.invoke(messages)
            if result["parsing_error"] is not None:
                raise ValueError(f"the draft did not parse: {result['parsing_error']}")
            ended = time.perf_counter()
            return result, ended - started, ended - began, attempt
        except RETRYABLE as exc:
            if attempt == ATTEMPTS:
                raise RuntimeError(f"no draft in {ATTEMPTS} attempts: {exc}") from exc
    raise AssertionError("unreachable")


def measure(prompt_brief: str | None = None, *, cold: bool = False) -> dict[str, Any]:
    """Time join, start and a first structured email draft on the embedded model."""
    brief = prompt_brief or SAMPLE_BRIEF
    figures: dict[str, Any] = {"model_loadavg_1m": round(os.getloadavg()[0], 2)}
    previous = os.environ.get("SIGNOFF_MODEL")
    os.environ["SIGNOFF_MODEL"] = "embedded"  # this is the embedded model's bench
    try:
        if cold:
            with tempfile.TemporaryDirectory(prefix="signoff-bench-") as tmp:
                started = time.perf_counter()
                embedded.ensure_model(Path(tmp) / embedded.MODEL_FILENAME)
                figures["model_join_s"] = time.perf_counter() - started
            figures["model_join_cold"] = True
        else:
            existed = embedded.default_model_path().is_file()
            started = time.perf_counter()
            embedded.ensure_model()
            figures["model_join_s"] = time.perf_counter() - started
            figures["model_join_cold"] = not existed

        running = embedded.current_server()
        if running is not None:
            running.stop()  # time a real start
        started = time.perf_counter()
        server = embedded.get_server()  # the cache is verified already: join excluded
        figures["model_start_s"] = time.perf_counter() - started

        messages = [("system", SYSTEM), ("user", brief)]
        chat = load_chat_model()
        structured = chat.with_structured_output(EmailDraft, method="json_schema", include_raw=True)
        result, elapsed, last, attempts = _draft(structured, messages)
        usage = result["raw"].usage_metadata or {}
        out_tokens = int(usage.get("output_tokens", 0))
        figures["model_first_draft_s"] = elapsed
        figures["model_first_draft_attempts"] = attempts
        figures["model_draft_prompt_tokens"] = int(usage.get("input_tokens", 0))
        figures["model_draft_output_tokens"] = out_tokens
        figures["model_draft_tokens_per_s"] = out_tokens / last if last else 0.0
        figures["model_draft_confidence"] = result["parsed"].confidence
        figures["model_server_rss_mib"] = round(_rss_mib(server.pid) or 0.0, 1)

        # Baseline in the same run: the same prompt without a schema, then a second draft,
        # both on a warm server with the prompt cached, so only the grammar differs.
        started = time.perf_counter()
        free = chat.invoke(messages, max_tokens=out_tokens or 150)
        free_elapsed = time.perf_counter() - started
        free_tokens = int((free.usage_metadata or {}).get("output_tokens", 0))
        free_tps = free_tokens / free_elapsed if free_elapsed else 0.0
        again, _, again_elapsed, again_attempts = _draft(structured, messages)
        figures["model_warm_draft_attempts"] = again_attempts
        again_tokens = int((again["raw"].usage_metadata or {}).get("output_tokens", 0))
        warm_tps = again_tokens / again_elapsed if again_elapsed else 0.0
        figures["model_free_tokens_per_s"] = free_tps
        figures["model_warm_draft_tokens_per_s"] = warm_tps
        if free_tps:
            figures["model_draft_vs_free_speed"] = warm_tps / free_tps

        started = time.perf_counter()
        server.stop()
        figures["model_stop_s"] = time.perf_counter() - started
    finally:
        if previous is None:
            os.environ.pop("SIGNOFF_MODEL", None)
        else:
            os.environ["SIGNOFF_MODEL"] = previous
    return figures


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    cold = "--cold" in args
    rest = [a for a in args if a != "--cold"]
    figures = measure(" ".join(rest) or None, cold=cold)
    for key, value in figures.items():
        print(f"{key}={value:.3f}" if isinstance(value, float) else f"{key}={value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
