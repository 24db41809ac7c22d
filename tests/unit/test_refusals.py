"""The handler's REFUSALS table is the one place a domain refusal becomes an answer: every refusal has its row."""

import app
from livekit_auth import errors, messages
from livekit_auth.errors import AccountLocked, Refused


def subclasses(base: type) -> set[type]:
    found = set()
    for child in base.__subclasses__():
        found |= {child} | subclasses(child)
    return found


def test_every_login_refusal_has_a_row_in_the_handlers_table():
    assert set(app.REFUSALS) == subclasses(Refused)


def test_every_row_answers_a_4xx_with_a_message_from_the_messages_module():
    known_messages = {value for name, value in vars(messages).items() if name.isupper()}
    for refusal in app.REFUSALS.values():
        assert 400 <= refusal.status < 500
        assert refusal.message in known_messages
        assert refusal.reason
        assert refusal.metric


def test_the_lock_row_tells_the_client_when_to_retry():
    assert app.REFUSALS[AccountLocked].headers(AccountLocked(7)) == {"Retry-After": "7"}


def test_rows_without_extra_headers_add_none():
    rows = [
        row
        for refused, row in app.REFUSALS.items()
        if refused is not AccountLocked and row.headers is not app.bearer_challenge  # sessions: test_sessions.py
    ]
    assert all(row.headers(errors.InvalidCredentials()) == {} for row in rows)
