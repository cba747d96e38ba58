"""Reading a source: Markdown, text, HTML and PDF parsed into passages that keep where they came
from (a heading or a page), each under `MAX_PASSAGE` characters, cut at sentence ends."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tools import injection
from tools.fetch import MB, FetchError, FetchLimits

log = logging.getLogger(__name__)

SUPPORTED = {
    ".md": "md",
    ".markdown": "md",
    ".txt": "txt",
    ".text": "txt",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}
SUPPORTED_HELP = ".md, .txt, .html and .pdf"
KINDS = ("md", "txt", "html", "pdf")
MAX_PASSAGE = 700  # characters; longer blocks are cut at sentence ends
QUOTE_CHARS = 400
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+")


@dataclass
class _Doc:
    """A parsed source, before it is stored."""

    kind: str
    title: str
    blocks: list[tuple[str, str]]  # (location, text)
    text: str  # everything readable, for screening
    html: str | None = None


# -- splitting ---------------------------------------------------------------------------------
def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text.strip()) if s]


def short_quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """The passage itself when short; else its first sentences up to `limit` characters.

    Always an exact substring of `text` (so a verifier can find it again in the knowledge base).
    """
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > limit:
            break
        cut = m.start()
    if cut < limit // 3:  # no sentence end early enough: cut at a word boundary
        cut = text.rfind(" ", 0, limit)
        cut = cut if cut > 0 else limit
    return text[:cut].rstrip()


def _chunks(text: str, limit: int = MAX_PASSAGE) -> Iterator[str]:
    """`text` in pieces of at most ~`limit` characters, cut at sentence ends."""
    text = text.strip()
    if len(text) <= limit:
        if text:
            yield text
        return
    piece = ""
    for sentence in sentences(text):
        if piece and len(piece) + 1 + len(sentence) > limit:
            yield piece
            piece = sentence
        else:
            piece = f"{piece} {sentence}" if piece else sentence
    if piece:
        yield piece


_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def split_markdown(text: str, default_location: str) -> list[tuple[str, str]]:
    """Blocks at blank lines; each keeps the nearest heading above it as its location.

    HTML comments are dropped from the passages (a reader never sees them); `tools.injection`
    still screens them in the raw text.
    """
    text = _COMMENT.sub("", text)
    blocks: list[tuple[str, str]] = []
    location = default_location
    current: list[str] = []
    in_fence = False

    def flush() -> None:
        block = "\n".join(current).strip()
        current.clear()
        for piece in _chunks(block) if "\n" not in block else [block]:
            if len(piece) > MAX_PASSAGE * 2:
                blocks.extend((location, p) for p in _chunks(" ".join(piece.split())))
            elif piece:
                blocks.append((location, piece))

    for line in text.splitlines():
        if line.strip().startswith("```"):
            in_fence = not in_fence
            current.append(line)
            continue
        heading = None if in_fence else _HEADING.match(line)
        if heading:
            flush()
            location = heading.group(2).strip() or location
        elif not line.strip() and not in_fence:
            flush()
        else:
            current.append(line)
    flush()
    return blocks


def split_text(text: str) -> list[tuple[str, str]]:
    blocks = []
    for n, block in enumerate(re.split(r"\n\s*\n", text.strip()), start=1):
        for piece in _chunks(" ".join(block.split())):
            blocks.append((f"paragraph {n}", piece))
    return blocks


# -- parsing each kind ---------------------------------------------------------------------------
def _decode(data: bytes) -> str:
    return data.decode("utf-8-sig", errors="replace").replace("\r\n", "\n")


def _title_from(blocks: list[tuple[str, str]], fallback: str) -> str:
    return next((loc for loc, _ in blocks if loc and not loc.startswith("paragraph")), fallback)


def parse_markdown(text: str, name: str) -> _Doc:
    stem = Path(name).stem or name
    blocks = split_markdown(text, stem)
    first = next((m.group(2) for m in map(_HEADING.match, text.splitlines()) if m), stem)
    return _Doc("md", first, blocks, text)


def parse_text(text: str, name: str) -> _Doc:
    return _Doc("txt", Path(name).stem or name, split_text(text), text)


def parse_html(html: str, name: str) -> _Doc:
    """Main text (trafilatura, after hidden elements are removed); headings become locations."""
    import trafilatura

    scan = injection.scan_html(html)
    title = scan.title or Path(name).stem or name
    main = None
    if scan.visible_html.strip():
        try:
            main = trafilatura.extract(
                scan.visible_html,
                output_format="markdown",
                include_comments=False,
                include_tables=True,
                include_images=False,
                include_links=False,
                favor_recall=True,
            )
        except Exception:  # trafilatura rejects some documents outright
            log.warning("trafilatura could not read %s; using the plain text", name, exc_info=True)
    if main and main.strip():
        blocks = split_markdown(main, title)
        text = main
    else:
        blocks = []
        for heading, block in scan.blocks:
            blocks.extend((heading or title, piece) for piece in _chunks(block))
        text = "\n\n".join(b for _, b in scan.blocks)
    return _Doc("html", title, blocks, text, html=html)


def parse_pdf(data: bytes, name: str, max_pages: int = FetchLimits.max_pdf_pages) -> _Doc:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        count = len(reader.pages)
        if count > max_pages:
            raise FetchError(
                f"{name} has {count} pages; a knowledge-base PDF may have at most {max_pages}. "
                "Add the pages that matter as a shorter PDF (or raise SIGNOFF_FETCH_MAX_PDF_PAGES)."
            )
        pages = [page.extract_text() or "" for page in reader.pages]
    except FetchError:
        raise
    except Exception as exc:
        raise ValueError(
            f"Could not read {name} as a PDF ({type(exc).__name__}: {exc}). "
            "Check that the file opens in a PDF viewer, or add its text as a .txt file."
        ) from exc
    blocks: list[tuple[str, str]] = []
    texts = []
    for number, raw in enumerate(pages, start=1):
        text = re.sub(r"-\n(?=[a-z])", "", raw)  # words hyphenated at a line end
        text = " ".join(text.split())
        texts.append(text)
        blocks.extend((f"page {number}", piece) for piece in _chunks(text))
    title = Path(name).stem or name
    meta = getattr(reader, "metadata", None)
    if meta is not None and getattr(meta, "title", None):
        title = str(meta.title)
    if not any(texts):
        log.warning("%s has no extractable text (a scanned PDF?)", name)
    return _Doc("pdf", title, blocks, "\n\n".join(texts))


def check_size(name: str, size: int, limits: FetchLimits) -> None:
    """A source over the cap is refused before it is read (the page's uploader has the same)."""
    if size > limits.max_bytes:
        raise ValueError(
            f"{name} is {size / MB:.1f} MB; a knowledge-base source may be at most "
            f"{limits.max_bytes // MB} MB. Split it into smaller files or add an extract "
            "(or raise SIGNOFF_FETCH_MAX_MB)."
        )


def parse(data: bytes, name: str, kind: str, limits: FetchLimits | None = None) -> _Doc:
    if kind == "md":
        return parse_markdown(_decode(data), name)
    if kind == "txt":
        return parse_text(_decode(data), name)
    if kind == "html":
        return parse_html(_decode(data), name)
    if kind == "pdf":
        return parse_pdf(data, name, (limits or FetchLimits()).max_pdf_pages)
    raise ValueError(f"Unknown kind {kind!r}; expected one of {list(KINDS)}.")


def kind_of(name: str) -> str:
    """The kind for a file name, or ValueError saying which types are supported."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        raise ValueError(
            f"Unsupported file type {suffix or '(none)'!r} for {name}; the knowledge base takes "
            f"{SUPPORTED_HELP} files (or a web address). Save other documents as PDF or text first."
        )
    return SUPPORTED[suffix]
