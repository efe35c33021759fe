"""A TCP proxy in front of a database server, to take a tenant's database "down" and bring it
back while the rest of the stack runs: ``down()`` refuses new connections and cuts open ones,
``hang()`` accepts connections and never answers (an unreachable host), ``up()`` forwards again."""

from __future__ import annotations

import socket
import threading


class Proxy:
    def __init__(self, target):
        """``target``: (host, port), or the path of a Unix socket."""
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self.mode = "up"
        self.up()

    def up(self) -> None:
        self.mode = "up"
        if self._listener is None:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(64)
            self.port = listener.getsockname()[1]
            self._listener = listener
            threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def hang(self) -> None:
        self._cut()
        self.up()
        self.mode = "hang"

    def down(self) -> None:
        self.mode = "down"
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread, which frees the port
            except OSError:
                pass
            listener.close()
        self._cut()

    def close(self) -> None:
        self.down()

    def _cut(self) -> None:
        with self._lock:
            sockets, self._open = self._open, []
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by down()
            with self._lock:
                self._open.append(client)
            if self.mode == "hang":
                continue  # held open, never answered
            try:
                if isinstance(self.target, str):
                    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    server.connect(self.target)
                else:
                    server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.append(server)
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
