import NIOCore

/// What the front server sends on each stream, under the client's flow control: DATA waits for
/// room in both the connection's and the stream's window, and whatever follows it on the stream
/// (more DATA, trailers) waits behind it. Header blocks take no window. A stream is forgotten
/// once its END_STREAM is written or it is reset.
///
/// What waits is counted (`queuedBytes`), so the connection can stop taking new calls while a
/// client does not read; and DATA written on a stream opened with `reportingWrites` is reported
/// (`takeWritten`), so a relayed call's window toward the server behind can be given back only
/// as its answers reach the client.
struct OutboundStreams {
    enum Item {
        /// A header block (response headers or trailers).
        case headers([UInt8], endStream: Bool)
        case data(ByteBuffer, endStream: Bool)

        var bytes: Int {
            switch self {
            case .headers(let block, _): block.count
            case .data(let bytes, _): bytes.readableBytes
            }
        }
    }

    private struct StreamState {
        var window: Int
        var queue: [Item] = []
        var reportsWrites = false
    }

    /// Bytes of answers waiting for a window, on every stream.
    private(set) var queuedBytes = 0
    /// HEADERS and DATA frames written since `takeFramesWritten`.
    private var framesWritten = 0
    /// DATA bytes written (or dropped by a reset) on reporting streams since `takeWritten`.
    private var written: [(stream: UInt32, bytes: Int)] = []

    private var states: [UInt32: StreamState] = [:]
    /// Streams with items waiting for a window, in the order they started waiting.
    private var waiting: [UInt32] = []
    private var connectionWindow = HTTP2Wire.defaultWindowBytes
    private var initialWindow = HTTP2Wire.defaultWindowBytes
    var peerMaxFrameBytes = HTTP2Wire.maxFrameBytes

    /// The client opened stream `id`: it starts with the client's initial window.
    mutating func open(_ id: UInt32, reportingWrites: Bool = false) {
        states[id] = StreamState(window: initialWindow, reportsWrites: reportingWrites)
    }

    /// Stream `id` was reset: what waited on it is dropped (and reported as gone, on a
    /// reporting stream, as if written).
    mutating func close(_ id: UInt32) {
        guard let state = states.removeValue(forKey: id) else { return }
        queuedBytes -= state.queue.reduce(0) { $0 + $1.bytes }
        waiting.removeAll { $0 == id }
        if state.reportsWrites {
            let dropped = state.queue.reduce(0) { total, item in
                if case .data(let bytes, _) = item { return total + bytes.readableBytes }
                return total
            }
            if dropped > 0 { written.append((id, dropped)) }
        }
    }

    /// The number of HEADERS and DATA frames written since the last call.
    mutating func takeFramesWritten() -> Int {
        defer { framesWritten = 0 }
        return framesWritten
    }

    /// DATA bytes written (or dropped by a reset) on reporting streams since the last call, stream by stream.
    mutating func takeWritten() -> [(stream: UInt32, bytes: Int)] {
        guard !written.isEmpty else { return [] }
        defer { written.removeAll(keepingCapacity: true) }
        return written
    }

    /// Writes `item` on stream `id` into `out` as far as the windows allow; the rest, and anything
    /// after it, waits for a WINDOW_UPDATE. Nothing is written on a stream that is not open.
    mutating func send(_ item: Item, on id: UInt32, into out: inout ByteBuffer) {
        guard var state = states[id] else { return }
        guard state.queue.isEmpty else {
            state.queue.append(item)
            queuedBytes += item.bytes
            states[id] = state
            return
        }
        let (rest, ended) = write(item, on: id, state: &state, into: &out)
        if ended { return close(id) }
        if let rest {
            state.queue.append(rest)
            queuedBytes += rest.bytes
            waiting.append(id)
        }
        states[id] = state
    }

    /// Writes what waited, stream by stream, as far as the windows now allow.
    mutating func writeWaiting(into out: inout ByteBuffer) {
        for id in waiting {
            guard var state = states[id] else { continue }
            var ended = false
            while !ended, !state.queue.isEmpty {
                let item = state.queue.removeFirst()
                queuedBytes -= item.bytes
                let (rest, end) = write(item, on: id, state: &state, into: &out)
                ended = end
                if let rest {
                    state.queue.insert(rest, at: 0)
                    queuedBytes += rest.bytes
                    break
                }
            }
            if ended {
                queuedBytes -= state.queue.reduce(0) { $0 + $1.bytes }
                states.removeValue(forKey: id)
            } else {
                states[id] = state
            }
        }
        waiting.removeAll { states[$0]?.queue.isEmpty ?? true }
    }

    /// A WINDOW_UPDATE from the client; false when it takes a window past 2^31-1.
    mutating func windowUpdate(stream: UInt32, increment: Int) -> Bool {
        if stream == 0 {
            connectionWindow += increment
            return connectionWindow <= Int(Int32.max)
        }
        guard states[stream] != nil else { return true }
        states[stream]!.window += increment
        return states[stream]!.window <= Int(Int32.max)
    }

    /// The client's SETTINGS_INITIAL_WINDOW_SIZE: every open stream's window moves by the change.
    mutating func setInitialWindow(_ bytes: Int) {
        let change = bytes - initialWindow
        initialWindow = bytes
        for id in states.keys { states[id]!.window += change }
    }

    /// Writes as much of `item` as the windows allow: what is left of it, if anything, and
    /// whether its END_STREAM went out.
    private mutating func write(_ item: Item, on id: UInt32, state: inout StreamState, into out: inout ByteBuffer) -> (rest: Item?, ended: Bool) {
        switch item {
        case .headers(let block, let endStream):
            HTTP2Wire.writeHeaders(&out, stream: id, block: block, endStream: endStream, maxFrameBytes: peerMaxFrameBytes)
            framesWritten += 1
            return (nil, endStream)
        case .data(var bytes, let endStream):
            repeat {
                // A window can be below zero (the client shrank its initial window after data went out).
                let size = max(0, min(bytes.readableBytes, connectionWindow, state.window, peerMaxFrameBytes))
                // An empty frame that ends the stream needs no window; any other needs some.
                guard size > 0 || bytes.readableBytes == 0 else { return (.data(bytes, endStream: endStream), false) }
                let last = size == bytes.readableBytes
                HTTP2Wire.writeFrameHeader(&out, length: size, type: .data, flags: last && endStream ? HTTP2Wire.Flags.endStream : 0,
                                           stream: id)
                var chunk = bytes.readSlice(length: size)!
                out.writeBuffer(&chunk)
                connectionWindow -= size
                state.window -= size
                framesWritten += 1
                if state.reportsWrites && size > 0 { written.append((id, size)) }
            } while bytes.readableBytes > 0
            return (nil, endStream)
        }
    }
}
