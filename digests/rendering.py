"""A digest as the e-mail's plain text and HTML (templates/digests/digest.txt and digest.html)."""

from django.template.loader import render_to_string
from django.utils import translation

from .facts import Digest


def digest_render(digest: Digest, *, unsubscribe_url: str, profile_url: str) -> tuple[str, str]:
    """(plain text, HTML) of one recipient's digest: the content plus their unsubscribe link."""
    context = {
        "digest": digest,
        "lines": digest.lines(),
        "unsubscribe_url": unsubscribe_url,
        "profile_url": profile_url,
    }
    with translation.override("ru"):
        return (
            render_to_string("digests/digest.txt", context),
            render_to_string("digests/digest.html", context),
        )
