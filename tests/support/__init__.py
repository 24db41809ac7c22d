"""What the tests share besides fixtures: conftest.py holds fixtures only, and nothing imports it.

fake_aws_plugin  pytest plugin (pyproject `-p`): the fake AWS environment, before any module imports boto3
settings         the settings the tests run the function with, and the configured defaults
expanded_template  template.yaml expanded by samtranslator as CloudFormation receives it, conditions applied
handler          the deployed entry point: Answer, call_handler, new_container, run_on_clock
logins           named login attempts: attempt_login (any password), good_login (the right one), guess (a wrong one)
clock            FakeClock: the one clock, moved only by the test
counters         BcryptCounter and AwsCallCounter: what a login cost
logs             the function's log output as the tests see it
authctl          authctl run in this process: Run, authctl_runner (the authctl_run and authctl_without_demo fixtures)
transfer         export/import: Django's password hashes made as Django makes them, dumpdata files, table scans
sessions         calls of the session routes, open_session, the refused session's 401, a clock at the real time
http_stack       running_stack: the local stack over HTTP, started once (the `stack` fixture)
livekit_servers  two stand-in LiveKit servers with their own keys, configured as the function's (livekit_servers)
stacks           stand-ins for deployed stacks (outputs and parameters) for authctl --stack
snapstart        one SnapStart snapshot restored twice, emulated with fork (run as a module)
missing_tools    the real-software tiers' rule: skip with one line where a tool is missing, fail under CI
livekit          the tier against LiveKit's software: missing tools, the stack pointed at a server, SDK rooms
"""
