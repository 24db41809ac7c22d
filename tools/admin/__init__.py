"""Operators' tools.

authctl   users, channels, grants and sessions in a deployed stack (--stack), the `make run` stack (--local) or
          tables named in the environment; the `authctl` command. Imports no local-server code.
transfer  `authctl export` and `authctl import`: plan (create/update, never delete), batched writes, summary,
          `user list --legacy`
room_access  after a command ends access: removal from the LiveKit rooms on the target's servers
transfer_formats  what import reads: authctl's JSON lines or Django's `dumpdata auth.user`, detected by content
"""
