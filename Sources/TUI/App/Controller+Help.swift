/// Keys while help is open, the `/` filter prompt, and the keys that scroll the WAL and events
/// panes: screen-only input that never reaches the cluster.
extension Controller {
    /// Help's own keys: a pane's key opens its legend, arrows and pages scroll, q and Esc close.
    /// Ctrl-C still quits; other keys do nothing, so a stray key never acts behind the help.
    func handleHelp(_ key: Key) {
        let lines = HelpOverlay.displayLines(state.helpPage, attached: state.attached, launched: state.launched, screenColumns: state.screenWidth).count
        let page = HelpOverlay.visibleLines(screenRows: state.screenHeight)
        let maxScroll = HelpOverlay.maxScroll(lineCount: lines, screenRows: state.screenHeight)
        func scroll(by delta: Int) { state.helpScroll = min(max(0, state.helpScroll + delta), maxScroll) }
        switch key {
        case .escape, .character("q"): state.helpVisible = false
        case .control("c"): state.quitRequested = true
        case .control("l"), .resize: break
        case .up, .character("k"): scroll(by: -1)
        case .down, .character("j"), .enter: scroll(by: 1)
        case .pageUp, .character("b"): scroll(by: -page)
        case .pageDown, .character(" "): scroll(by: page)
        case .home: state.helpScroll = 0
        case .end, .character("G"): state.helpScroll = maxScroll
        case .backspace: open(.index)
        case .character(let c):
            if let target = HelpPage.page(forKey: c) { open(target) }
        default: break
        }
    }

    private func open(_ page: HelpPage) {
        state.helpPage = page
        state.helpScroll = 0
    }

    /// The `/` prompt: Enter sets the filter (empty clears it), Esc clears it.
    func handleFilter(_ key: Key) {
        switch state.filterLine.handle(key) {
        case .editing: break
        case .cancelled:
            state.filterOpen = false
            setFilter("")
        case .submitted(let text):
            state.filterOpen = false
            setFilter(text)
        }
    }

    func setFilter(_ text: String) {
        state.filter = text
        state.walScroll = 0
        state.eventsScroll = 0
        report(text.isEmpty ? "filter cleared" : "WAL and events filtered by '\(text)' (/ then esc clears)")
    }

    /// Keys of the panes themselves: `/` filter, PgUp/PgDn events, `{` `}` WAL, End newest, Esc
    /// clears a filter. False when `key` is not one of them.
    func handlePaneKey(_ key: Key) -> Bool {
        let step = max(1, state.screenHeight / 4)
        switch key {
        case .character("/"):
            state.filterOpen = true
            state.filterLine = CommandLineEditor()
        case .pageUp: state.eventsScroll += step
        case .pageDown: state.eventsScroll = max(0, state.eventsScroll - step)
        case .character("{"): state.walScroll += step
        case .character("}"): state.walScroll = max(0, state.walScroll - step)
        case .end:
            state.walScroll = 0
            state.eventsScroll = 0
        case .escape where !state.filter.isEmpty:
            setFilter("")
        default: return false
        }
        return true
    }
}
