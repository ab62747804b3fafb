#!/usr/bin/env python3
"""tlog-web's snapshots, judged by an independent terminal emulator.

Real programs run under a PTY (ls and top in colour, printf with
colours, wide and combining characters, vim and less full-screen,
window changes with SIGWINCH); their output is kept as timed events,
with the keys typed and the window changes.  tests/vt_replay runs the
events through the snapshot index (web/snap.c) and prints its
snapshots.  Then, in pyte (python3-pyte), for every snapshot and for 20
random times T, the snapshot before T plus the events after it up to T
must give the screen that all events up to T give: the same text, the
cursor, each cell's colours and attributes, the modes, the scroll
region and the title.

pyte has no alternate screen: AltScreen below adds DECSET 47, 1047 and
1049 the way xterm has them, and takes CSI r and CSI > Ps m as xterm
does (pyte 0.8 keeps the old bottom margin, and sets underline).
"""
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from progtest import BUILD, case, check, run_cases, tmp  # noqa: E402
from ptyterm import Term  # noqa: E402

try:
    import pyte
except ImportError:
    # the system's package, under another python3 than the system's
    sys.path.append("/usr/lib/python3/dist-packages")
    import pyte
from pyte import graphics, modes  # noqa: E402

REPLAY = os.path.join(BUILD, "tests", "vt_replay")
SEED = int(os.environ.get("VT_TEST_SEED", "0")) or random.randrange(1, 1 << 30)


class Recording(Term):
    """A program under a PTY; what it shows, what is typed and window
    changes are kept as events: ("o", ms, bytes), ("i", ms, bytes),
    ("w", ms, rows, cols)."""

    def __init__(self, argv, cols, rows, env):
        self.t0 = time.monotonic()
        self.events = []
        super().__init__(argv, cols=cols, rows=rows, env=env)

    def ms(self):
        return int((time.monotonic() - self.t0) * 1000)

    def resize(self, cols, rows):
        super().resize(cols, rows)
        self.events.append(("w", self.ms(), rows, cols))
        if getattr(self, "pid", None):
            # the kernel signals the foreground group too; sh may have
            # started it without a handler yet
            try:
                os.killpg(os.tcgetpgrp(self.fd), signal.SIGWINCH)
            except OSError:
                pass

    def send(self, data):
        self.events.append(("i", self.ms(), data))
        super().send(data)

    def pump(self, seconds):
        import select
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([self.fd], [], [], min(left, 0.05))
            if not r:
                continue
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                data = b""
            if not data:
                time.sleep(min(left, 0.05))
                continue
            self.events.append(("o", self.ms(), data))
            self.screen += data


def write_files(d):
    with open(os.path.join(d, "file.txt"), "w") as f:
        for i in range(200):
            f.write("line %d of the file: %s\n" % (
                i, "\u4e2d\u6587 wide" if i % 7 == 0 else "plain words"))
    with open(os.path.join(d, "colours.txt"), "w") as f:
        for i in range(120):
            f.write("\033[%dm colour %d \033[0m \033[38;5;%dmindexed\033[0m "
                    "\033[1;4mbold under\033[0m\n" % (31 + i % 7, i, i))


SCRIPT = r"""
ls --color=always -l /usr/bin | head -40
printf '\033[1;31mbold red\033[0m \033[38;5;208morange\033[0m '
printf '\033[38;2;10;200;30mrgb\033[0m \033[4;7munder rev\033[0m\n'
printf 'wide: \344\270\255\346\226\207 combining: e\314\201 done\n'
top -b -n1 -w 100 | head -30
printf '\033[?2004h\033[?1h\033]2;a title\007'
echo; echo SYNC1; read x
stty size
ls --color=always /usr/lib | head -50
printf '\033[44m\033[2K blue bar \033[0m\n'
echo SYNC2; read x
%s -u NONE -N -i NONE file.txt
less -R colours.txt
printf '\033[H\033[2J'
echo SYNC3; read x
ls --color=always /
printf '\033[5;15r\033[10;1H\033[33m'
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "in region $i"; done
printf '\033[r\033[0m%%s' 012345678901234567890123456789012345678901234567890123456789
sleep 0.3
printf 'wrapped\n\033[?2004l\033[?1l'
echo END
"""


def record():
    """Run the session; its events"""
    d = os.path.join(tmp, "vt_session")
    os.makedirs(d, exist_ok=True)
    write_files(d)
    vim = shutil.which("vim") or shutil.which("vim.tiny") or shutil.which("vi")
    check(vim is not None, "no vim, vim.tiny or vi to run full-screen")
    env = {"PATH": "/usr/bin:/bin", "TERM": "xterm", "LANG": "C.UTF-8",
           "LC_ALL": "C.UTF-8", "HOME": d}
    script = SCRIPT % vim
    t = Recording(["sh", "-c", "cd %s && %s" % (d, script)], 80, 24, env)
    try:
        check(t.wait_for(b"SYNC1"), "session did not reach SYNC1: %r"
              % t.screen[-300:])
        t.pump(0.2)
        t.resize(100, 30)
        t.send(b"\n")
        check(t.wait_for(b"SYNC2"), "session did not reach SYNC2")
        t.send(b"\n")
        check(t.wait_for(b"line 5 of"), "vim did not show the file")
        t.pump(0.3)
        t.send(b"G")
        t.pump(0.3)
        t.resize(120, 35)
        t.pump(0.5)
        t.send(b"gg")
        t.pump(0.3)
        t.send(b":q!\r")
        check(t.wait_for(b"indexed"), "less did not show the file")
        t.pump(0.3)
        t.send(b" ")
        t.pump(0.3)
        t.send(b"q")
        check(t.wait_for(b"SYNC3"), "session did not reach SYNC3")
        t.pump(0.2)
        t.resize(60, 35)
        t.send(b"\n")
        check(t.wait_for(b"END"), "session did not end")
        t.finish()
    finally:
        if t.poll() is None:
            os.kill(t.pid, signal.SIGKILL)
            t.finish()
        t.close()
    return t.events


def replay(events, interval, nbytes, queries):
    """vt_replay's snapshots [(pos, seq, rows, cols, esc, text)] and
    its answers {ms: index} to queries"""
    lines = ["c %d %d 24 80" % (interval, nbytes)]
    for e in events:
        if e[0] == "o":
            lines.append("o %d %s" % (e[1], e[2].hex()))
        elif e[0] == "i":
            lines.append("i %d" % e[1])
        else:
            lines.append("w %d %d %d" % (e[1], e[2], e[3]))
    lines += ["q %d" % q for q in queries]
    p = subprocess.run([REPLAY], input="\n".join(lines).encode() + b"\n",
                       capture_output=True, timeout=120)
    check(p.returncode == 0, "vt_replay failed: %s" % p.stderr.decode())
    snaps, found, count = [], {}, None
    for ln in p.stdout.decode().splitlines():
        f = ln.split()
        if f[0] == "s":
            unhex = (lambda h: b"" if h == "-" else bytes.fromhex(h))
            snaps.append((int(f[2]), int(f[3]), int(f[4]), int(f[5]),
                          unhex(f[6]), unhex(f[7]).decode()))
        elif f[0] == "f":
            found[int(f[1])] = int(f[2])
        else:
            count = int(f[1])
    check(count == len(events), "vt_replay counted %r events of %d"
          % (count, len(events)))
    return snaps, found


class AltScreen(pyte.Screen):
    """pyte's screen with xterm's alternate screen (DECSET 47, 1047,
    1049: 1049 saves the cursor first and clears the alternate one)"""

    ALT = (47, 1047, 1049)

    def __init__(self, columns, lines):
        super().__init__(columns, lines)
        self.normal = None

    def set_mode(self, *ms, **kw):
        if kw.get("private"):
            for m in ms:
                if m in self.ALT and self.normal is None:
                    if m == 1049:
                        self.save_cursor()
                    self.normal = {y: dict(self.buffer[y])
                                   for y in range(self.lines)}
                    if m != 47:
                        self.erase_in_display(2)
            ms = [m for m in ms if m not in self.ALT]
        super().set_mode(*ms, **kw)

    def reset_mode(self, *ms, **kw):
        if kw.get("private"):
            for m in ms:
                if m in self.ALT and self.normal is not None:
                    if m != 47:
                        self.erase_in_display(2)
                    self.buffer.clear()
                    for y, line in self.normal.items():
                        if y < self.lines:
                            self.buffer[y].update(
                                (x, c) for x, c in line.items()
                                if x < self.columns)
                    self.normal = None
                    if m == 1049:
                        self.restore_cursor()
            ms = [m for m in ms if m not in self.ALT]
        super().reset_mode(*ms, **kw)

    def reset(self):
        super().reset()
        self.normal = None

    def set_margins(self, top=None, bottom=None):
        # as xterm: a parameter missing or 0 is the top or bottom line
        # (pyte takes CSI r as CSI 0 r, keeping the old bottom); without
        # any (from resize()) pyte's own
        if top is None and bottom is None:
            super().set_margins()
        else:
            super().set_margins(top or 1, bottom or self.lines)

    def select_graphic_rendition(self, *attrs, **kw):
        # CSI > Ps m sets xterm's key modifiers (vim sends it), not SGR
        if not kw.get("private"):
            super().select_graphic_rendition(*attrs)


# What pyte 0.8 cannot parse: device control strings (and APC, PM,
# SOS), shown by it as text, and control sequences with intermediate
# bytes (vim sends DCS zz ST and CSI 0 % m to probe the terminal)
UNPARSED = re.compile(rb"\x1b[P_^X][^\x07\x1b]*(?:\x07|\x1b\\)|"
                      rb"\x1b\[[0-?]*[ -/]+[@-~]")
OPEN = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*|[P_^X][^\x07\x1b]*)?")


class Stream:
    """pyte's byte stream, without what pyte cannot parse, which
    xterm would not show either; a sequence may be split across
    feeds"""

    def __init__(self, scr):
        self.inner = pyte.ByteStream(scr)
        self.held = b""

    def feed(self, data):
        data = self.held + data
        self.held = b""
        last = data.rfind(b"\x1b")
        if last >= 0 and OPEN.fullmatch(data, last):
            data, self.held = data[:last], data[last:]
        self.inner.feed(UNPARSED.sub(b"", data))


def new_screen(cols, rows):
    scr = AltScreen(cols, rows)
    return scr, Stream(scr)


def play(scr, stream, events):
    for e in events:
        if e[0] == "o":
            stream.feed(e[2])
        elif e[0] == "w":
            scr.resize(e[2], e[3])


NAMES = {}
for _i, _n in list(graphics.FG_ANSI.items()) + list(graphics.BG_ANSI.items()):
    if 30 <= _i <= 37 or 40 <= _i <= 47:
        NAMES[_n] = _i % 10
# aixterm's bright colours (90-97) have the names of the first eight
BRIGHT = {graphics.FG_BG_256[i]: i % 8 for i in range(16)}


def colour(c):
    """pyte's colour as something comparable: the 16 ANSI colours by
    their number 0-7 (pyte names 31 and 91 alike), others as hex"""
    if c == "default":
        return c
    if c in NAMES:
        return NAMES[c]
    return BRIGHT.get(c, c)


def shown(c):
    """A cell's character, colours and attributes as far as they show:
    a blank on the default background, neither reversed, underlined nor
    struck through, shows no foreground, bold or italics"""
    if c.data == " " and c.bg == "default" and not (
            c.reverse or c.underscore or c.strikethrough):
        return (" ", "default", "default", False, False, False, False, False)
    return (c.data, colour(c.fg), colour(c.bg), c.bold, c.italics,
            c.underscore, c.strikethrough, c.reverse)


CARRIED = [m << 5 for m in (1, 5, 6, 7, 25, 1000, 1002, 1003, 1004, 1005,
                            1006, 1015, 2004)]


def state(scr):
    """All that a snapshot must carry, as pyte sees it"""
    cells = []
    for y in range(scr.lines):
        line = scr.buffer[y]
        cells.append([shown(line[x]) for x in range(scr.columns)])
    margins = scr.margins or pyte.screens.Margins(0, scr.lines - 1)
    return {"display": scr.display, "cells": cells,
            "cursor": (scr.cursor.x, scr.cursor.y, scr.cursor.hidden),
            "modes": sorted(m for m in CARRIED if m in scr.mode),
            "margins": tuple(margins), "title": scr.title,
            "size": (scr.lines, scr.columns), "alt": scr.normal is not None}


def differences(a, b):
    """What differs between two state() results, briefly"""
    why = []
    for k in a:
        if a[k] == b[k]:
            continue
        if k == "cells":
            for y, (ra, rb) in enumerate(zip(a[k], b[k])):
                for x, (ca, cb) in enumerate(zip(ra, rb)):
                    if ca != cb:
                        why.append("cell %d,%d: %r vs %r" % (y, x, ca, cb))
                        break
                if len(why) > 3:
                    break
        elif k == "display":
            for y, (la, lb) in enumerate(zip(a[k], b[k])):
                if la != lb:
                    why.append("line %d: %r vs %r" % (y, la, lb))
                    break
        else:
            why.append("%s: %r vs %r" % (k, a[k], b[k]))
    return "; ".join(why[:4])


class Session:
    events = None


def session():
    if Session.events is None:
        Session.events = record()
    return Session.events


def seek_check(interval, nbytes, min_snaps):
    events = session()
    end = max(e[1] for e in events)
    rnd = random.Random(SEED)
    randoms = sorted(rnd.randrange(0, end + 1) for _ in range(20))
    snaps, _ = replay(events, interval, nbytes, [])
    times = sorted(set([s[0] for s in snaps] + randoms))
    snaps, found = replay(events, interval, nbytes, times)
    check(len(snaps) >= min_snaps, "only %d snapshots" % len(snaps))
    check(snaps[0][:2] == (0, 0), "the first snapshot is not at 0: %r"
          % (snaps[0][:2],))
    checked = 0
    for t in times:
        want = max(i for i, s in enumerate(snaps) if s[0] <= t)
        check(found[t] == want, "at %d ms snap_find says snapshot %d, "
              "the last one at or before it is %d" % (t, found[t], want))
        pos, seq, rows, cols, esc, text = snaps[want]
        scr, st = new_screen(80, 24)
        play(scr, st, [e for e in events if e[1] <= t])
        whole = state(scr)
        scr, st = new_screen(cols, rows)
        st.feed(esc)
        # the snapshot's own text is what the screen shows then
        snap_shown = [ln.rstrip() for ln in scr.display]
        # pyte joins a combining mark to its base (NFC)
        lines = [unicodedata.normalize("NFC", ln) for ln in text.split("\n")]
        check(snap_shown == lines, "snapshot %d: its text differs from its "
              "screen: %r" % (want, [(y, a, b) for y, (a, b) in
                                     enumerate(zip(lines, snap_shown))
                                     if a != b][:2] or (lines, snap_shown)))
        play(scr, st, [e for i, e in enumerate(events)
                       if i >= seq and e[1] <= t])
        sought = state(scr)
        check(whole == sought,
              "at %d ms from snapshot %d (at %d ms, seq %d; seed %d): %s"
              % (t, want, pos, seq, SEED, differences(whole, sought)))
        checked += 1
    return checked, len(snaps)


@case("session_recorded")
def _():
    events = session()
    kinds = [e[0] for e in events]
    check(kinds.count("w") >= 4, "window changes missing: %r" % kinds)
    out = b"".join(e[2] for e in events if e[0] == "o")
    for what in (b"\033[?1049h", b"\033[38;5;208m", b"\xe4\xb8\xad",
                 b"in region 12", b"END"):
        check(what in out, "the session's output lacks %r" % what)


@case("seek_small_thresholds")
def _():
    # a snapshot every 100 ms or 2 KiB: inside vim, less, the region
    checked, n = seek_check(100, 2048, 8)
    print("  %d times checked against %d snapshots (seed %d)"
          % (checked, n, SEED))


@case("seek_default_thresholds")
def _():
    seek_check(5000, 16384, 2)


@case("snapshot_after_every_event")
def _():
    # each snapshot alone against the events before it, all of them
    events = session()
    snaps, _ = replay(events, 0, 1, [])
    check(len(snaps) > len(events) // 2, "only %d snapshots of %d events"
          % (len(snaps), len(events)))
    scr, st = new_screen(80, 24)
    fed = 0
    for i, (pos, seq, rows, cols, esc, text) in enumerate(snaps):
        play(scr, st, events[fed:seq])
        fed = seq
        alone, alone_st = new_screen(cols, rows)
        alone_st.feed(esc)
        check(state(scr) == state(alone), "snapshot %d (at %d ms, seq %d) "
              "differs from the events before it: %s"
              % (i, pos, seq, differences(state(scr), state(alone))))


@case("seek_time_only")
def _():
    seek_check(50, 0, 10)


if __name__ == "__main__":
    sys.exit(run_cases("vt_test", sys.argv[1:]))
