@testable import EtcdAPI
import NIOCore
import Testing

/// The front server's sending side under the client's flow control, frame by frame.
@Suite struct OutboundStreamsTests {
    /// The frames written into `out` so far, taken off it.
    func frames(_ out: inout ByteBuffer) throws -> [HTTP2Wire.Frame] {
        var frames: [HTTP2Wire.Frame] = []
        while let frame = try HTTP2Wire.nextFrame(from: &out) { frames.append(frame) }
        #expect(out.readableBytes == 0, "a frame was cut short")
        return frames
    }

    func dataBytes(_ frames: [HTTP2Wire.Frame]) -> Int {
        frames.filter { $0.type == HTTP2Wire.FrameType.data.rawValue }.map(\.payload.readableBytes).reduce(0, +)
    }

    func bytes(_ count: Int) -> ByteBuffer {
        ByteBuffer(repeating: 7, count: count)
    }

    @Test func dataWaitsForTheConnectionWindowAndTrailersWaitBehindIt() throws {
        var streams = OutboundStreams()
        var out = ByteBuffer()
        streams.setInitialWindow(1 << 20)
        streams.open(1)
        streams.send(.headers([0x88], endStream: false), on: 1, into: &out)
        streams.send(.data(bytes(70_000), endStream: false), on: 1, into: &out)
        streams.send(.headers([0x40], endStream: true), on: 1, into: &out)
        var written = try frames(&out)
        // The connection's window is HTTP/2's 65,535 until the client says otherwise.
        #expect(written.first?.type == HTTP2Wire.FrameType.headers.rawValue)
        #expect(dataBytes(written) == HTTP2Wire.defaultWindowBytes)
        #expect(written.allSatisfy { $0.payload.readableBytes <= HTTP2Wire.maxFrameBytes })
        #expect(!written.contains { $0.has(HTTP2Wire.Flags.endStream) }, "the trailers went out before the data")

        let connectionTopUp = streams.windowUpdate(stream: 0, increment: 10_000)
        #expect(connectionTopUp)
        streams.writeWaiting(into: &out)
        written = try frames(&out)
        #expect(dataBytes(written) == 70_000 - HTTP2Wire.defaultWindowBytes)
        #expect(written.last?.type == HTTP2Wire.FrameType.headers.rawValue && written.last?.has(HTTP2Wire.Flags.endStream) == true)
        // The stream is done: nothing more is written on it.
        streams.send(.data(bytes(1), endStream: true), on: 1, into: &out)
        #expect(out.readableBytes == 0)
    }

    @Test func aSmallerInitialWindowHoldsStreamsBackUntilTheyAreToppedUp() throws {
        var streams = OutboundStreams()
        var out = ByteBuffer()
        streams.open(1)
        streams.send(.data(bytes(100), endStream: false), on: 1, into: &out)
        streams.open(3)
        streams.send(.data(bytes(100), endStream: false), on: 3, into: &out)
        // The client shrinks every stream's window by 65,535 - 50: stream 1, which used 100,
        // is now 50 below zero.
        streams.setInitialWindow(50)
        streams.send(.data(bytes(10), endStream: true), on: 1, into: &out)
        #expect(dataBytes(try frames(&out)) == 200)
        // An empty DATA frame that ends a stream goes out even from a window below zero.
        streams.send(.data(bytes(0), endStream: true), on: 3, into: &out)
        #expect(try frames(&out).map(\.payload.readableBytes) == [0])
        let toZero = streams.windowUpdate(stream: 1, increment: 50)
        #expect(toZero)
        streams.writeWaiting(into: &out)
        #expect(try frames(&out).isEmpty, "a stream at a window of 0 sent data")
        let toTen = streams.windowUpdate(stream: 1, increment: 10)
        #expect(toTen)
        streams.writeWaiting(into: &out)
        let last = try frames(&out)
        #expect(dataBytes(last) == 10 && last.last?.has(HTTP2Wire.Flags.endStream) == true)
    }

    @Test func aResetStreamDropsWhatWaitedAndWindowsPastTheLimitAreRefused() throws {
        var streams = OutboundStreams()
        var out = ByteBuffer()
        streams.setInitialWindow(0)
        streams.open(3)
        streams.send(.data(bytes(5), endStream: true), on: 3, into: &out)
        streams.close(3)
        let onAClosedStream = streams.windowUpdate(stream: 3, increment: 100)
        #expect(onAClosedStream)
        streams.writeWaiting(into: &out)
        #expect(out.readableBytes == 0)
        // An empty DATA frame that ends a stream needs no window.
        streams.open(5)
        streams.send(.data(bytes(0), endStream: true), on: 5, into: &out)
        #expect(try frames(&out).map(\.flags) == [HTTP2Wire.Flags.endStream])
        let pastTheLimit = streams.windowUpdate(stream: 0, increment: Int(Int32.max))
        #expect(!pastTheLimit)
    }

    @Test func aHeaderBlockLongerThanAFrameContinues() throws {
        var streams = OutboundStreams()
        var out = ByteBuffer()
        streams.open(1)
        let block = [UInt8](repeating: 0x40, count: HTTP2Wire.maxFrameBytes * 2 + 10)
        streams.send(.headers(block, endStream: true), on: 1, into: &out)
        let written = try frames(&out)
        #expect(written.map(\.type) == [HTTP2Wire.FrameType.headers.rawValue, HTTP2Wire.FrameType.continuation.rawValue,
                                         HTTP2Wire.FrameType.continuation.rawValue])
        #expect(written.map { $0.has(HTTP2Wire.Flags.endHeaders) } == [false, false, true])
        #expect(written[0].has(HTTP2Wire.Flags.endStream))
        #expect(written.map(\.payload.readableBytes).reduce(0, +) == block.count)
    }

    @Test func whatWaitsIsCountedAndAReportingStreamSaysWhatLeftIt() throws {
        var streams = OutboundStreams()
        var out = ByteBuffer()
        streams.setInitialWindow(1_000)
        streams.open(1, reportingWrites: true)
        streams.open(3)
        streams.send(.data(bytes(3_000), endStream: false), on: 1, into: &out)
        streams.send(.data(bytes(2_500), endStream: false), on: 3, into: &out)
        #expect(streams.queuedBytes == 2_000 + 1_500)
        let frameCount = streams.takeFramesWritten()
        #expect(frameCount == 2)
        // Only the reporting stream's writes are reported: a relayed call's answer reaching the client.
        let first = streams.takeWritten()
        #expect(first.map(\.bytes) == [1_000])
        let opened = streams.windowUpdate(stream: 1, increment: 500)
        #expect(opened)
        streams.writeWaiting(into: &out)
        #expect(streams.queuedBytes == 1_500 + 1_500)
        let second = streams.takeWritten()
        #expect(second.map(\.bytes) == [500])
        // A reset drops what waited, and says so, so its window toward the server is not lost.
        streams.close(1)
        streams.close(3)
        #expect(streams.queuedBytes == 0)
        let dropped = streams.takeWritten()
        #expect(dropped.map(\.bytes) == [1_500])
        _ = try frames(&out)
    }
}
