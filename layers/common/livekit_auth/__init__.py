"""Shared code of the LiveKit login service, shipped to Lambda as the CommonLayer.

Module map:
    messages     every user-facing string (the API guide's Persian text, byte for byte)
    config       every setting, read from the environment in one place
    aws          botocore timeouts and retries shared by every client
    passwords    bcrypt hashing and constant-cost verification
    tokens       LiveKit access tokens (HS256 JWTs)
    credentials  the LiveKit API key and secret, from SSM Parameter Store, cached
    storage      the only code that knows the DynamoDB table layouts
    lockout      per-account brute-force protection on top of storage
    login        the login use case: credentials in, channel tokens out
    browser      CORS and security headers for browser clients
    errors       domain outcomes that are not a success
"""
