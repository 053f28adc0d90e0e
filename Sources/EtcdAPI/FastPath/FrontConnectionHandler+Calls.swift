import NIOCore
import Server

/// The unary calls the front server answers itself: a request read whole waits for the end of
/// its read, then puts start at once and other calls in order, `FrontLimits.runningCallsMax` at a
/// time and none while the write quota is full; answers made on a member's apply thread come
/// back through the connection's mailbox.
extension FrontConnectionHandler {
    enum Answer: Sendable {
        case message([UInt8])
        case failure(Failure)

        /// The gRPC status code the call ends with.
        var code: Int {
            switch self {
            case .message: 0
            case .failure(.api(let error)): error.code.rawValue
            case .failure(.grpcStatus(let code, _)): code
            }
        }
    }

    enum Failure: Sendable {
        case api(EtcdAPIError)
        case grpcStatus(code: Int, message: String)
    }

    func requestRead(_ id: UInt32) {
        guard case .reading(let path, let counters, let credentials, let body) = streams[id] else { return }
        guard let request = GRPCWire.onlyMessage(in: body) else {
            streams[id] = .answering(counters)
            counters.callStarted()
            requestBytesHeld -= body.count
            consume(body.count)
            return answer(id, with: .failure(.grpcStatus(code: 13, message: "the request is not one uncompressed gRPC message")))
        }
        // The request is held, the body's prefix given back at once.
        let message = Array(request)
        requestBytesHeld -= GRPCWire.prefixBytes
        consume(GRPCWire.prefixBytes)
        // Every call waits for the end of the read it came in: a client that resets it in the
        // same read (rapid reset) has it dropped before the member does any work for it.
        streams[id] = .waiting(path: path, counters: counters, credentials: credentials, request: message)
        if path == UnaryKVRoutes.putPath {
            putsAfterRead.append(id)
        } else {
            waitingCalls.append(id)
        }
    }

    /// Starts the puts read in this read, in order, then whichever other calls may start.
    func startCallsAfterRead() {
        let puts = putsAfterRead
        putsAfterRead.removeAll(keepingCapacity: true)
        for id in puts {
            guard case .waiting(let path, let counters, let credentials, let request) = streams[id] else { continue }
            start(id, path: path, counters: counters, credentials: credentials, request: request)
        }
        startWaitingCalls()
    }

    /// Starts waiting calls in order while fewer than `runningCallsMax` run and the client reads
    /// its answers.
    /// (A call answered at once comes back here before `start` returns: each turn reads the
    /// queue afresh.)
    func startWaitingCalls() {
        while runningCalls < limits.runningCallsMax, outbound.queuedBytes <= limits.writeQuotaBytes,
              waitingHead < waitingCalls.count {
            let id = waitingCalls[waitingHead]
            waitingHead += 1
            if waitingHead >= 64 && waitingHead * 2 >= waitingCalls.count {
                waitingCalls.removeFirst(waitingHead)
                waitingHead = 0
            }
            guard case .waiting(let path, let counters, let credentials, let request) = streams[id] else { continue }
            runningCalls += 1
            countedCalls.insert(id)
            start(id, path: path, counters: counters, credentials: credentials, request: request)
        }
    }

    /// Hands the call on stream `id` to the member; its answer comes back through `answer`.
    private func start(_ id: UInt32, path: String, counters: GRPCCallCounters, credentials: Credentials, request: [UInt8]) {
        guard let context else { return }
        streams[id] = .answering(counters)
        counters.callStarted()
        requestBytesHeld -= request.count
        consume(request.count)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let mailbox = mailbox
        routes.answer(path, request: request, credentials: credentials) { result in
            let outcome: Answer = switch result {
            case .success(let bytes): .message(bytes)
            case .failure(let error): .failure(.api(error))
            }
            if eventLoop.inEventLoop { return handler.value.answer(id, with: outcome) }
            // The first answer to arrive queues one task for all that come before it runs: an
            // apply batch answers many calls of a connection at once, and they go out in one
            // write, without a task (and an event-loop wake-up) each.
            let queueDrain = mailbox.withLock { box in
                box.answers.append((id, outcome))
                defer { box.drainQueued = true }
                return !box.drainQueued
            }
            if queueDrain {
                eventLoop.execute { handler.value.drainMailbox() }
            }
        }
    }

    /// Writes every answer the mailbox holds, then flushes once.
    private func drainMailbox() {
        let answers = mailbox.withLock { box in
            defer {
                box.answers.removeAll(keepingCapacity: true)
                box.drainQueued = false
            }
            return box.answers
        }
        for (id, outcome) in answers { answer(id, with: outcome) }
        flushSoon()
    }

    func answer(_ id: UInt32, with outcome: Answer) {
        let counted = countedCalls.remove(id) != nil
        if counted { runningCalls -= 1 }
        defer { if counted { startWaitingCalls() } }
        // The client may have reset the stream or closed the connection meanwhile.
        switch streams[id] {
        case .answering(let counters):
            counters.callHandled(code: outcome.code)
        case .abandoned(let counters):
            counters.callHandled(code: outcome.code)
            streams.removeValue(forKey: id)
            return
        default:
            return
        }
        guard context?.channel.isActive == true else { return }
        streams.removeValue(forKey: id)
        switch outcome {
        case .message(let bytes):
            send(.headers(GRPCWire.responseHeaderBlock, endStream: false), on: id)
            send(.data(GRPCWire.framed(bytes, allocator: context!.channel.allocator), endStream: false), on: id)
            send(.headers(GRPCWire.okTrailerBlock, endStream: true), on: id)
        case .failure(let failure):
            let (code, message) = switch failure {
            case .api(let error): (error.code.rawValue, error.description)
            case .grpcStatus(let code, let message): (code, message)
            }
            send(.headers(GRPCWire.block(GRPCWire.trailersOnly(code: code, message: message)), endStream: true), on: id)
        }
        flushSoon()
    }
}
