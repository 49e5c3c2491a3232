"""The one domain error (HackSoft's ApplicationError): services raise it, the API's exception
handler (sferum_migration/api.py) and the pages' helper turn it into a 400/403 or a message.
An unexpected error reaches users only as an error id (``new_error_id``); its text goes to the log."""

import secrets


class ApplicationError(Exception):
    """A rule of the domain refused what was asked; ``message`` says why, in the user's language."""

    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.extra = extra or {}


class PermissionRefused(ApplicationError):
    """The user's role or region does not allow it (403 in the API)."""

    code = "permission_denied"


class ServiceUnavailable(ApplicationError):
    """Something the request needs is out of order for now (a full disk): 503 in the API, a message
    on the page; nothing was recorded."""

    code = "service_unavailable"


def is_permission_refusal(error: ApplicationError) -> bool:
    """A refusal of the user's role or region (403), raised as PermissionRefused or with its code."""
    return isinstance(error, PermissionRefused) or error.code == PermissionRefused.code


def new_error_id() -> str:
    """A short id of one unexpected error: the user reads it out, an administrator finds it in the log."""
    return secrets.token_hex(4)
