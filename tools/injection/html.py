"""Reading HTML: visible blocks with their headings, and what a person never sees (hidden
elements, white-on-white or zero-size text, comments, attributes)."""

from __future__ import annotations

import html as html_lib
import logging
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

log = logging.getLogger(__name__)

# -- HTML ------------------------------------------------------------------------------------
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_DROP = frozenset(("script", "style", "svg", "iframe", "object", "canvas"))
# Never rendered (or only without scripts), yet text inside them reaches a parser.
_HIDDEN_TAGS = {"template": "a <template> element", "noscript": "a <noscript> element"}
_DATA_SCRIPT = re.compile(r"json|text/plain|text/template|x-template", re.IGNORECASE)
_WHITE = re.compile(
    r"^(?:#fff(?:fff)?|#fefefe|#fdfdfd|white|rgba?\(\s*25[3-5]\s*,\s*25[3-5]\s*,\s*25[3-5]"
    r"(?:\s*,\s*[\d.]+)?\s*\)|hsl\(\s*\d+\s*,\s*\d+%\s*,\s*100%\s*\))$"
)
_ATTRS_READ = ("alt", "title", "aria-label", "content", "placeholder", "value")


def _declarations(style: str) -> dict[str, str]:
    out = {}
    for part in style.split(";"):
        name, sep, value = part.partition(":")
        if sep:
            out[name.strip().lower()] = value.strip().lower().replace("!important", "").strip()
    return out


def _hidden_why(decl: dict[str, str], background: str | None) -> str | None:
    """Why an element with these CSS declarations cannot be seen, or None."""
    if decl.get("display") == "none":
        return "display:none"
    if decl.get("visibility") in ("hidden", "collapse"):
        return "visibility:hidden"
    size = re.fullmatch(r"(\d*\.?\d+)\s*(px|pt|em|rem|%|vw|vh)?", decl.get("font-size", ""))
    if size:
        value, unit = float(size.group(1)), size.group(2) or "px"
        limit = {"px": 2.0, "pt": 1.5, "em": 0.15, "rem": 0.15, "%": 15.0}.get(unit, 0.2)
        if value < limit:
            return "font-size:0" if value == 0 else f"a tiny font ({decl['font-size']})"
    if re.fullmatch(r"0(?:\.0\d*)?", decl.get("opacity", "")):
        return "opacity:0"
    color = decl.get("color")
    if color == "transparent":
        return "transparent text"
    if color and _WHITE.match(color) and (background is None or _WHITE.match(background)):
        return "white text on a white background"
    if color and background and color == background:
        return "text the same colour as its background"
    for side in ("left", "top", "text-indent", "margin-left"):
        if re.fullmatch(r"-\d{3,}(?:\.\d+)?(?:px|em|rem|pt)", decl.get(side, "")):
            return f"moved off-screen ({side}:{decl[side]})"
    if re.fullmatch(r"0(?:px)?", decl.get("height", "x")) or re.fullmatch(
        r"0(?:px)?", decl.get("width", "x")
    ):
        if decl.get("overflow") == "hidden":
            return "zero-size box"
    if "rect(0" in decl.get("clip", "").replace(" ", ""):
        return "clipped to nothing"
    return None


@dataclass
class _Frame:
    tag: str
    hidden: str | None
    background: str | None


@dataclass
class HtmlScan:
    """What `scan_html` finds: readable blocks, hidden segments, comments, attribute texts."""

    title: str = ""
    blocks: list[tuple[str, str]] = field(default_factory=list)  # (heading, text), visible only
    hidden: list[tuple[str, str]] = field(default_factory=list)  # (why, text)
    comments: list[str] = field(default_factory=list)
    attributes: list[str] = field(default_factory=list)
    visible_html: str = ""  # the document with hidden elements, comments and scripts removed


_BLOCK = frozenset(
    "p div li ul ol section article main header footer aside blockquote pre table tr td th "
    "dd dt dl figure figcaption form nav address h1 h2 h3 h4 h5 h6 br hr".split()
)
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())


class _Scanner(HTMLParser):
    def __init__(self, class_rules: dict[str, dict[str, str]]) -> None:
        super().__init__(convert_charrefs=True)
        self.class_rules = class_rules
        self.scan = HtmlScan()
        self.stack: list[_Frame] = []
        self.out: list[str] = []
        self.drop_depth = 0
        self.hidden_text: list[str] = []
        self.hidden_reason: str | None = None
        self.text: list[str] = []
        self.heading = ""
        self.in_heading = False
        self.heading_text: list[str] = []
        self.in_title = False
        self.data_script: list[str] | None = None

    # state helpers
    def _hidden(self) -> str | None:
        return next((f.hidden for f in reversed(self.stack) if f.hidden), None)

    def _background(self) -> str | None:
        return next((f.background for f in reversed(self.stack) if f.background), None)

    def _flush_text(self) -> None:
        text = " ".join("".join(self.text).split())
        self.text = []
        if text:
            self.scan.blocks.append((self.heading, text))

    def _flush_hidden(self) -> None:
        text = " ".join("".join(self.hidden_text).split())
        if text and self.hidden_reason:
            self.scan.hidden.append((self.hidden_reason, text))
        self.hidden_text = []
        self.hidden_reason = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        for name in _ATTRS_READ:
            if a.get(name) and (name != "content" or tag == "meta") and tag != "input":
                self.scan.attributes.append(a[name])
        if tag in _DROP:
            if tag not in _VOID:
                self.drop_depth += 1
                if tag == "script" and _DATA_SCRIPT.search(a.get("type", "")):
                    self.data_script = []  # JSON-LD and text templates: read, never shown
            return
        if tag == "title":
            self.in_title = True
        if self.drop_depth:
            return
        decl: dict[str, str] = {}
        for cls in a.get("class", "").split():
            decl.update(self.class_rules.get("." + cls, {}))
        if a.get("id"):
            decl.update(self.class_rules.get("#" + a["id"], {}))
        decl.update(_declarations(a.get("style", "")))
        background = decl.get("background-color") or decl.get("background")
        if background:
            background = background.split()[0]
        why = _hidden_why(decl, background or self._background())
        if why is None and "hidden" in a:
            why = "the hidden attribute"
        if why is None and tag in _HIDDEN_TAGS:
            why = _HIDDEN_TAGS[tag]
        was_hidden = self._hidden()
        if tag in _BLOCK and not was_hidden:
            self._flush_text() if tag not in _HEADINGS else None
        if tag in _HEADINGS and not was_hidden and not why:
            self._flush_text()
            self.in_heading = True
            self.heading_text = []
        if tag not in _VOID:
            self.stack.append(_Frame(tag, why, background))
            if why and not was_hidden:
                self.hidden_reason = f"an element styled {why}" if ":" in why else f"{why}"
        if not (why or was_hidden):
            self.out.append(self.get_starttag_text() or f"<{tag}>")
        if tag == "br" and not self._hidden():
            self.text.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP:
            self.drop_depth = max(0, self.drop_depth - 1)
            if tag == "script" and self.data_script is not None:
                text = " ".join("".join(self.data_script).split())
                if text:
                    self.scan.hidden.append(("a data script block", text))
                self.data_script = None
            return
        if tag == "title":
            self.in_title = False
        if self.drop_depth or tag in _VOID:
            return
        if not any(f.tag == tag for f in self.stack):
            return  # a stray end tag
        while self.stack:
            frame = self.stack.pop()
            if frame.hidden and not self._hidden():
                self._flush_hidden()
            if frame.tag == tag:
                break
        if not self._hidden():
            self.out.append(f"</{tag}>")
            if tag in _HEADINGS and self.in_heading:
                self.in_heading = False
                self.heading = " ".join("".join(self.heading_text).split())
            elif tag in _BLOCK:
                self._flush_text()

    def handle_data(self, data: str) -> None:
        if self.in_title and not self.drop_depth:
            self.scan.title += data
            return
        if self.drop_depth:
            if self.data_script is not None:
                self.data_script.append(data)
            return
        if self._hidden():
            self.hidden_text.append(data)
            return
        self.out.append(html_lib.escape(data, quote=False))
        if self.in_heading:
            self.heading_text.append(data)
        else:
            self.text.append(data)

    def handle_comment(self, data: str) -> None:
        if data.strip():
            self.scan.comments.append(data.strip())

    def close(self) -> None:
        super().close()
        self._flush_text()
        self._flush_hidden()
        self.scan.title = " ".join(self.scan.title.split())
        self.scan.visible_html = "".join(self.out)


_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")


def _class_rules(html: str) -> dict[str, dict[str, str]]:
    """`.cls {…}` and `#id {…}` rules from <style> blocks (enough to see what they hide)."""
    rules: dict[str, dict[str, str]] = {}
    for css in re.findall(r"<style[^>]*>(.*?)</style>", html, re.IGNORECASE | re.DOTALL):
        css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
        for selectors, body in _CSS_RULE.findall(css):
            decl = _declarations(body)
            for selector in selectors.split(","):
                selector = selector.strip()
                if re.fullmatch(r"[.#][\w-]+", selector):
                    rules.setdefault(selector, {}).update(decl)
    return rules


def scan_html(html: str) -> HtmlScan:
    """Parse HTML once: visible blocks (with their heading), hidden text, comments, attributes."""
    scanner = _Scanner(_class_rules(html))
    try:
        scanner.feed(html)
        scanner.close()
    except Exception:  # pragma: no cover - html.parser is lenient; keep whatever it read
        log.warning("HTML could not be fully parsed; keeping what was read", exc_info=True)
    return scanner.scan
