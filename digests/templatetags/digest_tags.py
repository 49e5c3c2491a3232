"""The admin index's alarm about the week's digests."""

from django import template

from ..selectors import digest_alarm

register = template.Library()


@register.simple_tag
def digests_alarm():
    """The alarm of ``digests.selectors.digest_alarm`` (None when all is well)."""
    return digest_alarm()
