"""Raw HTTP/1.1 over one client socket, and the node's memory use: helpers for the streaming,
limits and fetch tests. Responses are parsed by http.client, so any number of them can be read
in order from one connection (keep-alive, pipelining)."""
import http.client
import socket
import threading
import time


class _KeepOpen:
    """The connection's buffered reader, minus close(): http.client closes its reader when a
    response ends, but the next response on the connection is read from the same buffer."""

    def __init__(self, file):
        self._file = file

    def close(self):
        pass

    def flush(self):
        pass

    def __getattr__(self, name):
        return getattr(self._file, name)


class _Socketish:
    def __init__(self, file):
        self._file = file

    def makefile(self, *args, **kwargs):
        return _KeepOpen(self._file)


class Wire:
    """One client connection. send() raw bytes; response() parses the next response."""

    def __init__(self, host, port, timeout=30, rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)  # before connect: caps the window
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
        self.file = self.sock.makefile("rb")

    def send(self, data):
        self.sock.sendall(data)

    def response(self, method="GET"):
        """The next response's head (status, headers); read its body with .read()."""
        response = http.client.HTTPResponse(_Socketish(self.file), method=method)
        response.begin()
        return response

    def read_to_eof(self):
        """Everything until the peer closes (a reset counts as the end, too)."""
        data = b""
        try:
            while chunk := self.file.read1(65536):
                data += chunk
        except ConnectionResetError:
            pass
        return data

    def closed_by_peer(self):
        """True if the peer closed the connection (EOF or reset) with nothing more to read."""
        return self.read_to_eof() == b""

    def reset(self):
        """Close with an RST, as a client that crashes or is killed does."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        self.close()

    def close(self):
        self.file.close()
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def status_of(data):
    """The status code of a raw response, or None."""
    if not data.startswith(b"HTTP/1."):
        return None
    return int(data[9:12])


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


class PeakRss:
    """Samples a process's RSS every few milliseconds while in use; .peak is the highest seen."""

    def __init__(self, pid, interval=0.02):
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, rss_bytes(self.pid))
            except (OSError, AssertionError):
                return
            self._stop.wait(self.interval)

    def __enter__(self):
        self.peak = rss_bytes(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes(self.pid))


MB = 1024 * 1024
