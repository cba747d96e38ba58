"""The send-back eval's structure (graphs/eval_sendback.py): its cases and how a run is read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fakes import ScriptedChatModel, evidence_lines
from pydantic import BaseModel

from graphs.eval_drafts import load_products
from graphs.eval_sendback import (
    format_sendbacks,
    holdout_cases,
    rescore,
    run_sendbacks,
    sample_case,
    summarise,
)

TOM = '"We saved $212 on heating between November and March compared with the winter before."'


def test_the_holdout_asks_for_each_sheets_own_customer() -> None:
    cases = {c.name: c for c in holdout_cases(load_products())}
    assert cases["trailhead-30"].feedback == "Quote Lena from Munich by name"
    assert cases["trailhead-30"].speaker == "Lena" and cases["trailhead-30"].set == "holdout"
    assert len(cases) >= 6 and "lumen-desk-lamp" not in cases  # its sheet quotes no one
    assert sample_case().feedback == "Quote Tom from Denver by name"


def obeys(schema: type[BaseModel], prompt: str) -> dict[str, Any]:
    said = any(line.endswith("— Tom, Denver") for line in evidence_lines(prompt))
    if "Reviewer feedback" in prompt and said:
        return {"text": f"Tom from Denver says: {TOM} Order now."}
    return {"text": "Brightloop 2 keeps your home warm for less. Order now."}


def test_a_redraft_that_quotes_tom_by_name_followed_the_send_back(home: Path) -> None:
    results = run_sendbacks(
        [sample_case()], runs=1, chat_model=ScriptedChatModel(script=[obeys] * 30)
    )
    [run] = results
    assert run.followed and run.named and run.attributed and not run.unchanged, run
    figures = summarise(results)["tuning"]
    assert (figures["runs"], figures["followed"], figures["unchanged"]) == (1, 1, 0)
    assert "| tuning | 1 | 0 | 0 | 1 | 1 | 1 | 0 |" in format_sendbacks(summarise(results))
    # read again: the same verdict; a redraft without the quote marks is named, not quoted
    [again] = rescore([run.as_dict()], [sample_case()])
    assert again.followed
    [plain] = rescore(
        [{**run.as_dict(), "after": "Tom from Denver saved $212 last winter."}], [sample_case()]
    )
    assert plain.named and not plain.attributed and not plain.followed
