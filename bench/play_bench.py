#!/usr/bin/env python3
"""Dumping speed of tlog-play: ours against the reference, same recording.

bench/play_bench.py BUILD_DIR [MB] [ROUNDS]

1. The reference recorder records `cat` of MB megabytes of base64 text
   under a PTY.  Both players dump it (--goto=end) to a file; the best
   wall time of ROUNDS runs each; both outputs must be the recorded bytes
   (the reference adds its 12-byte trailer).
2. A recording of 2 MB of random binary output: ours must dump it
   byte-exact in under 10 s (the reference is timed with a 60 s cap).
"""
import os
import pty
import subprocess
import sys
import tempfile
import time

TRAILER = b"\x1b[0m\x1b[?25h\n\x00"


def record(argv):
    """Run argv under a PTY; return the bytes the terminal showed."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    shown = bytearray()
    while True:
        try:
            data = os.read(fd, 1 << 20)
        except OSError:
            break
        if not data:
            break
        shown += data
    os.waitpid(pid, 0)
    return bytes(shown)


def dump(argv, out, timeout):
    """Run a player to out with a silent stdin; return seconds or None.

    posix_spawn, from a process that holds no large data, so the time is
    the player's."""
    r, w = os.pipe()
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    start = time.monotonic()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[
        (os.POSIX_SPAWN_DUP2, r, 0), (os.POSIX_SPAWN_DUP2, fd, 1)])
    took = None
    while time.monotonic() - start < timeout:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            took = time.monotonic() - start
            if os.waitstatus_to_exitcode(status) != 0:
                sys.exit("%s failed" % argv)
            break
        time.sleep(0.001)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    for f in (r, w, fd):
        os.close(f)
    return took


def same(path, data_path, extra=b""):
    """Whether the file at path is the file at data_path plus extra."""
    n = os.path.getsize(data_path)
    if os.path.getsize(path) != n + len(extra):
        return False
    with open(path, "rb") as a, open(data_path, "rb") as b:
        left = n
        while left > 0:
            k = min(left, 1 << 20)
            if a.read(k) != b.read(k):
                return False
            left -= k
        return a.read() == extra


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "."
    mb = int(sys.argv[2]) if len(sys.argv) > 2 else 37
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    ours = os.path.abspath(os.path.join(build, "play", "tlog-play"))
    tmp = tempfile.mkdtemp(prefix="play_bench.")
    data = os.path.join(tmp, "data")
    rec = os.path.join(tmp, "rec.json")
    out = os.path.join(tmp, "out")
    with open(data, "wb") as f:
        subprocess.run("head -c %d /dev/urandom | base64" % (mb * 3 // 4 * 10**6),
                       shell=True, stdout=f, check=True)
    shown = record(["/usr/bin/tlog-rec", "-o", rec, "cat", data])
    # the reference recorder writes "\r\n" to the terminal as it ends
    want = os.path.join(tmp, "want")
    with open(want, "wb") as f:
        f.write(shown[:-2] if shown.endswith(b"\r\n\r\n") else shown)
    want_len = len(shown)
    del shown
    size = os.path.getsize(rec)
    lines = sum(1 for _ in open(rec, "rb"))
    best = {}
    for _ in range(rounds):
        for name, argv, extra in (
                ("ours", [ours, "--goto=end", "-i", rec], b""),
                ("reference", ["/usr/bin/tlog-play", "--goto=end", "-i", rec],
                 TRAILER)):
            t = dump(argv, out, 600)
            if t is None or not same(out, want, extra):
                sys.exit("%s: output differs from the recorded bytes" % name)
            best[name] = min(best.get(name, 1e9), t)
    print("recording: %.1f MB of base64 text recorded by the reference,"
          " %d messages, %.1f MB of JSON" % (want_len / 1e6, lines,
                                             size / 1e6))
    for name in ("ours", "reference"):
        print("%-10s dump --goto=end: %.2f s" % (name, best[name]))
    print("ours/reference wall time: %.2f (goal <= 0.5)" %
          (best["ours"] / best["reference"]))

    # 2 MB of random binary output
    data2 = os.path.join(tmp, "bin")
    rec2 = os.path.join(tmp, "bin.json")
    subprocess.run(["head", "-c", "2000000", "/dev/urandom"],
                   stdout=open(data2, "wb"), check=True)
    # raw mode on the inner terminal, so the bytes are recorded as written
    record([os.path.join(build, "rec", "tlog-rec"), "-o", rec2,
                    "sh", "-c", "stty raw -echo; cat " + data2])
    t = dump([ours, "--goto=end", "-i", rec2], out, 60)
    ok = t is not None and same(out, data2)
    print("2 MB random binary: ours %s in %s s (goal < 10 s)" %
          ("byte-exact" if ok else "WRONG", "%.2f" % t if t else ">60"))
    t = dump(["/usr/bin/tlog-play", "--goto=end", "-i", rec2], out, 60)
    print("2 MB random binary: reference %s" %
          ("%.2f s" % t if t is not None else "did not finish in 60 s"))
    subprocess.run(["rm", "-rf", tmp])
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
