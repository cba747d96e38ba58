"""Where the page may be served and under which Host names; `signoff ui` refuses other addresses
without sign-in."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import run

from ui.hosts import allowed_hosts, auth_section, host_allowed, is_loopback


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("", False),
        (None, False),
        ("192.168.1.5", False),
        ("signoff.example.com", False),
    ],
)
def test_loopback(address: str | None, loopback: bool) -> None:
    assert is_loopback(address) is loopback


def test_hosts_local_mode_and_with_sign_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIGNOFF_ALLOWED_HOSTS", raising=False)
    assert host_allowed("127.0.0.1:8501", None)
    assert host_allowed("localhost:8501", None)
    assert host_allowed("[::1]:8501", None)
    assert not host_allowed("evil.example:8501", None)
    assert not host_allowed("127.0.0.1.evil.example:8501", None)
    assert not host_allowed("", None) and not host_allowed(None, None)
    auth = {"redirect_uri": "https://signoff.example.com/oauth2callback"}
    assert host_allowed("signoff.example.com", auth)
    assert not host_allowed("evil.example", auth)
    monkeypatch.setenv("SIGNOFF_ALLOWED_HOSTS", "intranet.local, other.example")
    assert "intranet.local" in allowed_hosts(None) and host_allowed("other.example:80", None)


def test_auth_section_is_read_from_the_project_secrets(tmp_path: Path) -> None:
    assert auth_section(tmp_path) is None or auth_section(tmp_path) == auth_section(Path("/"))
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        '[auth]\nredirect_uri = "https://s.example/oauth2callback"\n'
    )
    assert auth_section(tmp_path) == {"redirect_uri": "https://s.example/oauth2callback"}


def test_signoff_ui_refuses_another_address_without_sign_in(
    cli_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import ui.hosts

    monkeypatch.setattr(ui.hosts, "auth_section", lambda base=None: None)
    code, out, err = run(capsys, "ui", "--address", "0.0.0.0", "--port", "8599")
    assert code == 2
    assert "Refusing to serve '0.0.0.0' without sign-in" in err
    assert ".streamlit/secrets.toml" in err and "[auth]" in err
