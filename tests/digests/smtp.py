"""A real SMTP server for the digest tests: aiosmtpd in a thread of the test process, on a free port
of the loopback, with the e-mail settings of the test pointed at it."""

import socket
import threading
from contextlib import contextmanager
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from django.test import override_settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """What the server received, parsed. ``refuse`` first DATA commands are answered with ``reply``
    (a 451 by default: "try again later"), as a greylisting or overloaded server does."""

    def __init__(self, *, refuse: int = 0, reply: str = "451 4.3.0 Temporary failure, try again later"):
        self.messages = []
        self.raw = []
        self.refusals = 0
        self._refuse, self._reply = refuse, reply
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        with self._lock:
            if self._refuse > 0:
                self._refuse -= 1
                self.refusals += 1
                return self._reply
            raw = envelope.original_content or envelope.content
            message = message_from_bytes(raw, policy=policy.default)
            self.raw.append(raw)
            self.messages.append((tuple(envelope.rcpt_tos), message))
        return "250 2.0.0 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [message for recipients, message in self.messages if address in recipients]

    @staticmethod
    def text(message) -> str:
        return message.get_body(("plain",)).get_content()

    @staticmethod
    def html(message) -> str:
        return message.get_body(("html",)).get_content()


def smtp_settings(port: int):
    options = {"host": "127.0.0.1", "port": port, "timeout": 5}
    return override_settings(
        MAILERS={"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}}
    )


@contextmanager
def smtp_server(mailbox: Mailbox | None = None, *, port: int | None = None):
    """Start a server, point Django's mail at it, yield its mailbox; stop it afterwards."""
    mailbox = mailbox or Mailbox()
    port = port or free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with smtp_settings(port):
            yield mailbox
    finally:
        controller.stop()


@contextmanager
def smtp_down():
    """Django's mail pointed at a loopback port nothing listens on: every connection is refused."""
    with smtp_settings(free_port()):
        yield
