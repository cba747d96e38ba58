"""The campaign graph drawn as Graphviz DOT, offline (no web service)."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def graph_dot(graph: Any) -> str:
    """Graphviz DOT of the graph, drawn offline; each subgraph is a labelled cluster.

    A subgraph's own start and end are folded into its edges, so the picture reads
    `writer ⇢ gate` rather than `writer ⇢ start ⇢ gate`.
    """
    drawable = graph.get_graph(xray=True)
    inner_start = {n: n for n in drawable.nodes if n.endswith(":__start__")}
    for edge in drawable.edges:
        if edge.source in inner_start:
            inner_start[edge.source] = edge.target
    inner_end = {n for n in drawable.nodes if n.endswith(":__end__")}
    outer_end = next((n for n in drawable.nodes if n == "__end__"), "__end__")

    def resolve(node_id: str) -> str:
        if node_id in inner_start:
            return inner_start[node_id]
        return outer_end if node_id in inner_end else node_id

    lines = [
        "digraph campaign {",
        '  rankdir=TB; fontname="Helvetica"; node [shape=box, style="rounded,filled", fillcolor="#f2f0ff",'
        ' fontname="Helvetica"]; edge [fontname="Helvetica", fontsize=10];',
    ]
    clusters: dict[str, list[str]] = {}
    for node_id in drawable.nodes:
        if node_id in inner_start or node_id in inner_end:
            continue
        prefix, _, name = node_id.rpartition(":")
        label = {"__start__": "start", "__end__": "end"}.get(name, name)
        shape = ', shape=oval, fillcolor="#ffffff"' if name in ("__start__", "__end__") else ""
        line = f'  "{node_id}" [label="{label}"{shape}];'
        clusters.setdefault(prefix, []).append(line)
    lines += clusters.pop("", [])
    for prefix, members in clusters.items():
        lines.append(f'  subgraph "cluster_{prefix}" {{')
        lines.append(f'    label="{prefix} · one per proposed action"; style="rounded,dashed";')
        lines += ["  " + m for m in members]
        lines.append("  }")
    drawn: set[tuple[str, str]] = set()
    for edge in drawable.edges:
        source, target = resolve(edge.source), resolve(edge.target)
        if edge.source in inner_start or source == target or (source, target) in drawn:
            continue
        drawn.add((source, target))
        style = " [style=dashed]" if edge.conditional else ""
        lines.append(f'  "{source}" -> "{target}"{style};')
    lines.append("}")
    return "\n".join(lines)
