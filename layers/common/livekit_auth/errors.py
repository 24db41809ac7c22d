"""Domain outcomes that are not a success.

They carry no HTTP status: the handler is the one place that maps them to the guide's answers.
"""


class Refused(Exception):
    """Base for every refusal the client is told about (a 4xx): the handler maps each to its answer."""


class InvalidCredentials(Refused):
    """Unknown username or wrong password: deliberately indistinguishable."""


class AccountInactive(Refused):
    """The password verified but the account is disabled."""


class UserDataNotFound(Refused):
    """The password verified but the user has no record in the channels table."""


class NoChannels(Refused):
    """The user's channel record exists and grants no channel."""


class AccountLocked(Refused):
    """Too many consecutive failures: refused without checking the password."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"locked for {retry_after_seconds}s")
        self.retry_after_seconds = retry_after_seconds


# Sessions and the token endpoint (livekit_auth.sessions).


class SessionMissing(Refused):
    """No `Authorization: Bearer <session token>` header, or not one the service could have issued."""


class SessionUnknown(Refused):
    """No such session: never opened, logged out, or revoked by an operator (indistinguishable)."""


class SessionExpired(Refused):
    """The session ran past its absolute lifetime or sat idle too long."""


class SessionReused(Refused):
    """A token rotated out more than the grace window ago came back: the whole session is revoked."""


class RoomNotAllowed(Refused):
    """The requested room is not one of the user's channels (or the grant was revoked)."""


class IdentityNotAllowed(Refused):
    """The requested participant identity is neither the user's id nor `<user_id>:<device>`."""


class ConfigurationError(Exception):
    """The deployment is misconfigured (a missing table name, a weak secret...): a 500, logged."""


class MissingTable(ConfigurationError):
    """A table the settings name does not exist (wrong stack, wrong region, not yet deployed)."""


# Administration (authctl): refusals that leave the tables unchanged.


class AdminError(Exception):
    """Base for a refused admin change; the message is shown to the operator."""


class UserExists(AdminError):
    pass


class UnknownUser(AdminError):
    pass


class ChannelExists(AdminError):
    pass


class UnknownChannel(AdminError):
    pass


class NotGranted(AdminError):
    pass


class MembersChanged(AdminError):
    """A rename raced with a revoke; running it again completes it."""
