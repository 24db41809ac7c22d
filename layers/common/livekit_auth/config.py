"""Every setting of the service, read from the environment in one place.

The stack sets these on the function (template.yaml); `make run` sets the same names locally.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from livekit_auth.errors import ConfigurationError
from livekit_auth.server_urls import is_server_url

MIN_SECRET_BYTES = 32  # LiveKit's server refuses shorter API secrets


@dataclass(frozen=True)
class IntSetting:
    """A whole-number setting: its variable, the stack parameter that sets it, its default and range.

    The one home of these numbers: tests/unit/test_config.py checks that template.yaml's parameter
    has the same Default, MinValue and MaxValue and feeds the same variable.
    """

    variable: str
    parameter: str
    default: int
    low: int
    high: int


TOKEN_TTL = IntSetting("TOKEN_TTL_SECONDS", "TokenTtlSeconds", 6 * 3600, 60, 7 * 86400)
BCRYPT_ROUNDS = IntSetting("BCRYPT_ROUNDS", "BcryptRounds", 12, 10, 15)
SECRET_MAX_AGE = IntSetting("LIVEKIT_SECRET_MAX_AGE_SECONDS", "SecretMaxAgeSeconds", 300, 0, 3600)
LOCKOUT_THRESHOLD = IntSetting("LOCKOUT_THRESHOLD", "LockoutThreshold", 5, 2, 100)
LOCKOUT_MAX = IntSetting("LOCKOUT_MAX_SECONDS", "LockoutMaxSeconds", 15 * 60, 1, 86400)
# Sessions and the token endpoint (docs/design.md, "Sessions"). Idle expiry is at least twice the hour
# between last-use writes (livekit_auth.sessions.LAST_USE_WRITE_SECONDS), so a session in use never idles out.
SESSION_MAX_AGE = IntSetting("SESSION_MAX_AGE_SECONDS", "SessionMaxAgeSeconds", 30 * 86400, 3600, 365 * 86400)
SESSION_IDLE = IntSetting("SESSION_IDLE_SECONDS", "SessionIdleSeconds", 7 * 86400, 2 * 3600, 365 * 86400)
TOKEN_ENDPOINT_TTL = IntSetting("TOKEN_ENDPOINT_TTL_SECONDS", "TokenEndpointTtlSeconds", 600, 60, 3600)
INT_SETTINGS = (
    TOKEN_TTL,
    BCRYPT_ROUNDS,
    SECRET_MAX_AGE,
    LOCKOUT_THRESHOLD,
    LOCKOUT_MAX,
    SESSION_MAX_AGE,
    SESSION_IDLE,
    TOKEN_ENDPOINT_TTL,
)

# Emulator runs (LOCAL_MODE, which the template sets only under sam local, never in a deploy) may hash at
# bcrypt's cheapest cost, so tests check behaviour quickly; benchmarks measure the deployed costs.
LOCAL_MIN_BCRYPT_ROUNDS = 4


@dataclass(frozen=True)
class TableNames:
    users: str
    channels: str
    attempts: str
    sessions: str = ""  # the function needs it (require_function_settings); authctl only for session commands


@dataclass(frozen=True, kw_only=True)
class Settings:
    tables: TableNames
    livekit_url: str
    # SSM parameter names (deployed) or literal values (local use, as the guide names them).
    credentials_parameter: str  # one SecureString with both (LiveKitCredentials.parameter_value); first choice
    api_key_parameter: str
    api_secret_parameter: str
    api_key: str
    api_secret: str = field(repr=False)
    secret_max_age_seconds: int
    token_ttl_seconds: int
    bcrypt_rounds: int
    allowed_origins: tuple[str, ...]
    allowed_server_urls: tuple[str, ...]  # empty: any server_url a client sends is echoed
    lockout_threshold: int
    lockout_max_seconds: int
    local_mode: bool
    session_max_age_seconds: int = SESSION_MAX_AGE.default
    session_idle_seconds: int = SESSION_IDLE.default
    token_endpoint_ttl_seconds: int = TOKEN_ENDPOINT_TTL.default

    @property
    def credentials_from_ssm(self) -> bool:
        return bool(self.credentials_parameter or (self.api_key_parameter and self.api_secret_parameter))


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the settings; raise ConfigurationError naming the bad variable."""
    env = os.environ if env is None else env
    return Settings(
        tables=table_names(env),
        livekit_url=env.get("LIVEKIT_SERVER_URL") or env.get("LIVEKIT_HOST", ""),
        credentials_parameter=env.get("LIVEKIT_CREDENTIALS_PARAMETER", ""),
        api_key_parameter=env.get("LIVEKIT_API_KEY_PARAMETER", ""),
        api_secret_parameter=env.get("LIVEKIT_API_SECRET_PARAMETER", ""),
        api_key=env.get("LIVEKIT_SERVER_API_KEY", ""),
        api_secret=env.get("LIVEKIT_SERVER_API_SECRET", ""),
        secret_max_age_seconds=_int(env, SECRET_MAX_AGE),
        token_ttl_seconds=_int(env, TOKEN_TTL),
        bcrypt_rounds=bcrypt_rounds(env),
        allowed_origins=allowed_origins(env),
        allowed_server_urls=allowed_server_urls(env),
        lockout_threshold=_int(env, LOCKOUT_THRESHOLD),
        lockout_max_seconds=_int(env, LOCKOUT_MAX),
        local_mode=local_mode(env),
        session_max_age_seconds=_int(env, SESSION_MAX_AGE),
        session_idle_seconds=session_idle_seconds(env),
        token_endpoint_ttl_seconds=_int(env, TOKEN_ENDPOINT_TTL),
    )


def require_function_settings(settings: Settings) -> Settings:
    """What the deployed function cannot run without; authctl and tools need less."""
    tables = settings.tables
    if not all((tables.users, tables.channels, tables.attempts, tables.sessions)):
        raise ConfigurationError("USERS_TABLE, CHANNELS_TABLE, ATTEMPTS_TABLE and SESSIONS_TABLE must be set")
    if not settings.livekit_url:
        raise ConfigurationError("LIVEKIT_SERVER_URL must be set")
    return settings


def table_names(env: Mapping[str, str] | None = None) -> TableNames:
    env = os.environ if env is None else env
    return TableNames(
        users=env.get("USERS_TABLE", ""),
        channels=env.get("CHANNELS_TABLE", ""),
        attempts=env.get("ATTEMPTS_TABLE", ""),
        sessions=env.get("SESSIONS_TABLE", ""),
    )


def bcrypt_rounds(env: Mapping[str, str] | None = None) -> int:
    """The cost for new hashes; the function and authctl share it so both hash alike."""
    env = os.environ if env is None else env
    return _int(env, BCRYPT_ROUNDS, low=LOCAL_MIN_BCRYPT_ROUNDS if local_mode(env) else BCRYPT_ROUNDS.low)


def bcrypt_floor(env: Mapping[str, str] | None = None) -> int:
    """The lowest bcrypt cost `authctl import` keeps without --allow-weak-bcrypt: BcryptRounds' lowest value
    (BCRYPT_ROUNDS.low), or the target's own cost when that is lower (emulator runs, LOCAL_MIN_BCRYPT_ROUNDS).
    Never above the target's cost, so a hash below it is never current and the next login re-hashes it."""
    return min(BCRYPT_ROUNDS.low, bcrypt_rounds(env))


def session_idle_seconds(env: Mapping[str, str] | None = None) -> int:
    """How long a session may go unused; the function and authctl's session listing share it."""
    env = os.environ if env is None else env
    return _int(env, SESSION_IDLE)


def local_mode(env: Mapping[str, str] | None = None) -> bool:
    """Running over the emulator (`make run`, tests): literal credentials and cheap hashes are allowed."""
    env = os.environ if env is None else env
    return env.get("LOCAL_MODE", "").lower() in {"1", "true", "yes"}


def allowed_origins(env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    env = os.environ if env is None else env
    raw = env.get("ALLOWED_ORIGINS", "*")
    origins = tuple(origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip())
    return origins or ("*",)


def allowed_server_urls(env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """ALLOWED_SERVER_URLS, comma-separated: the only server_url values a client may send besides
    LIVEKIT_SERVER_URL; empty or unset, any."""
    env = os.environ if env is None else env
    urls = tuple(url.strip() for url in env.get("ALLOWED_SERVER_URLS", "").split(",") if url.strip())
    if not all(is_server_url(url) for url in urls):
        raise ConfigurationError("ALLOWED_SERVER_URLS must list http, https, ws or wss URLs, separated by commas")
    return urls


def _int(env: Mapping[str, str], setting: IntSetting, *, low: int | None = None) -> int:
    name, low, high = setting.variable, setting.low if low is None else low, setting.high
    raw = env.get(name, "").strip()
    if not raw:
        return setting.default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer") from None
    if not low <= value <= high:
        raise ConfigurationError(f"{name} must be between {low} and {high}")
    return value
