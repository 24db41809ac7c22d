"""`make run`, `make invoke` (no Docker, no AWS account) and `make sam-invoke` (Docker): the service here.

stack        the local stack: the template's tables, demo data, the API served over the emulator;
             start()/serve_api() run it as a child process for tests and tools
emulator     moto in server mode on a thread, its TransactWriteItems idempotent as DynamoDB's
api_gateway  API Gateway emulation: the HTTP server that turns a request into an event and the
             function's result into a response, for the routes of livekit_auth.routes
events       the one builder of API Gateway events (any request, a route's, a preflight) and the
             Lambda context
fake_aws     fake credentials and region, the function's environment derived from template.yaml,
             the `make run` emulator's address, tables and clients (standard-library light)
output       what `make run` prints: the banner, and the request log without the function's metric lines
invoke       one events/ file through the function against the running stack (`make invoke`)
demo_data    the demo channels and users `make run` seeds and the tests share
fake_livekit  a stand-in LiveKit RoomService on loopback and LiveKit-signed webhooks (tests, events/)
sam_local    `make sam-invoke` and tests/sam_local: the real `sam local start-lambda` of the arm64 build against
             the running stack, with its env-vars file
sam_bytecode  Python 3.13 bytecode for that build (a compiled copy where `sam build` wrote none)
bridge_relay  the relay from Docker's bridge to the emulator on loopback
docker_host  a Docker daemon and arm64 emulation (qemu in binfmt_misc), started or registered where we can
base_image   the python3.13 arm64 Lambda base image: a stand-in built from Debian where none can be pulled
livekit_server  LiveKit's server at a pinned release: `make livekit` builds it into .cache/, start() runs it
             on loopback with a keys map; `make run` starts it beside the API
join_page    the page (join_page.html) that joins a room with clients/js and livekit-client, served by
             `make run` and driven in headless Chromium by tests/livekit
"""
