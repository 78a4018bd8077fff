"""calp: personal accounts and one authorization policy for Caf households.

The C++ library itself, not a re-implementation: the same decisions and the same limits.

    import datetime, calp
    household = calp.Household.from_json(open("household.json").read())
    d = calp.decide(household, "p2", "dossier.read", datetime.date(2026, 11, 28))
    if not d.allowed:
        print(d.reason, d.message)

Expected failures raise a subclass of ``calp.Error`` carrying the stable code of
``calp::errc`` (``calp.nir.key``); a decision is a value, never an exception.
"""

from __future__ import annotations


class Error(Exception):
    """An expected failure of calp: bad input, a broken limit, an unavailable storage.

    ``code`` is the stable error code (``"calp.nir.key"``), ``message`` the text for a
    developer or an agent (never a full NIR nor a secret), ``field`` the path of the
    offending field in a document (``"members[1].role"``), or ``""``.
    """

    code: str
    message: str
    field: str

    def __init__(self, message: str, code: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    def __str__(self) -> str:
        where = f" (at {self.field})" if self.field else ""
        return f"[{self.code}] {self.message}{where}"


class InvalidNir(Error, ValueError):
    """A NIR that fails a check of R1/R2 (``calp.nir.*``)."""


class InvalidProvisionalId(Error, ValueError):
    """Not ``P`` + 8 digits (``calp.provisional_id.format``)."""


class InvalidDossierNumber(Error, ValueError):
    """Not a 7-digit dossier number (``calp.dossier_number.format``)."""


class InvalidPersonId(Error, ValueError):
    """Not a person id of a household document (``calp.person_id.format``)."""


class InvalidDate(Error, ValueError):
    """A day that does not exist or lies outside calp's years (``calp.date.format``)."""


class InvalidJson(Error, ValueError):
    """A document that is not well-formed or breaks its schema (``calp.json.*``)."""


class InvalidHousehold(Error, ValueError):
    """Household facts that break an invariant (``calp.household.*``)."""


class UnknownAction(Error, ValueError):
    """Not the stable name of an action (``calp.action.unknown``)."""


class UnknownChannel(Error, ValueError):
    """Neither ``online`` nor ``front-desk`` (``calp.channel.unknown``)."""


class InvalidPolicy(Error, ValueError):
    """A policy document that breaks the ``calp.policy.v1`` schema (``calp.policy.invalid``)."""


class StorageError(Error):
    """A storage refused a commit (``calp.storage.conflict``, ``.duplicate``, ``.invalid``)
    or failed (``.location``, ``.unavailable``, ``.corrupt``, ``.schema``, ``.failure``).

    A storage written in Python raises the first two from ``commit`` with
    ``StorageError.conflict(...)`` and ``StorageError.duplicate(...)``."""

    @classmethod
    def conflict(cls, message: str, field: str = "") -> "StorageError":
        """A version that is not the stored one (``calp.storage.conflict``); ``field`` names
        the operation, ``"operations[2]"``."""
        return cls(message, "calp.storage.conflict", field)

    @classmethod
    def duplicate(cls, message: str, field: str = "") -> "StorageError":
        """A unique value another record holds (``calp.storage.duplicate``); ``field`` names
        the operation and the value, ``"operations[2].nir"``."""
        return cls(message, "calp.storage.duplicate", field)

    @classmethod
    def unavailable(cls, message: str) -> "StorageError":
        """The database cannot be reached now (``calp.storage.unavailable``)."""
        return cls(message, "calp.storage.unavailable")


class InvalidRequest(Error, ValueError):
    """A decision request that is incomplete, e.g. front desk without an agent
    (``calp.request.invalid``)."""


class CodeError(Error):
    """A verification code limit reached (``calp.code.limit``) or a malformed code key
    (``calp.code.key``)."""


class AuditError(Error):
    """A malformed audit key (``calp.audit.key``) or a purge date or query the trail
    cannot take (``calp.audit.invalid``)."""


class InvalidContact(Error, ValueError):
    """Not a French mobile number or not an e-mail address (``calp.contact.*``)."""


class AccountError(Error):
    """No such person or account (``calp.account.unknown``), or an account whose state
    does not allow the operation (``calp.account.state``)."""


class InvalidCivilStatus(Error, ValueError):
    """A declared name, date, birthplace, parent or postal code that breaks its rule (R4,
    ``calp.civil_status.*``)."""


_FAMILIES: dict[str, type[Error]] = {
    "nir": InvalidNir,
    "provisional_id": InvalidProvisionalId,
    "dossier_number": InvalidDossierNumber,
    "person_id": InvalidPersonId,
    "date": InvalidDate,
    "json": InvalidJson,
    "household": InvalidHousehold,
    "action": UnknownAction,
    "channel": UnknownChannel,
    "policy": InvalidPolicy,
    "storage": StorageError,
    "request": InvalidRequest,
    "code": CodeError,
    "audit": AuditError,
    "contact": InvalidContact,
    "account": AccountError,
    "civil_status": InvalidCivilStatus,
}


def _error_class(code: str) -> type[Error]:
    """The exception class of an error code: the one of its family, else Error."""
    family = code.split(".")[1] if code.count(".") >= 2 else ""
    return _FAMILIES.get(family, Error)


from ._core import *  # noqa: E402,F401,F403  (the exception classes must exist first)
from ._core import __version__  # noqa: E402,F401
