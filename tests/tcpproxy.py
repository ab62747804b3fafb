"""A TCP proxy on 127.0.0.1 that a test can cut off from the server
behind it without stopping the server: the way a store goes away for a
shipper (a network cut, a firewall, a server that accepts and never
answers) while it keeps what it already holds.

    p = TcpProxy(target_port)       # forwards 127.0.0.1:p.port to it
    p.away("refuse")                # every connection is reset at once
    p.away("blackhole")             # accepted, then never answered
    p.restore()                     # forwards again

Going away cuts the connections open at that moment too.  A connection
held by a black hole stays silent until the proxy stops, as behind a
real one: a client without a time limit of its own waits for ever.
"""
import select
import socket
import struct
import threading

from progtest import free_port


def _reset(conn):
    """Close conn with a reset (RST), not an orderly end of stream"""
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
    except OSError:
        pass
    conn.close()


class TcpProxy:
    def __init__(self, target_port, target_host="127.0.0.1"):
        self.target = (target_host, target_port)
        self.port = free_port()
        self.mode = "up"
        self.lock = threading.Lock()
        self.pairs = []         # (client, server) sockets being forwarded
        self.held = []          # connections a black hole keeps
        self.connections = 0    # accepted, in any mode
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(128)
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping:
            r, _, _ = select.select([self.listener], [], [], 0.2)
            if not r:
                continue
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            with self.lock:
                self.connections += 1
                mode = self.mode
                if mode == "blackhole":
                    self.held.append(conn)
                    continue
            if mode == "refuse":
                _reset(conn)
                continue
            try:
                server = socket.create_connection(self.target, timeout=10)
            except OSError:
                _reset(conn)
                continue
            server.settimeout(None)
            with self.lock:
                if self.mode != "up":       # went away meanwhile
                    _reset(conn)
                    server.close()
                    continue
                self.pairs.append((conn, server))
            threading.Thread(target=self._pump, args=(conn, server),
                             daemon=True).start()

    def _pump(self, a, b):
        """Copy both ways between a and b until either side ends"""
        peer = {a: b, b: a}
        try:
            while True:
                r, _, _ = select.select([a, b], [], [], 0.5)
                with self.lock:
                    if (a, b) not in self.pairs:
                        return          # cut by away()
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        return
                    peer[s].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            with self.lock:
                if (a, b) in self.pairs:
                    self.pairs.remove((a, b))
            for s in (a, b):
                try:
                    _reset(s)
                except OSError:
                    pass

    def away(self, mode="refuse"):
        """Cut the server off: "refuse" resets every connection, open or
        new; "blackhole" also cuts the open ones, and then accepts new
        ones and never answers them"""
        assert mode in ("refuse", "blackhole")
        with self.lock:
            self.mode = mode
            pairs, self.pairs = self.pairs, []
        for a, b in pairs:
            _reset(a)
            b.close()

    def restore(self):
        """Forward new connections again"""
        with self.lock:
            self.mode = "up"

    def stop(self):
        self.away("refuse")
        self.stopping = True
        self.thread.join(timeout=5)
        self.listener.close()
        with self.lock:
            held, self.held = self.held, []
        for c in held:
            c.close()
