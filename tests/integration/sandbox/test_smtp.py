"""The SMTP sandbox: a real SMTP conversation with AUTH, and the mail it keeps."""

from __future__ import annotations

import smtplib
import threading
from email.message import EmailMessage

import pytest

from westgear_desk.sandbox.smtp import SmtpSandbox


def order_confirmation(to: str = "kund@example.se") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "order@westgear.test"
    message["To"] = to
    message["Subject"] = "Orderbekräftelse 10045 – flytväst"
    message.set_content("Tack för din order!\nThank you for your order.")
    message.add_attachment(
        b"%PDF-1.4 faktura", maintype="application", subtype="pdf", filename="faktura-10045.pdf"
    )
    return message


def connect(sandbox: SmtpSandbox) -> smtplib.SMTP:
    return smtplib.SMTP(sandbox.host, sandbox.port, timeout=10)


def test_url_and_credentials(smtp_sandbox: SmtpSandbox) -> None:
    assert smtp_sandbox.url == f"smtp://127.0.0.1:{smtp_sandbox.port}"
    assert set(smtp_sandbox.credentials) == {"username", "password"}


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_authenticated_mail_is_kept_parsed_with_its_envelope(
    smtp_sandbox: SmtpSandbox, mechanism: str
) -> None:
    with connect(smtp_sandbox) as smtp:
        smtp.ehlo()
        smtp.user = smtp_sandbox.credentials["username"]
        smtp.password = smtp_sandbox.credentials["password"]
        smtp.auth(mechanism, getattr(smtp, f"auth_{mechanism.lower()}"))
        smtp.send_message(order_confirmation(), to_addrs=["kund@example.se", "kopia@westgear.test"])
    [message] = smtp_sandbox.wait_for(1)
    assert message["Subject"] == "Orderbekräftelse 10045 – flytväst"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    assert "Tack för din order!" in body.get_content()
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == "faktura-10045.pdf"
    assert attachment.get_content() == b"%PDF-1.4 faktura"
    [mail] = smtp_sandbox.received
    assert mail.envelope_from == "order@westgear.test"
    assert mail.envelope_to == ("kund@example.se", "kopia@westgear.test")
    assert mail.username == smtp_sandbox.credentials["username"]


def test_wrong_password_is_refused(smtp_sandbox: SmtpSandbox) -> None:
    with connect(smtp_sandbox) as smtp, pytest.raises(smtplib.SMTPAuthenticationError) as caught:
        smtp.login(smtp_sandbox.credentials["username"], "not-the-password")
    assert caught.value.smtp_code == 535
    assert smtp_sandbox.messages == []


def test_mail_without_auth_is_refused(smtp_sandbox: SmtpSandbox) -> None:
    with connect(smtp_sandbox) as smtp, pytest.raises(smtplib.SMTPSenderRefused) as caught:
        smtp.send_message(order_confirmation())
    assert caught.value.smtp_code == 530
    assert smtp_sandbox.messages == []


def test_clear_and_wait_for(smtp_sandbox: SmtpSandbox) -> None:
    def send_two() -> None:
        with connect(smtp_sandbox) as smtp:
            smtp.login(**_login(smtp_sandbox))
            smtp.send_message(order_confirmation("a@example.se"))
            smtp.send_message(order_confirmation("b@example.se"))

    sender = threading.Thread(target=send_two)
    sender.start()
    messages = smtp_sandbox.wait_for(2)
    sender.join()
    assert [m["To"] for m in messages] == ["a@example.se", "b@example.se"]
    smtp_sandbox.clear()
    assert smtp_sandbox.messages == []
    with pytest.raises(TimeoutError, match="expected 1"):
        smtp_sandbox.wait_for(1, timeout=0.2)


def test_stop_frees_the_port() -> None:
    sandbox = SmtpSandbox()
    sandbox.start()
    sandbox.stop()
    with pytest.raises(OSError):
        smtplib.SMTP(sandbox.host, sandbox.port, timeout=2)


def _login(sandbox: SmtpSandbox) -> dict[str, str]:
    return {"user": sandbox.credentials["username"], "password": sandbox.credentials["password"]}
