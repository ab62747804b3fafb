#!/usr/bin/env python3
"""Recording speed through a real PTY: ours, the reference, script(1).

bench/rec_bench.py BUILD_DIR [MB] [ROUNDS]

Each recorder runs `cat FILE` (FILE: MB megabytes of base64 text) under a
new PTY read by this script, as a terminal would.  Reports the best wall
time of ROUNDS runs and the peak RSS of the recorder, the ratios of ours
to the reference and to script, the floor (cat alone under the same
terminal, no recorder), and checks that both recordings decode
to exactly the bytes the terminal showed.
"""
import os
import pty
import subprocess
import sys
import tempfile
import time


def run_pty(argv, stats=None):
    """Run argv under a PTY, reading all output.

    Timed runs (stats given) read in large blocking reads and keep
    nothing, so the terminal side costs as little as it can; they return
    (seconds, peak RSS KiB, CPU seconds).  RSS and CPU come from GNU time,
    whose child is forked from a small process: a child forked from
    Python would carry Python's memory high-water mark.  Without stats,
    returns the bytes shown, for checking the recording.
    """
    start = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        if stats:
            argv = ["/usr/bin/time", "-o", stats, "-f", "%M %U %S"] + argv
        os.execvp(argv[0], argv)
    shown = bytearray()
    while True:
        try:
            data = os.read(fd, 1 << 20)
        except OSError:
            break
        if not data:
            break
        if not stats:
            shown += data
    _, status = os.waitpid(pid, 0)
    took = time.monotonic() - start
    os.close(fd)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("%s failed" % argv)
    if not stats:
        return bytes(shown)
    with open(stats) as f:
        rss, user, system = f.read().split()
    return took, int(rss), float(user) + float(system)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "."
    mb = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    ours = os.path.join(build, "rec", "tlog-rec")
    codec = os.path.join(build, "tests", "codec")
    tmp = tempfile.mkdtemp(prefix="rec_bench.")
    data = os.path.join(tmp, "data")
    with open(data, "wb") as f:
        subprocess.run("head -c %d /dev/urandom | base64" % (mb * 3 // 4 * 10**6),
                       shell=True, stdout=f, check=True)
    size = os.path.getsize(data)
    out = os.path.join(tmp, "rec.json")
    setups = [
        ("ours", [ours, "-o", out, "cat", data]),
        ("reference", ["/usr/bin/tlog-rec", "-o", out, "cat", data]),
        ("script", ["script", "-q", "-c", "cat " + data, out]),
        # No recorder: cat straight into the terminal, one PTY instead of
        # two; no recorder can be faster than this
        ("cat alone", ["cat", data]),
    ]
    # Each recording decodes to exactly what the terminal showed
    for name, argv in setups[:2]:
        if os.path.exists(out):
            os.unlink(out)
        shown = run_pty(argv)
        dec = subprocess.run([codec, "decode", out], capture_output=True,
                             check=True).stdout
        # the reference writes "\r\n" to the terminal as it ends, outside
        # the recording
        extra = b"\r\n" if name == "reference" else b""
        if dec + extra != shown:
            sys.exit("%s: the recording differs from the screen" % name)
    best = {}
    for _ in range(rounds):
        for name, argv in setups:
            if os.path.exists(out):
                os.unlink(out)
            took, rss, cpu = run_pty(argv, os.path.join(tmp, "stats"))
            t, r, c = best.get(name, (1e9, 0, 1e9))
            best[name] = (min(t, took), max(r, rss), min(c, cpu))
    print("data: %.1f MB of base64 text, %d rounds, best wall time" %
          (size / 1e6, rounds))
    for name, _ in setups:
        t, r, c = best[name]
        print("%-10s %6.2f s %7.1f MB/s  CPU %5.2f s  peak RSS %6d KiB" %
              (name, t, size / 1e6 / t, c, r))
    o, ref, scr = best["ours"], best["reference"], best["script"]
    print("ours/reference wall time: %.2f (goal <= 0.30)" % (o[0] / ref[0]))
    print("ours/script wall time:    %.2f (goal <= 1.25)" % (o[0] / scr[0]))
    print("peak RSS ours/reference:  %.2f (goal <= 1.00)" % (o[1] / ref[1]))
    print("cat alone/reference:      %.2f (the floor for any recorder)"
          % (best["cat alone"][0] / ref[0]))
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
