"""Domain outcomes that are not a success.

They carry no HTTP status: the handler is the one place that maps them to the guide's answers.
"""


class LoginRefused(Exception):
    """Base for every refusal the client is told about (4xx)."""


class InvalidCredentials(LoginRefused):
    """Unknown username or wrong password: deliberately indistinguishable."""


class AccountInactive(LoginRefused):
    """The password verified but the account is disabled."""


class UserDataNotFound(LoginRefused):
    """The password verified but the user has no record in the channels table."""


class NoChannels(LoginRefused):
    """The user's channel record exists and grants no channel."""


class AccountLocked(LoginRefused):
    """Too many consecutive failures: refused without checking the password."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"locked for {retry_after_seconds}s")
        self.retry_after_seconds = retry_after_seconds


# Sessions and the token endpoint (livekit_auth.sessions).


class SessionMissing(LoginRefused):
    """No `Authorization: Bearer <session token>` header, or not one the service could have issued."""


class SessionUnknown(LoginRefused):
    """No such session: never opened, logged out, or revoked by an operator (indistinguishable)."""


class SessionExpired(LoginRefused):
    """The session ran past its absolute lifetime or sat idle too long."""


class SessionReused(LoginRefused):
    """A token rotated out more than the grace window ago came back: the whole session is revoked."""


class RoomNotAllowed(LoginRefused):
    """The requested room is not one of the user's channels (or the grant was revoked)."""


class IdentityNotAllowed(LoginRefused):
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
