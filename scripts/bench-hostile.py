#!/usr/bin/env python3
"""Hostile clients against a storectl serve on 127.0.0.1 (scripts/bench-serve runs this).

  bench-hostile.py slow PORT PID [BYTES]
                                     4,000 connections, each sending BYTES (60,000) of
                                     header then stalling; /health asked every 50 ms
  bench-hostile.py junk PORT PID     10,000 requests, each with its own junk 2 KB token

Prints one line of key=value results. Every loop is bounded; it ends by itself."""

import os
import socket
import sys
import threading
import time

HOST = "127.0.0.1"


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    """The server's RSS every 50 ms until stopped: the peak."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, rss_kb(pid), threading.Event()

    def run(self):
        while not self.done.wait(0.05):
            self.peak = max(self.peak, rss_kb(self.pid))


def read_response(sock):
    """One HTTP response (Content-Length framed); the status code, or None if closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    return int(head.split()[1])


def health_probe(port, stop, latencies, refused):
    """/health every 50 ms, each on a new connection (as a readiness probe asks)."""
    while not stop.is_set():
        start = time.monotonic()
        try:
            with socket.create_connection((HOST, port), timeout=5) as s:
                s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                status = read_response(s)
            if status is None:
                refused[0] += 1
            else:
                latencies.append((time.monotonic() - start) * 1000)
        except OSError:
            refused[0] += 1
        stop.wait(0.05)


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def slow(port, pid, size=60000):
    n, header = 4000, b"X-Slow: " + b"a" * size
    base = rss_kb(pid)
    sampler = Sampler(pid)
    sampler.start()
    stop, latencies, refused = threading.Event(), [], [0]
    probe = threading.Thread(target=health_probe, args=(port, stop, latencies, refused))
    probe.start()
    start = time.monotonic()
    socks, failed = [], 0
    for _ in range(n):
        try:
            s = socket.create_connection((HOST, port), timeout=5)
            s.setblocking(False)
            s.send(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            try:
                s.send(header)  # as much as the socket takes at once; then it stalls
            except BlockingIOError:
                pass
            socks.append(s)
        except OSError:
            failed += 1
    opened = time.monotonic() - start
    # Until the server has closed every connection, or 60 s.
    open_socks, deadline = list(socks), time.monotonic() + 60
    while open_socks and time.monotonic() < deadline:
        still = []
        for s in open_socks:
            try:
                if s.recv(65536) == b"":
                    s.close()
                    continue
                still.append(s)  # an answer (431); the close follows
            except BlockingIOError:
                still.append(s)
            except OSError:
                s.close()
        open_socks = still
        if open_socks:
            time.sleep(0.1)
    all_closed = time.monotonic() - start
    stop.set()
    probe.join()
    sampler.done.set()
    sampler.join()
    for s in open_socks:
        s.close()
    print(
        f"connections={n} connect_failed={failed} opened_s={opened:.1f} "
        f"still_open={len(open_socks)} all_closed_s={all_closed:.1f} "
        f"rss_base_mb={base / 1024:.1f} rss_peak_mb={sampler.peak / 1024:.1f} "
        f"rss_increase_mb={(sampler.peak - base) / 1024:.1f} "
        f"health_n={len(latencies)} health_refused={refused[0]} "
        f"health_p50_ms={percentile(latencies, 50):.1f} "
        f"health_p99_ms={percentile(latencies, 99):.1f} "
        f"health_max_ms={max(latencies, default=float('nan')):.1f}"
    )


def junk(port, pid):
    n, workers = 10000, 16
    base = rss_kb(pid)
    sampler = Sampler(pid)
    sampler.start()
    counts, lock = {}, threading.Lock()
    next_i = [0]

    def worker():
        sock = None
        while True:
            with lock:
                i = next_i[0]
                if i >= n:
                    break
                next_i[0] += 1
            token = os.urandom(768).hex()[:2048]
            request = (
                f"GET /api/stores HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {token}\r\n\r\n"
            ).encode()
            status = None
            for _ in range(2):  # once more on a fresh connection if the old one closed
                try:
                    if sock is None:
                        sock = socket.create_connection((HOST, port), timeout=30)
                    sock.sendall(request)
                    status = read_response(sock)
                except OSError:
                    status = None
                if status is not None:
                    break
                if sock is not None:
                    sock.close()
                sock = None
            with lock:
                counts[status] = counts.get(status, 0) + 1
        if sock is not None:
            sock.close()

    start = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - start
    sampler.done.set()
    sampler.join()
    after = rss_kb(pid)
    answers = " ".join(f"status_{k}={v}" for k, v in sorted(counts.items(), key=str))
    print(
        f"requests={n} took_s={took:.1f} rps={n / took:.0f} {answers} "
        f"rss_base_mb={base / 1024:.1f} rss_peak_mb={sampler.peak / 1024:.1f} "
        f"rss_after_mb={after / 1024:.1f}"
    )


if __name__ == "__main__":
    mode, port, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    extra = [int(a) for a in sys.argv[4:]]
    {"slow": slow, "junk": junk}[mode](port, pid, *extra)
