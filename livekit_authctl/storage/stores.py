"""The stores one authctl command works through, built once over one DynamoDB client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from livekit_auth.config import TableNames
from livekit_authctl.storage.admin import AdminStore
from livekit_authctl.storage.sessions import SessionAdmin
from livekit_authctl.storage.transfer import TransferStore


@dataclass(frozen=True)
class Stores:
    admin: AdminStore  # users, channels, grants, lockout state
    sessions: SessionAdmin
    transfer: TransferStore  # export and import

    @classmethod
    def over(cls, client: Any, tables: TableNames) -> Stores:
        """`client` is a low-level boto3 DynamoDB client."""
        return cls(AdminStore(client, tables), SessionAdmin(client, tables), TransferStore(client, tables))

    @property
    def tables(self) -> TableNames:
        return self.admin.tables
