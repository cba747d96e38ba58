"""Fetching for the knowledge base (issue 11, findings 3 and 4), against a real HTTP server on
loopback. Loopback is an internal address: the tests that fetch for real allowlist it, as an
intranet source would be; the others prove it is refused, redirects included."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from loopback import PageHandler, serving
from support import run

from tools.fetch import MB, FetchError, FetchLimits, fetch, internal_why, pinned
from tools.kb import KnowledgeBase

PAGE = b"<html><body><article><h1>Kettle</h1><p>The internal kettle boils in 95 seconds.</p></article></body></html>"
BOMB = gzip.compress(b"\0" * (60 * MB), compresslevel=9)


class Handler(PageHandler):
    hits: list[str] = []
    hosts: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        Handler.hits.append(self.path)
        Handler.hosts.append(self.headers.get("Host", ""))
        port = self.server.server_address[1]
        if self.path == "/internal":
            self.send_body(200, PAGE, "text/html")
        elif self.path == "/to-internal":
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{port}/internal")
            self.end_headers()
        elif self.path == "/to-metadata":
            self.send_response(301)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()
        elif self.path == "/big":  # no Content-Length: counted as it streams
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            chunk = b"warm homes " * 10_000
            try:
                for _ in range(400):  # 44 MB if nobody stops reading
                    self.wfile.write(chunk)
            except OSError:
                pass
        elif self.path == "/big-declared":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(300 * MB))
            self.end_headers()
        elif self.path == "/bomb":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(BOMB)))
            self.end_headers()
            self.wfile.write(BOMB)
        elif self.path == "/slow":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            try:
                for _ in range(50):
                    self.wfile.write(b"drip ")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass
        else:
            self.send_body(404, b"not found", "text/plain")


@pytest.fixture
def server() -> Iterator[int]:
    with serving(Handler) as port:
        Handler.hits = []
        Handler.hosts = []
        yield port


@pytest.fixture
def kb(tmp_path: Path) -> Iterator[KnowledgeBase]:
    with KnowledgeBase(tmp_path / "signoff.db") as base:
        yield base


@pytest.mark.parametrize(
    "address, why",
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "reserved or non-public"),
        ("fd00:ec2::254", "private"),
    ],
)
def test_internal_addresses_are_named(address: str, why: str) -> None:
    assert why in (internal_why(address) or "")


def test_public_addresses_pass() -> None:
    assert internal_why("93.184.216.34") is None
    assert internal_why("2606:2800:220:1:248:1893:25c8:1946") is None


def test_loopback_is_refused_and_never_contacted(kb: KnowledgeBase, server: int) -> None:
    """Finding 3: `signoff kb add http://127.0.0.1:<port>/internal` fetched the internal page."""
    for url in (
        f"http://127.0.0.1:{server}/internal",
        f"http://localhost:{server}/internal",
        f"http://[::1]:{server}/internal",
        f"http://2130706433:{server}/internal",  # 127.0.0.1 written as one number
    ):
        with pytest.raises(ValueError, match=r"Refused to fetch .*loopback") as refused:
            kb.add_url(url)
        assert "SIGNOFF_FETCH_ALLOW" in str(refused.value)
    assert Handler.hits == []
    assert kb.search("internal kettle") == []


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.com/x", "gopher://127.0.0.1:70/", "dict://x:11211/"],
)
def test_only_http_and_https(kb: KnowledgeBase, url: str) -> None:
    with pytest.raises(ValueError, match=r"not a web address.*http:// (or|and) https://"):
        kb.add_url(url)


def test_a_redirect_to_an_internal_address_is_refused(
    kb: KnowledgeBase, server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "localhost" stands for a public site: allowlisted by name, so 127.0.0.1 is not
    monkeypatch.setenv("SIGNOFF_FETCH_ALLOW", "localhost")
    with pytest.raises(ValueError, match=r"Refused to fetch 127\.0\.0\.1: it is a loopback"):
        kb.add_url(f"http://localhost:{server}/to-internal")
    with pytest.raises(ValueError, match=r"Refused to fetch 169\.254\.169\.254: .*link-local"):
        kb.add_url(f"http://localhost:{server}/to-metadata")
    assert Handler.hits == ["/to-internal", "/to-metadata"]  # the targets were never asked
    assert kb.sources() == []


def test_an_allowlisted_intranet_source_is_fetched(
    kb: KnowledgeBase, server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGNOFF_FETCH_ALLOW", "127.0.0.0/8")
    info = kb.add_url(f"http://127.0.0.1:{server}/internal")
    assert info.passages == 1 and kb.search("kettle")


def test_caps_on_size_inflation_and_time(server: int) -> None:
    limits = FetchLimits(
        max_bytes=2 * MB, max_inflated=4 * MB, max_seconds=1.0, allow=("127.0.0.1",)
    )
    base = f"http://127.0.0.1:{server}"
    with pytest.raises(FetchError, match=r"larger than the 2 MB .* SIGNOFF_FETCH_MAX_MB"):
        fetch(f"{base}/big", limits)
    with pytest.raises(FetchError, match=r"larger than the 2 MB .*at least 300\.0 MB"):
        fetch(f"{base}/big-declared", limits)
    with pytest.raises(FetchError, match=r"unpacks to more than 4 MB"):
        fetch(f"{base}/bomb", limits)
    with pytest.raises(FetchError, match=r"took longer than 1 s"):
        fetch(f"{base}/slow", limits)


def test_files_and_uploads_have_the_same_cap(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGNOFF_FETCH_MAX_MB", "1")
    big = tmp_path / "big.txt"
    big.write_bytes(b"warm homes. " * 200_000)
    with pytest.raises(ValueError, match=r"big.txt is 2\.3 MB; .* at most 1 MB"):
        kb.add_path(big)
    with pytest.raises(ValueError, match=r"at most 1 MB"):
        kb.add_bytes("big.txt", big.read_bytes())
    assert kb.sources() == []
    config = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"
    assert "maxUploadSize = 20" in config.read_text()
    assert FetchLimits().max_bytes == 20 * MB


def test_pdf_pages_are_capped(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for n in range(5):
        pdf.add_page()
        pdf.cell(text=f"Brightloop 2 page {n}")
    data = bytes(pdf.output())
    monkeypatch.setenv("SIGNOFF_FETCH_MAX_PDF_PAGES", "3")
    with pytest.raises(ValueError, match=r"has 5 pages; a knowledge-base PDF may have at most 3"):
        kb.add_bytes("manual.pdf", data)


def test_the_cli_refuses_an_internal_address(
    cli_home: Path, server: int, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "kb", "add", f"http://127.0.0.1:{server}/internal")
    assert code != 0 and "loopback" in err
    assert Handler.hits == []


def test_the_connection_goes_to_the_address_that_was_checked(server: int) -> None:
    """DNS rebinding: a name that answers one address to the check and another to the connection.
    The fetch connects to the checked address itself (the name is never looked up again): here
    the name does not resolve at all outside the check, and the page still arrives, with the
    name in its Host header."""
    lookups: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"] if len(lookups) == 1 else ["169.254.169.254"]

    limits = FetchLimits(allow=("127.0.0.1/32",))  # the checked answer is an allowed intranet
    body, _, final = fetch(f"http://rebind.invalid:{server}/internal", limits, resolver=rebinding)
    assert b"internal kettle" in body
    assert lookups == ["rebind.invalid"]  # one lookup: the one that was checked
    assert Handler.hosts == [f"rebind.invalid:{server}"]
    assert final == f"http://rebind.invalid:{server}/internal"


def test_a_pinned_https_request_keeps_the_name_for_tls() -> None:
    url, headers, extensions = pinned("https://shop.example/a?b=1", "93.184.216.34")
    assert url == "https://93.184.216.34/a?b=1"
    assert headers == {"Host": "shop.example"}
    assert extensions == {"sni_hostname": "shop.example"}
    url, headers, _ = pinned("http://shop.example:8080/", "2606:2800:220:1::1")
    assert url == "http://[2606:2800:220:1::1]:8080/" and headers == {"Host": "shop.example:8080"}
    assert pinned("http://10.0.0.1/", None) == ("http://10.0.0.1/", {}, {})
