#!/usr/bin/env python3
"""Turns a terminal capture with SGR colour codes (tmux capture-pane -e -p) into an SVG image.

Usage: ansi-to-svg.py CAPTURE.txt OUT.svg [--columns 120] [--rows 40]
Only the standard library: the screenshot in the README is made from a real run with it.
"""
import argparse
import html
import re
import sys

BASE16 = [
    "#1c1c1c", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
    "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff",
]
DEFAULT_FG = "#d0d0d0"
DEFAULT_BG = "#1c1c1c"


def xterm256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    level = 8 + 10 * (n - 232)
    return "#%02x%02x%02x" % (level, level, level)


class Style:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = False
        self.dim = False
        self.reverse = False

    def key(self):
        return (self.fg, self.bg, self.bold, self.dim, self.reverse)

    def apply(self, params):
        codes = [int(p) if p else 0 for p in params.split(";")] if params else [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                self.reset()
            elif c == 1:
                self.bold = True
            elif c == 2:
                self.dim = True
            elif c == 7:
                self.reverse = True
            elif c == 22:
                self.bold = self.dim = False
            elif c == 27:
                self.reverse = False
            elif 30 <= c <= 37:
                self.fg = BASE16[c - 30]
            elif 90 <= c <= 97:
                self.fg = BASE16[c - 90 + 8]
            elif 40 <= c <= 47:
                self.bg = BASE16[c - 40]
            elif 100 <= c <= 107:
                self.bg = BASE16[c - 100 + 8]
            elif c == 39:
                self.fg = None
            elif c == 49:
                self.bg = None
            elif c in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    colour = xterm256(codes[i + 2])
                    i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    colour = "#%02x%02x%02x" % tuple(codes[i + 2:i + 5])
                    i += 4
                else:
                    colour = None
                if c == 38:
                    self.fg = colour
                else:
                    self.bg = colour
            i += 1


SGR = re.compile(r"\x1b\[([0-9;]*)m")
OTHER_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-ln-z]")


def parse(text, columns, rows):
    """Returns rows of cells (character, style key)."""
    screen = []
    style = Style()
    for line in text.split("\n")[:rows]:
        line = OTHER_ESCAPE.sub("", line)
        cells = []
        position = 0
        for match in SGR.finditer(line):
            for ch in line[position:match.start()]:
                cells.append((ch, style.key()))
            style.apply(match.group(1))
            position = match.end()
        for ch in line[position:]:
            cells.append((ch, style.key()))
        cells = cells[:columns]
        cells += [(" ", (None, None, False, False, False))] * (columns - len(cells))
        screen.append(cells)
    while len(screen) < rows:
        screen.append([(" ", (None, None, False, False, False))] * columns)
    return screen


def render(screen, columns, rows):
    cell_w, cell_h = 8.4, 17
    width, height = int(columns * cell_w) + 16, int(rows * cell_h) + 16
    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">' % (width, height, width, height),
        '<rect width="100%%" height="100%%" fill="%s" rx="6"/>' % DEFAULT_BG,
        '<g font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14" xml:space="preserve">',
    ]
    for y, cells in enumerate(screen):
        x = 0
        while x < columns:
            key = cells[x][1]
            start = x
            while x < columns and cells[x][1] == key:
                x += 1
            fg, bg, bold, dim, reverse = key
            fg = fg or DEFAULT_FG
            if reverse:
                fg, bg = (bg or DEFAULT_BG), fg
            px, py = 8 + start * cell_w, 8 + y * cell_h
            if bg:
                out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%d" fill="%s"/>' % (px, py, (x - start) * cell_w, cell_h, bg))
            text = "".join(ch for ch, _ in cells[start:x])
            if text.strip():
                attributes = ' font-weight="bold"' if bold else ""
                attributes += ' opacity="0.6"' if dim else ""
                out.append('<text x="%.1f" y="%.1f" fill="%s"%s textLength="%.1f">%s</text>'
                           % (px, py + 13, fg, attributes, (x - start) * cell_w, html.escape(text)))
    out.append("</g></svg>")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("capture")
    parser.add_argument("output")
    parser.add_argument("--columns", type=int, default=120)
    parser.add_argument("--rows", type=int, default=40)
    args = parser.parse_args()
    if not 1 <= args.columns <= 1000 or not 1 <= args.rows <= 1000:
        sys.exit("ansi-to-svg: --columns and --rows must be between 1 and 1000")
    with open(args.capture, encoding="utf-8", errors="replace") as f:
        text = f.read()
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(render(parse(text, args.columns, args.rows), args.columns, args.rows))


if __name__ == "__main__":
    main()
