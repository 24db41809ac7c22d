"""client_errors.CLIENT_ERRORS is the one place a refusal becomes an answer: every refusal, input rejections
included, has its row, and every row is a 4xx in the messages module's words."""

import json

from client_errors import CLIENT_ERRORS, EMPTY_BODY_ROWS, REJECTED_INPUT, bearer_challenge
from inputs import RequestRejected
from livekit_auth import errors, messages
from livekit_auth.errors import AccountLocked, Refused
from tools.ci.cfn_template import load_template


def subclasses(base: type) -> set[type]:
    found = set()
    for child in base.__subclasses__():
        found |= {child} | subclasses(child)
    return found


def test_every_refusal_that_can_be_raised_has_a_row_in_the_client_errors_table():
    """Each leaf of the Refused family is an answer; the bases that group them (RequestRejected ...) are not."""
    raisable = {refusal for refusal in subclasses(Refused) if not refusal.__subclasses__()}
    assert set(CLIENT_ERRORS) == raisable


def test_every_input_rejection_counts_as_rejected_input_and_no_other_refusal_does():
    rejected = {refusal for refusal, row in CLIENT_ERRORS.items() if row.metric == REJECTED_INPUT}
    assert rejected == subclasses(RequestRejected)


def test_every_row_answers_a_4xx_with_a_message_from_the_messages_module():
    known_messages = {value for name, value in vars(messages).items() if name.isupper()}
    for refusal, row in CLIENT_ERRORS.items():
        assert 400 <= row.status < 500
        assert row.message in known_messages or (row.message is None and refusal in EMPTY_BODY_ROWS)
        assert row.reason


def test_only_the_webhooks_refusal_answers_an_empty_body():
    """LiveKit's servers read only the status: no Persian text for them (docs/security.md, the webhook)."""
    assert {refusal for refusal, row in CLIENT_ERRORS.items() if row.message is None} == EMPTY_BODY_ROWS
    assert {CLIENT_ERRORS[refusal].status for refusal in EMPTY_BODY_ROWS} == {401}


def test_log_reasons_tell_every_row_apart():
    reasons = [row.reason for row in CLIENT_ERRORS.values()]
    assert len(reasons) == len(set(reasons))


def test_the_lock_row_tells_the_client_when_to_retry():
    assert CLIENT_ERRORS[AccountLocked].headers(AccountLocked(7)) == {"Retry-After": "7"}


def test_rows_without_extra_headers_add_none():
    rows = [
        row
        for refused, row in CLIENT_ERRORS.items()
        if refused is not AccountLocked and row.headers is not bearer_challenge  # sessions: test_sessions.py
    ]
    assert all(row.headers(errors.InvalidCredentials()) == {} for row in rows)


def test_every_4xx_gateway_response_of_the_template_has_its_row():
    """API Gateway answers these without the function: each in a row's status and words, and every row only
    API Gateway answers (no metric) stands in the template."""
    responses = load_template()["Resources"]["AuthApi"]["Properties"]["GatewayResponses"]
    answered = {}
    for kind, response in responses.items():
        status = int(response.get("StatusCode", "400" if kind == "DEFAULT_4XX" else "500"))
        if 400 <= status < 500:
            answered[kind] = (status, json.loads(response["ResponseTemplates"]["application/json"])["error"])
    rows = {(row.status, row.message) for row in CLIENT_ERRORS.values()}
    assert set(answered.values()) <= rows, answered
    gateway_only = {(row.status, row.message) for row in CLIENT_ERRORS.values() if row.metric is None}
    assert gateway_only <= set(answered.values())
