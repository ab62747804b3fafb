#!/usr/bin/env python3
"""Run a command under a new pseudo-terminal, as a user's terminal would.

tlog_pty_run.py [--size COLSxROWS] [--case NAME] -- CMD [ARG]...

The terminal starts at --size.  With --case, the window changes ("w") and
input ("i") of that gen_stream.py case are applied to the terminal at
their times.  Output from the terminal is read and dropped.  Exits with
the command's status; fails after 60 s.
"""
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_stream  # noqa: E402


def set_size(fd, cols, rows):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def main():
    args = sys.argv[1:]
    cols, rows, case = 80, 24, None
    while args and args[0] != "--":
        if args[0] == "--size":
            cols, rows = (int(x) for x in args[1].split("x"))
            args = args[2:]
        elif args[0] == "--case":
            case = args[1]
            args = args[2:]
        else:
            sys.stderr.write(__doc__)
            return 2
    cmd = args[1:]
    if not cmd:
        sys.stderr.write(__doc__)
        return 2
    events = []
    if case:
        ms = 0
        first_window = True
        for delay, kind, data in gen_stream.CASES[case]:
            ms += delay
            if kind == "w" and first_window:
                cols, rows = data
                first_window = False
            elif kind in ("w", "i"):
                events.append((ms / 1000.0, kind, data))
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    set_size(fd, cols, rows)
    # Give the recorder time to set up before the first event
    start = time.monotonic() + 0.3
    deadline = time.monotonic() + 60
    status = None
    while True:
        now = time.monotonic()
        while events and now >= start + events[0][0]:
            _, kind, data = events.pop(0)
            if kind == "w":
                set_size(fd, *data)
            else:
                os.write(fd, data)
        if now > deadline:
            os.kill(pid, signal.SIGKILL)
            sys.stderr.write("tlog_pty_run: timed out\n")
            return 1
        r, _, _ = select.select([fd], [], [], 0.01)
        if r:
            try:
                if not os.read(fd, 65536):
                    break
            except OSError:
                break
        wpid, st = os.waitpid(pid, os.WNOHANG)
        if wpid == pid:
            status = st
            break
    if status is None:
        _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
