"""DynamoDB plumbing shared by every store: calls, errors, paging, keys and the number codec."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from livekit_auth.errors import MissingTable

PROFILE_SK = "PROFILE"
CATALOG_PK = "CATALOG"
MAX_CHANNEL_ID = 2**63 - 1
_CHANNEL_ID_DIGITS = len(str(MAX_CHANNEL_ID))

Item = dict[str, Any]


class ConditionFailed(Exception):
    """A conditional write (or transaction) did not apply because an item was not as required.

    An internal outcome, not an answer: each store turns it into what it means for its caller.
    `item` is the item as it stood when the write asked for it (ReturnValuesOnConditionCheckFailure);
    `reasons` gives, for a transaction, each item's cancellation code in request order.
    """

    def __init__(self, item: Item | None = None, reasons: tuple[str, ...] = ()) -> None:
        super().__init__("condition not met")
        self.item = item
        self.reasons = reasons

    def failed_at(self, index: int) -> bool:
        """Whether the transaction's `index`-th item was the one whose condition failed."""
        return self.reasons[index : index + 1] == ("ConditionalCheckFailed",)


def call(operation: Callable[..., Any], **request: Any) -> Any:
    """Run one DynamoDB call; a missing table and a failed condition become domain exceptions."""
    try:
        return operation(**request)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code == "ConditionalCheckFailedException":
            raise ConditionFailed(error.response.get("Item")) from None
        if code == "TransactionCanceledException":
            reasons = tuple(reason.get("Code", "None") for reason in error.response.get("CancellationReasons", []))
            if "ConditionalCheckFailed" in reasons:
                raise ConditionFailed(reasons=reasons) from None
        if code == "ResourceNotFoundException":
            raise MissingTable(error.response["Error"].get("Message", "a table does not exist")) from None
        raise


def is_write_conflict(error: ClientError) -> bool:
    """Whether DynamoDB refused a write only because a transaction held one of its items at that moment
    (botocore does not retry these): trying again is safe, since nothing was written."""
    code = error.response["Error"]["Code"]
    if code == "TransactionConflictException":
        return True
    reasons = {reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])}
    return code == "TransactionCanceledException" and "TransactionConflict" in reasons


def pages(operation: Callable[..., Any], **request: Any) -> Iterator[Item]:
    """Every item of a Query or Scan, following LastEvaluatedKey."""
    while True:
        page = call(operation, **request)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        request = {**request, "ExclusiveStartKey": page["LastEvaluatedKey"]}


def user_key(user_id: str) -> str:
    return f"USER#{user_id}"


def channel_sort_key(channel_id: int) -> str:
    return f"CHANNEL#{channel_id:0{_CHANNEL_ID_DIGITS}d}"


def channel_member_key(channel_id: int) -> str:
    return f"CHANNEL#{channel_id}"


def number(value: float) -> dict[str, str]:
    """A DynamoDB number; floats keep millisecond precision."""
    return {"N": format(value, ".3f").rstrip("0").rstrip(".") if isinstance(value, float) else str(value)}


def now_iso(*, precise: bool = False) -> str:
    """Now in UTC, ISO 8601; `precise` to the microsecond (password_changed_at: two changes in one second differ)."""
    return datetime.now(UTC).isoformat(timespec="microseconds" if precise else "seconds")
