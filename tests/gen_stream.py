#!/usr/bin/env python3
"""Test streams for the interop tests.

gen_stream.py script CASE     print CASE as a packet script for `codec encode`
gen_stream.py emit CASE       write CASE's output to stdout, packet by packet,
                              with its delays, the terminal in raw mode (run
                              under a recorder)
gen_stream.py output CASE     print CASE's output bytes exactly
gen_stream.py input CASE      print CASE's input bytes exactly
gen_stream.py list            print the case names
"""
import os
import sys
import time

B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

# Each case: a list of (delay ms, kind, payload); kind "o" output bytes,
# "i" input bytes, "w" window (cols, rows).
CASES = {
    "text": [(0, "w", (80, 24)), (5, "o", b"hello world\r\n"),
             (20, "o", b"second line\r\n")],
    "utf8": [(0, "w", (80, 24)),
             (5, "o", "caf\u00e9 \u20ac \U0001F600 \u2713 \ufffd\r\n".encode())],
    "invalid": [(0, "w", (80, 24)),
                (5, "o", b"bad:\xff\xfe end \xc0\xaf \xed\xa0\x80 "
                         b"\xf4\x90\x80\x80 \xe0\x80\xaf\r\n")],
    "split": [(0, "w", (80, 24)), (5, "o", b"x\xe2"), (60, "o", b"\x82"),
              (60, "o", b"\xacy\xf0\x9f"), (60, "o", b"\x98\x80z"),
              (60, "o", b"\xe2\x82"), (60, "o", b"A\r\n")],
    "controls": [(0, "w", (80, 24)),
                 (5, "o", b'"quoted" \\back\\ \x01\x02\x1b[1mbold\x1b[0m'
                          b'\x7f\t\x08\x0c\x00\r\n')],
    "window": [(0, "w", (80, 24)), (5, "o", b"before\r\n"),
               (80, "w", (132, 43)), (80, "o", b"after\r\n"),
               (80, "w", (100, 30)), (80, "o", b"end\r\n")],
    "end_mid": [(0, "w", (80, 24)), (5, "o", b"last \xf0\x9f\x98")],
    "big": [(0, "w", (80, 24))] + [
        (3, "o", bytes(B64[(i * 7 + j) % 64] for j in range(997)) + b"\r\n")
        for i in range(12)],
    "input": [(0, "w", (80, 24)), (5, "o", b"$ "), (50, "i", b"ls -l\r"),
              (50, "o", b"ls -l\r\n"), (50, "i", "\u00e9\u20ac\r".encode()),
              (50, "o", b"done\r\n")],
}


def script(name):
    ms = 0
    out = []
    for delay, kind, data in CASES[name]:
        ms += delay
        if kind == "w":
            out.append("w %d %d %d" % (ms, data[0], data[1]))
        else:
            out.append("%s %d %s" % (kind, ms, data.hex()))
    out.append("e %d" % (ms + 5))
    return "\n".join(out) + "\n"


def emit(name):
    import termios
    import tty
    if os.isatty(0):
        tty.setraw(0, termios.TCSANOW)
    for delay, kind, data in CASES[name]:
        time.sleep(delay / 1000.0)
        if kind == "o":
            os.write(1, data)
    # let the recorder read the last piece before the terminal closes, and
    # the driver type all of a case's input while the recording runs
    typed = any(kind == "i" for _, kind, _ in CASES[name])
    time.sleep(1.5 if typed else 0.2)


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "list":
        print(" ".join(CASES))
        return 0
    if len(sys.argv) != 3 or sys.argv[2] not in CASES:
        sys.stderr.write(__doc__)
        return 2
    cmd, name = sys.argv[1], sys.argv[2]
    if cmd == "script":
        sys.stdout.write(script(name))
    elif cmd == "emit":
        emit(name)
    elif cmd in ("output", "input"):
        want = "o" if cmd == "output" else "i"
        sys.stdout.buffer.write(b"".join(
            d for _, k, d in CASES[name] if k == want))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
