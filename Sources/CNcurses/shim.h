// The parts of ncursesw that Swift cannot import as they are: function-like macros (COLOR_PAIR,
// the A_* attributes) and mutable globals (LINES, COLS, stdscr), wrapped in static inline
// functions. Only the TUI's ncurses backend uses this module.
#ifndef RAFTTOP_CNCURSES_SHIM_H
#define RAFTTOP_CNCURSES_SHIM_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif

#include <locale.h>
#include <ncursesw/curses.h>
#include <ncursesw/term.h>
#include <stdio.h>
#include <wchar.h>

static inline int rt_lines(void) { return LINES; }
static inline int rt_cols(void) { return COLS; }
static inline int rt_colors(void) { return COLORS; }
static inline int rt_color_pairs(void) { return COLOR_PAIRS; }
static inline WINDOW *rt_stdscr(void) { return stdscr; }

static inline attr_t rt_color_pair(short pair) { return (attr_t)COLOR_PAIR(pair); }
static inline attr_t rt_a_normal(void) { return A_NORMAL; }
static inline attr_t rt_a_bold(void) { return A_BOLD; }
static inline attr_t rt_a_dim(void) { return A_DIM; }
static inline attr_t rt_a_underline(void) { return A_UNDERLINE; }
static inline attr_t rt_a_reverse(void) { return A_REVERSE; }

static inline int rt_key_resize(void) { return KEY_RESIZE; }
static inline int rt_key_code_yes(void) { return KEY_CODE_YES; }
static inline int rt_err(void) { return ERR; }
static inline int rt_key_mouse(void) { return KEY_MOUSE; }

/// Asks for presses of the first mouse button, reported at once (no wait to tell a click from
/// a double click).
static inline void rt_enable_mouse(void) {
    mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED, NULL);
    mouseinterval(0);
}

/// After KEY_MOUSE: the cell of the event, and 1 when it was a first-button press or click.
static inline int rt_read_click(int *x, int *y) {
    MEVENT event;
    if (getmouse(&event) != OK) return 0;
    if (!(event.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED))) return 0;
    *x = event.x;
    *y = event.y;
    return 1;
}

/// Sets the locale from the environment so ncursesw reads and writes UTF-8.
static inline void rt_setlocale_from_environment(void) { setlocale(LC_ALL, ""); }

/// A terminfo string capability, or NULL when the terminal lacks it.
static inline const char *rt_terminfo_string(const char *name) {
    char *value = tigetstr((char *)name);
    if (value == NULL || value == (char *)-1) return NULL;
    return value;
}

/// Starts ncurses on standard output and input for the terminal $TERM names; NULL when terminfo
/// does not know it (where initscr would print a message and exit).
static inline SCREEN *rt_newterm(void) { return newterm(NULL, stdout, stdin); }

/// Reads one key: returns OK (a character), KEY_CODE_YES (a function key) or ERR (none in time).
static inline int rt_get_wch(wint_t *key) { return wget_wch(stdscr, key); }

/// Draws `count` bytes of UTF-8 at (y, x) with the attributes and colour pair given.
static inline void rt_draw(int y, int x, const char *utf8, int count, attr_t attributes, short pair) {
    wattr_set(stdscr, attributes, pair, NULL);
    mvwaddnstr(stdscr, y, x, utf8, count);
}
#endif
