"""Which key signs for which LiveKit server: one API key and secret per server URL.

The credentials parameter (livekit_auth.credentials) holds either one pair for every server (the
first shape, `{"api_key", "api_secret"}`) or a map from server URL to its pair:

    {"wss://eu.livekit.example": {"api_key": "...", "api_secret": "..."},
     "wss://us.livekit.example": {"api_key": "...", "api_secret": "..."}}

A request's `server_url` (already checked against ALLOWED_SERVER_URLS) picks its server's pair; a URL
the map does not name gets the pair of LIVEKIT_SERVER_URL. Removal from rooms reaches every server
named here (`servers`), and a LiveKit webhook is verified with the secret of the key it names (`by_key`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from livekit_auth.server_urls import is_server_url, same_server_key
from livekit_auth.tokens import LiveKitCredentials

PAIR_FIELDS = frozenset({"api_key", "api_secret"})


def room_service_url(server_url: str) -> str:
    """The HTTP(S) base of a server's APIs: LiveKit serves RoomService on the same host as its WebSocket."""
    key = same_server_key(server_url)
    scheme, rest = key.split("://", 1)
    return {"ws": "http", "wss": "https"}.get(scheme, scheme) + "://" + rest


@dataclass(frozen=True)
class ServerKeys:
    """The pair of every configured server (by same_server_key), and the default server's URL."""

    default_url: str
    pairs: Mapping[str, LiveKitCredentials] = field(repr=False)  # same_server_key(url) -> pair
    urls: tuple[str, ...] = ()  # every configured server, as configured (the map's keys, or the default)

    @classmethod
    def one_pair(cls, pair: LiveKitCredentials, default_url: str, also: Iterable[str] = ()) -> ServerKeys:
        """The first shape: one pair signs for the default server and every other allowed one."""
        urls = _distinct((default_url, *also))
        return cls(default_url, {same_server_key(url): pair for url in urls}, urls)

    @classmethod
    def from_parameter_document(cls, document: object, default_url: str, also: Iterable[str] = ()) -> ServerKeys:
        """Either shape, from the parameter's JSON; ValueError (never quoting a value) when malformed or when
        the default server has no pair."""
        if isinstance(document, dict) and set(document) == PAIR_FIELDS:
            return cls.one_pair(LiveKitCredentials.from_parameter_document(document), default_url, also)
        if not isinstance(document, dict) or not document:
            raise ValueError(
                'the value is neither a JSON object with exactly "api_key" and "api_secret" nor a map from '
                "server URLs to such objects"
            )
        pairs: dict[str, LiveKitCredentials] = {}
        for url, pair in document.items():
            if not is_server_url(url):
                raise ValueError("a key of the map is not an http, https, ws or wss URL")
            try:
                pairs[same_server_key(url)] = LiveKitCredentials.from_parameter_document(pair)
            except ValueError as error:
                raise ValueError(f"the entry of {url}: {error}") from None
        if same_server_key(default_url) not in pairs:
            raise ValueError(f"the map has no entry for LIVEKIT_SERVER_URL ({default_url})")
        return cls(default_url, pairs, _distinct(document))

    def for_server(self, server_url: str | None) -> LiveKitCredentials:
        """The pair that signs tokens for `server_url` (the default server's when it has none of its own)."""
        if server_url:
            pair = self.pairs.get(same_server_key(server_url))
            if pair is not None:
                return pair
        return self.pairs[same_server_key(self.default_url)]

    @property
    def default(self) -> LiveKitCredentials:
        return self.for_server(self.default_url)

    def servers(self) -> list[tuple[str, LiveKitCredentials]]:
        """Every configured server once (by its RoomService URL) with its pair: what removal reaches."""
        seen: dict[str, tuple[str, LiveKitCredentials]] = {}
        for url in self.urls:
            seen.setdefault(room_service_url(url), (url, self.for_server(url)))
        return list(seen.values())

    def by_key(self, api_key: str) -> list[tuple[str, LiveKitCredentials]]:
        """The servers whose pair has this API key (a webhook's `iss`); empty for an unknown key."""
        return [(url, pair) for url, pair in self.servers() if pair.api_key == api_key]

    def check_secrets(self, min_bytes: int) -> None:
        """ValueError naming the server whose secret is shorter than LiveKit accepts (never the secret)."""
        for url, pair in self.servers():
            if len(pair.api_secret.encode("utf-8")) < min_bytes:
                raise ValueError(f"the LiveKit API secret of {url} is shorter than {min_bytes} bytes")


def _distinct(urls: Iterable[str]) -> tuple[str, ...]:
    """The URLs in order, each server once (compared by same_server_key)."""
    found: dict[str, str] = {}
    for url in urls:
        found.setdefault(same_server_key(url), url)
    return tuple(found.values())
