"""Operators' tools.

authctl   users, channels and grants in a deployed stack (--stack), the `make run` stack (--local) or
          tables named in the environment; the `authctl` command. Imports no local-server code.
"""
