import Cluster

/// Proposal latency: a log-scale histogram, a sparkline of p99 per second, and percentiles.
enum LatencyPane {
    static let sparks: [Unicode.Scalar] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    static func render(_ snapshot: ClusterSnapshot, into canvas: inout Canvas, area: Rect) {
        guard area.height >= 3 else { return }
        let latency = snapshot.latency
        canvas.box(area, title: "latency (ms)  n=\(Format.count(latency.count)) err \(latency.errors)")
        let inner = area.inset(1)
        guard inner.height >= 1 else { return }
        let values: [(String, UInt64)] = [
            ("p50", latency.percentileMicros(50)), ("p90", latency.percentileMicros(90)), ("p99", latency.percentileMicros(99)),
            ("p99.9", latency.percentileMicros(99.9)), ("max", latency.maxMicros),
        ]
        let percentiles = values.map { "\($0.0) \(Format.millis(micros: $0.1))" }.joined(separator: " ")
        canvas.write(percentiles, x: inner.x, y: inner.y, role: .text, clip: inner)
        guard inner.height >= 2 else { return }
        let history = latency.p99History
        let sparkWidth = max(0, inner.width - 9)
        canvas.write("p99/s    ", x: inner.x, y: inner.y + 1, role: .dim, clip: inner)
        let recent = history.suffix(sparkWidth)
        let top = max(recent.max() ?? 0, 1)
        var x = inner.x + 9
        for value in recent {
            let level = value == 0 ? 0 : min(7, Int((Double(value) / Double(top) * 7).rounded()))
            canvas[x, inner.y + 1] = Cell(scalar: sparks[level], role: .bar)
            x += 1
        }
        if recent.isEmpty { canvas.write("(one mark per second)", x: x, y: inner.y + 1, role: .dim, clip: inner) }
        renderHistogram(latency, into: &canvas, area: Rect(x: inner.x, y: inner.y + 2, width: inner.width, height: inner.height - 2))
    }

    static func renderHistogram(_ latency: LatencyRecorder, into canvas: inout Canvas, area: Rect) {
        guard area.height >= 1 else { return }
        let buckets = latency.buckets(lowMicros: 250, count: 12)
        // Show the rows around the counts, at most as many as fit.
        let first = buckets.firstIndex { $0.count > 0 } ?? 0
        let last = buckets.lastIndex { $0.count > 0 } ?? min(buckets.count - 1, area.height - 1)
        var lo = first
        var hi = max(last, first)
        while hi - lo + 1 > area.height { hi -= 1 }
        while hi - lo + 1 < area.height && (lo > 0 || hi < buckets.count - 1) {
            if hi < buckets.count - 1 { hi += 1 } else { lo -= 1 }
        }
        let maxCount = max(buckets[lo...hi].map(\.count).max() ?? 0, 1)
        let labelWidth = 8
        let countWidth = 7
        let barWidth = max(0, area.width - labelWidth - countWidth)
        for (row, i) in (lo...hi).enumerated() {
            let y = area.y + row
            let bucket = buckets[i]
            let label = bucket.upperMicros == UInt64.max ? "more" : "≤" + Format.millis(micros: bucket.upperMicros)
            canvas.write(Format.padLeft(label, labelWidth - 1), x: area.x, y: y, role: .dim, clip: area)
            let filled = Double(bucket.count) / Double(maxCount) * Double(barWidth)
            let cells = Int(filled)
            for c in 0..<cells { canvas[area.x + labelWidth + c, y] = Cell(scalar: "█", role: .bar) }
            if bucket.count > 0 && cells == 0 { canvas[area.x + labelWidth, y] = Cell(scalar: "▏", role: .bar) }
            canvas.write(Format.padLeft(Format.count(bucket.count), countWidth - 1), x: area.maxX - countWidth + 1, y: y, role: .text, clip: area)
        }
    }
}
