"""What can be undone is the policy's word (`reversible`), whoever asks: a published post
(`reversible: false`, "cannot be undone" on its card) is neither listed nor undone, though its
connector could delete it; a like is."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import ScriptedChatModel

from graphs.errors import InvalidInput
from graphs.runtime import Signoff


def test_a_published_post_is_not_undone_and_a_like_is(home: Path, brief: dict[str, str]) -> None:
    with Signoff(home, model=ScriptedChatModel()) as runtime:
        started = runtime.start(
            {**brief, "channels": ["social"], "engage": ["https://social.example/@ann/1"]}
        )
        [post] = [p for p in started["pending"] if p["action"] == "publish_post"]
        runtime.decide(post["id"], {"type": "approve", "checked": True}, by="ann")
        sent = {r["name"]: r for r in runtime.store.outbox() if r["status"] == "done"}
        assert {"publish_post", "like_post"} <= set(sent)
        listed = {r["action"] for r in runtime.undoable()}
        assert "like_post" in listed and "publish_post" not in listed

        feed = (home / "feed.jsonl").read_text() if (home / "feed.jsonl").exists() else ""
        with pytest.raises(InvalidInput, match="Publish social post cannot be undone"):
            runtime.undo(sent["publish_post"]["key"], by="ann")
        after = (home / "feed.jsonl").read_text() if (home / "feed.jsonl").exists() else ""
        assert after == feed  # nothing was taken down
        [row] = [r for r in runtime.store.outbox() if r["key"] == sent["publish_post"]["key"]]
        assert row["status"] == "done"
        assert not runtime.activity(event="action.undone")

        runtime.undo(sent["like_post"]["key"], by="ann")
        assert [e["detail"]["key"] for e in runtime.activity(event="action.undone")] == [
            sent["like_post"]["key"]
        ]
