"""The digest's e-mail message: Django's, with a List-Unsubscribe header that mail systems can read."""

import email.policy
from email.headerregistry import HeaderRegistry, UnstructuredHeader

from django.core.mail import EmailMultiAlternatives


class OneLineHeader(UnstructuredHeader):
    """An ASCII header written on one line (RFC 5322 allows up to 998 characters). Python folds an
    unstructured header longer than 78 characters that has no space to break at into RFC 2047
    encoded-words; a URL in angle brackets so encoded is no longer a URL to the mail systems that
    read List-Unsubscribe (RFC 2369, RFC 8058)."""

    max_length = 900

    def fold(self, *, policy):
        value = str(self)
        if not value.isascii() or len(value) > self.max_length:
            return super().fold(policy=policy)
        return f"{self.name}: {value}{policy.linesep}"


class DigestMessage(EmailMultiAlternatives):
    """A multipart/alternative digest whose List-Unsubscribe header stays one plain line."""

    def message(self, *, policy=email.policy.default):
        registry = HeaderRegistry()
        registry.map_to_type("list-unsubscribe", OneLineHeader)
        return super().message(policy=policy.clone(header_factory=registry))
