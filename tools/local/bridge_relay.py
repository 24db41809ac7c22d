"""A TCP relay from an address on Docker's bridge to a server on loopback: how a container reaches `make run`'s
emulator, which listens on 127.0.0.1 only (tools.local.sam_local uses it for the length of a run)."""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading


class BridgeRelay:
    """Forwards TCP connections from (host, an ephemeral port) to `target`, on a thread, until closed."""

    def __init__(self, host: str, target: tuple[str, int]) -> None:
        self._target = target
        self._listener = socket.create_server((host, 0))
        self._listener.setblocking(False)
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="bridge-relay", daemon=True)
        self.address = self._listener.getsockname()[:2]

    def __enter__(self) -> BridgeRelay:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._closing.set()
        self._thread.join(timeout=5)
        self._listener.close()

    @property
    def url(self) -> str:
        return f"http://{self.address[0]}:{self.address[1]}"

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            while not self._closing.is_set():
                for key, _ in selector.select(timeout=0.2):
                    if key.fileobj is self._listener:
                        client, _ = self._listener.accept()
                        upstream = socket.create_connection(self._target)
                        for one, other in ((client, upstream), (upstream, client)):
                            one.setblocking(False)
                            selector.register(one, selectors.EVENT_READ, other)
                        continue
                    source, sink = key.fileobj, key.data
                    try:
                        data = source.recv(65536)  # type: ignore[union-attr]
                        if data:
                            sink.setblocking(True)
                            sink.sendall(data)
                            sink.setblocking(False)
                            continue
                    except OSError:
                        pass
                    for end in (source, sink):
                        with contextlib.suppress(KeyError, ValueError):
                            selector.unregister(end)
                        end.close()  # type: ignore[union-attr]
            for key in list(selector.get_map().values()):
                if key.fileobj is not self._listener:
                    key.fileobj.close()  # type: ignore[union-attr]
