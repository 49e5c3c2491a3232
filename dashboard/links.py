"""Addresses of many rows of one page: a URL pattern reversed once, each row's value put in its
place. ``reverse`` walks the URL resolver every time (tens of microseconds); a table of 89 regions
with a link or two each spent milliseconds on it."""

from django.urls import reverse

# Stands for the value while the pattern is reversed: letters only, so no converter or quoting
# changes it.
_PLACEHOLDER = "zzplacezz"


class Links:
    """``reverse(name, kwargs={kwarg: value})`` of a pattern whose one variable is a ``str``, for
    many values, within one request (the script prefix is the request's). A value of ASCII letters
    and digits only (a region code) is put in place of the placeholder, as ``reverse`` would leave
    it; any other value is reversed."""

    def __init__(self, name: str, kwarg: str = "code"):
        self.name, self.kwarg = name, kwarg
        self.head, _placeholder, self.tail = reverse(name, kwargs={kwarg: _PLACEHOLDER}).rpartition(_PLACEHOLDER)

    def __call__(self, value) -> str:
        text = str(value)
        if text.isascii() and text.isalnum():
            return f"{self.head}{text}{self.tail}"
        return reverse(self.name, kwargs={self.kwarg: value})
