"""`signoff worker --langgraph-url URL`: the scheduler for threads LangGraph's server drives.

Every --interval seconds it asks that server (`langgraph dev`, a deployment) for its interrupted
threads, releases holds whose time has come and expires stale reviews (graphs/server_watch.py).
Each release is printed like the local worker's (one JSON object per line with --json).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from typing import Any

from graphs.server_watch import ServerWatcher

WORDS = {"released": "released", "expired": "expired", "skipped": "busy, next step"}


def run(args: argparse.Namespace, stop: threading.Event) -> int:
    watcher = ServerWatcher(args.langgraph_url, graph=args.graph)
    print(
        f"Signoff worker for the LangGraph server at {watcher.url} (graph '{args.graph}'): a "
        f"step every {args.interval:g} s; Ctrl-C stops it.",
        file=sys.stderr,
        flush=True,
    )
    released = 0
    while not stop.is_set():
        try:
            done: dict[str, Any] = watcher.tick()
        except Exception as exc:  # the server restarts, the network blips: try again
            print(f"cannot reach {watcher.url}: {exc}; trying again", file=sys.stderr, flush=True)
            done = {}
        released += len(done.get("released", []))
        for kind, ids in done.items():
            for interrupt_id in ids:
                if args.json:
                    print(json.dumps({"event": kind, "at": time.time(), "id": interrupt_id}))
                else:
                    print(f"{time.strftime('%H:%M:%S')}  {WORDS[kind]}: {interrupt_id}")
                sys.stdout.flush()
        if args.once:
            break
        stop.wait(args.interval)
    print(f"worker stopped ({released} released)", file=sys.stderr, flush=True)
    return 0
