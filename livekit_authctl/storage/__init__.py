"""authctl's DynamoDB access: what the function's IAM cannot do. Items go through livekit_auth.storage.records.

admin     users, channels, grants and lockout state: reads (the login's AccountReader, composed) and every change
sessions  SessionAdmin: a user's sessions (the ByUser index) and revoking them all
transfer  export/import: whole-table reads, batched retried writes, the transfer records
stores    the three over one client, built once per command
"""
