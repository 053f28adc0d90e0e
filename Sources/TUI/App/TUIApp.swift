import Cluster
import Foundation
import Logging
import Synchronization

/// The UI loop: at `framesPerSecond`, moves the cluster on (simulated), takes a snapshot, renders
/// it and flushes what changed, and between frames handles keys. The cluster's own threads never
/// wait for it: it only samples.
public enum TUIApp {
    /// `run`, with its failure as a value: the subcommands shut their cluster down first, then
    /// report it once the terminal is restored.
    public static func outcome(controller: Controller, framesPerSecond: Int = 20) -> Result<Void, TerminalError> {
        do {
            try run(controller: controller, framesPerSecond: framesPerSecond)
            return .success(())
        } catch {
            return .failure(error)
        }
    }

    public static func run(controller: Controller, framesPerSecond: Int = 20) throws(TerminalError) {
        let terminal = try NcursesTerminal()
        defer { terminal.stop() }
        controller.logger.info("terminal: \(terminal.size.width)x\(terminal.size.height), \(terminal.colorDepth)")
        terminal.apply(theme: controller.theme)
        var themeVersion = controller.themeVersion
        let frameNanos = UInt64(1_000_000_000 / max(1, min(framesPerSecond, 60)))
        var canvas = Canvas(width: 0, height: 0)
        var lastFrame = DispatchTime.now().uptimeNanoseconds
        while !controller.state.quitRequested {
            let signal = TerminalRestore.quitSignal.load(ordering: .relaxed)
            if signal != 0 {
                controller.logger.info("quitting on signal \(signal)")
                break
            }
            let now = DispatchTime.now().uptimeNanoseconds
            // Simulated time follows the wall clock between frames, however often keys force one.
            controller.beginFrame(frameNanos: min(now - lastFrame, 4 * frameNanos))
            lastFrame = now
            let snapshot = controller.snapshot()
            controller.observe(snapshot)
            if themeVersion != controller.themeVersion {
                terminal.apply(theme: controller.theme)
                themeVersion = controller.themeVersion
            }
            let (width, height) = terminal.size
            controller.state.screenWidth = width
            controller.state.screenHeight = height
            if canvas.width != width || canvas.height != height { canvas = Canvas(width: width, height: height) }
            Screen.render(snapshot, controller.state, into: &canvas)
            terminal.draw(canvas)
            waitForKeys(terminal: terminal, controller: controller, until: now + frameNanos)
        }
    }

    /// Handles keys until `deadline`; returns early after a key so its effect shows at once.
    private static func waitForKeys(terminal: NcursesTerminal, controller: Controller, until deadline: UInt64) {
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { return }
            let millis = Int((deadline - now + 999_999) / 1_000_000)
            guard let key = terminal.readKey(timeoutMillis: millis) else { continue }
            if key == .resize || key == .control("l") { terminal.invalidate() }
            controller.handle(key)
            return
        }
    }
}
