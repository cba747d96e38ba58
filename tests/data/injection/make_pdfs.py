"""Render the `*.pdf.txt` sources of this corpus as PDFs (fpdf2), at test time or by hand.

    uv run python tests/data/injection/make_pdfs.py OUT_DIR

Source format, one line per paragraph:
    === page ===     starts a new page
    [white] text     white text on the white page (invisible to a reader, not to a parser)
    [tiny] text      1-point text
Core PDF fonts are Latin-1 only: keep the sources in plain ASCII.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PAGE_BREAK = "=== page ==="


def render(source: Path, dest: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(source.name.removesuffix(".pdf.txt").replace("_", " "))
    pdf.add_page()
    for line in source.read_text(encoding="utf-8").splitlines():
        if line.strip() == PAGE_BREAK:
            pdf.add_page()
            continue
        size, colour, text = 11, (0, 0, 0), line
        if line.startswith("[white] "):
            colour, text = (255, 255, 255), line.removeprefix("[white] ")
        elif line.startswith("[tiny] "):
            size, text = 1, line.removeprefix("[tiny] ")
        pdf.set_font("Helvetica", size=size)
        pdf.set_text_color(*colour)
        pdf.multi_cell(0, max(size * 0.6, 1), text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(max(size * 0.4, 1))
    dest.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(dest))
    return dest


def render_all(out_dir: Path, root: Path = HERE) -> list[Path]:
    """Every `*.pdf.txt` under `root` as `out_dir/<same relative path>.pdf`."""
    made = []
    for source in sorted(root.rglob("*.pdf.txt")):
        rel = source.relative_to(root)
        made.append(render(source, out_dir / rel.parent / rel.name.removesuffix(".txt")))
    return made


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/data/injection/make_pdfs.py OUT_DIR")
    for path in render_all(Path(sys.argv[1])):
        print(path)
