"""Addresses of many rows of one page: a URL pattern reversed once, each row's value put in its
place. ``reverse`` walks the URL resolver every time (tens of microseconds); a table of 89 regions
with a link or two each spent milliseconds on it."""

from django.urls import reverse

# Stand for the value while the pattern is reversed: letters for a ``str`` variable, digits for
# an ``int`` one, so that no converter or quoting changes them.
_PLACEHOLDER = "zzplacezz"
NUMBER_PLACEHOLDER = "9081726354"


class Links:
    """``reverse(name, kwargs={kwarg: value})`` of a pattern whose one variable is a ``str`` (or,
    given ``placeholder=NUMBER_PLACEHOLDER``, an ``int``), for many values, within one request (the
    script prefix is the request's). A value of ASCII letters and digits only (a region code, a
    primary key) is put in place of the placeholder, as ``reverse`` would leave it; any other value
    is reversed."""

    def __init__(self, name: str, kwarg: str = "code", placeholder: str = _PLACEHOLDER):
        self.name, self.kwarg = name, kwarg
        self.head, _placeholder, self.tail = reverse(name, kwargs={kwarg: placeholder}).rpartition(placeholder)

    def __call__(self, value) -> str:
        text = str(value)
        if text.isascii() and text.isalnum():
            return f"{self.head}{text}{self.tail}"
        return reverse(self.name, kwargs={self.kwarg: value})
