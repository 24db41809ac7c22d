"""authctl, the operators' CLI: the package `pip install .` installs (with livekit_auth, whose storage it shares).

cli               the `authctl` command: the parser built from each area's commands, the exit codes
targets           which tables (--local, --stack NAME, *_TABLE) and the target function's settings
local_stack       where the `make run` emulator and its tables are (--local)
common            what the areas share: usage errors, argument types, the new password, the clock, output
users             `user add|rename|disable|enable|passwd|show|list`, parser beside handlers
sessions          `user sessions|logout`
channels          `channel add|rename|list`
grants            `grant`, `revoke`
room_access       after a command ends access: removal from the LiveKit rooms on the target's servers
transfer          `export`, `import`: the commands, writing the plan, the summary
import_plan       what an import would change (create/update, never delete), read from the keys it names
import_users      which import rows may touch which users (collisions, user_ids, bcrypt floor) and how
transfer_formats  what import reads: authctl's JSON lines or Django's `dumpdata auth.user`, detected by content
progress          the import's progress on stderr
hashes            hash rules: which stored hash an import keeps, how a format is named
storage/          the admin tool's DynamoDB calls, through livekit_auth.storage.records' item codecs
"""
