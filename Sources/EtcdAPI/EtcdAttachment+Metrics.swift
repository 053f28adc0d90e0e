import Cluster

extension EtcdAttachment {
    /// Starts a scrape of every member's /metrics, beside the status polls, when `metricsInterval`
    /// has passed since the last one began (always the first time) and none is in flight.
    func startScrapeIfDue() {
        let now = nowNanos()
        let interval = UInt64(metricsInterval.components.seconds) * 1_000_000_000
            + UInt64(metricsInterval.components.attoseconds / 1_000_000_000)
        let due = state.withLock { s in
            if let last = s.lastScrapeNanos, now &- last < interval { return false }
            return true
        }
        guard due else { return }
        tasks.withLock { t in
            guard t.metrics == nil else { return }
            state.withLock { $0.lastScrapeNanos = now }
            t.metrics = Task { [self] in
                await scrapeMetrics()
                tasks.withLock { $0.metrics = nil }
            }
        }
    }

    /// Scrapes every member's /metrics at once and records what each said.
    public func scrapeMetrics() async {
        let results = await withTaskGroup(of: (Int, Result<EtcdMetricsReading, MetricsScrapeError>).self) { group in
            for (i, scraper) in scrapers.enumerated() {
                group.addTask { [requestTimeout] in (i, await Self.reading(from: scraper, timeout: requestTimeout)) }
            }
            var out = [Result<EtcdMetricsReading, MetricsScrapeError>?](repeating: nil, count: scrapers.count)
            for await (i, result) in group { out[i] = result }
            return out
        }
        let now = nowNanos()
        state.withLock { s in
            for (i, result) in results.enumerated() {
                guard let result, i < s.members.count else { continue }
                switch result {
                case .success(let reading):
                    s.members[i].metrics = s.metricsHistory[i].add(reading, atNanos: now)
                    s.members[i].metricsError = nil
                case .failure(let error):
                    s.members[i].metrics = nil
                    s.members[i].metricsError = error.description
                    s.metricsHistory[i].forget()
                }
            }
        }
    }

    private static func reading(from scraper: MetricsScraper, timeout: Duration) async -> Result<EtcdMetricsReading, MetricsScrapeError> {
        do {
            let body = try await scraper.scrape(timeout: timeout)
            let text: PrometheusText
            do { text = try PrometheusText(parsing: body) } catch { return .failure(.text(error)) }
            do { return .success(try EtcdMetricsReading(text)) } catch { return .failure(.notEtcd) }
        } catch {
            return .failure(error)
        }
    }
}
