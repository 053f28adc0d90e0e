import Cluster
import Logging

extension Controller {
    /// Starts a tour in a simulated cluster of its own, as many members as this one (3 to 7),
    /// whatever this cluster is doing; leaving the tour comes back to it.
    func startTour(_ kind: TourKind) {
        let members = min(max(source.memberCount, TourDriver.memberRange.lowerBound), TourDriver.memberRange.upperBound)
        do throws(TourError) {
            let cluster = try TourDriver.makeCluster(members: members, seed: 1)
            let driver: TourDriver
            do throws(TourError) {
                driver = try TourDriver(kind: kind, cluster: cluster, ownsCluster: true)
            } catch {
                cluster.shutdown()
                throw error
            }
            begin(driver, quitsAtEnd: false)
        } catch {
            report("tour: \(error)", .error)
        }
    }

    /// Gives the tour `driver` runs, from its first stage. With `quitsAtEnd` (`rafttop tour`),
    /// leaving the tour quits rafttop.
    public func begin(_ driver: TourDriver, quitsAtEnd: Bool) {
        leaveTour()
        tour = driver
        quitsWhenTourEnds = quitsAtEnd
        // Between stops the tour's cluster stands still, and the header says so.
        pausedBeforeTour = state.paused
        state.paused = true
        state.helpVisible = false
        state.commandLineOpen = false
        // The trace pane shows the tour's put, not what was pinned or seen in this cluster.
        traceStateBeforeTour = (state.pinnedTrace, state.traceCursor, state.seenTraces)
        (state.pinnedTrace, state.traceCursor, state.seenTraces) = (nil, nil, [])
        logger.info("tour \(driver.kind.rawValue): \(driver.stages.count) stages")
        moveTour(forward: true)
    }

    /// Keys while a tour runs; false for the keys it leaves to the screen (redraw).
    func handleTourKey(_ key: Key) -> Bool {
        switch key {
        case .character(" "), .character("n"), .enter, .right: moveTour(forward: true)
        case .character("b"), .left, .backspace: moveTour(forward: false)
        case .character("q"), .escape: leaveTour()
        case .control("c"):
            leaveTour()
            state.quitRequested = true
        case .resize, .control("l"): return false
        default: report("in the tour: space or n next, b back, q leaves", .warning)
        }
        return true
    }

    private func moveTour(forward: Bool) {
        guard let tour else { return }
        if forward {
            if tour.isAtEnd { return report("last stage: b back, q leaves") }
            do throws(TourError) {
                try tour.next()
            } catch {
                report("tour: \(error)", .error)
            }
        } else if !tour.back() {
            report("this is the first stage", .warning)
        }
        state.tour = tour.view
        if let view = state.tour {
            if let pane = view.areas.lazy.compactMap(TourOverlay.detailPane).first { state.detailPane = pane }
            state.status = StatusMessage("tour: stage \(view.stageNumber) of \(view.stageCount): \(view.functions)")
        }
    }

    /// Ends the tour, if one runs: back to the cluster as it was, or out of `rafttop tour`.
    func leaveTour() {
        guard let driver = tour else { return }
        tour = nil
        state.tour = nil
        state.paused = pausedBeforeTour
        (state.pinnedTrace, state.traceCursor, state.seenTraces) = traceStateBeforeTour
        traceStateBeforeTour = (nil, nil, [])
        driver.close()
        if quitsWhenTourEnds {
            state.quitRequested = true
        } else {
            report("left the tour of \(driver.kind.title)")
        }
    }
}
