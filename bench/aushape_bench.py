#!/usr/bin/env python3
"""aushape: conversion speed and memory, and the cost of a stalled output.

bench/aushape_bench.py BUILD_DIR [ROUNDS]

1. Conversion.  A real audit log of about 100,000 records is made once
   with a private auditd (an execve rule, commands run as root and as a
   user, file watches) and kept in /var/cache/tlog-tests.  aushape
   converts it ROUNDS times; the best wall time and the peak RSS are
   reported, and the peak RSS again for the log five times over (memory
   must stay flat).  The reference aushape is not packaged by Debian and
   cannot be built here; its figure on this machine, given with the
   goal, is 0.8 to 1.1 s for such a log with 3 MB of memory.  The ratio
   is taken against its best, 0.8 s, scaled to the log's record count.

2. Stall.  3,000 short commands under an execve rule, timed with auditd
   alone, and with aushape as its plugin with an output nobody reads.
   Rounds alternate; the best of each is compared.  Goal: at most 10%
   slower.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests"))
import auditdlib  # noqa: E402
from auditdlib import audit_pid  # noqa: E402

CACHE = "/var/cache/tlog-tests"
LOG = os.path.join(CACHE, "aushape-bench.log")
REF_SECONDS = 0.8           # the reference's best, per 100,000 records
REF_RECORDS = 100000


class Auditd(auditdlib.Auditd):
    """A private auditd in a directory of its own, removed after"""

    def __init__(self, plugin=None):
        super().__init__(tempfile.mkdtemp(prefix="aushape-bench.") + "/d",
                         plugin)

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(os.path.dirname(self.dir), ignore_errors=True)


def make_log():
    """About 100,000 records of real audit events."""
    os.makedirs(CACHE, exist_ok=True)
    with Auditd() as a:
        watched = os.path.join(a.dir, "watched")
        os.makedirs(watched)
        a.rule("-a", "exit,always", "-F", "arch=b64", "-S", "execve",
               "-k", "bench")
        a.rule("-w", watched, "-p", "wa", "-k", "watched")
        script = ("i=0; while [ $i -lt 2500 ]; do /bin/true $i; "
                  "echo x >%s/f$i; mv %s/f$i %s/g$i; rm %s/g$i; "
                  "i=$((i+1)); done" % ((watched,) * 4))
        subprocess.run(["sh", "-c", script], check=True)
        subprocess.run(["runuser", "-u", "nobody", "--", "sh", "-c",
                        "i=0; while [ $i -lt 1000 ]; do /bin/true; "
                        "i=$((i+1)); done"], check=True)
        time.sleep(2)
        shutil.copy(os.path.join(a.dir, "audit.log"), LOG + ".tmp")
    os.rename(LOG + ".tmp", LOG)


def timed(argv, out=subprocess.DEVNULL):
    """(wall seconds, peak RSS KiB) of argv, RSS from GNU time"""
    stats = tempfile.mktemp()
    start = time.monotonic()
    subprocess.run(["/usr/bin/time", "-o", stats, "-f", "%M"] + argv,
                   stdout=out, check=True)
    wall = time.monotonic() - start
    with open(stats) as f:
        rss = int(f.read().split()[-1])
    os.unlink(stats)
    return wall, rss


def conversion(aushape, rounds):
    if not os.path.exists(LOG):
        make_log()
    with open(LOG, "rb") as f:
        records = f.read().count(b"\n")
    best, rss = None, 0
    for _ in range(rounds):
        w, r = timed([aushape, "--events-per-doc=none", LOG])
        best = w if best is None else min(best, w)
        rss = max(rss, r)
    doc, _ = min(timed([aushape, LOG]) for _ in range(rounds))
    big = LOG + ".x5"
    with open(big, "wb") as out:
        for _ in range(5):
            with open(LOG, "rb") as f:
                shutil.copyfileobj(f, out)
    _, rss5 = timed([aushape, "--events-per-doc=none", big])
    os.unlink(big)
    ref = REF_SECONDS * records / REF_RECORDS
    print("log: %s, %d records" % (LOG, records))
    print("ours, one event per line: %.3f s (%.0f records/s), peak RSS "
          "%d KiB" % (best, records / best, rss))
    print("ours, one document: %.3f s" % doc)
    print("five times the log: peak RSS %d KiB (%.2fx)" % (rss5, rss5 / rss))
    print("reference, scaled to %d records: %.3f s" % (records, ref))
    print("speed-up over the reference: %.2fx (goal >= 2x: %s)"
          % (ref / best, "met" if ref / best >= 2 else "not met"))


def loop(n):
    start = time.monotonic()
    subprocess.run(["sh", "-c", "i=0; while [ $i -lt %d ]; do /bin/true; "
                    "i=$((i+1)); done" % n], check=True)
    return time.monotonic() - start


def stall(aushape, rounds):
    d = tempfile.mkdtemp(prefix="aushape-stall.")
    # The plugin's output is a pipe that is never read
    plugin = ("exec %s --events-per-doc=none 2>>%s/err | sleep 100000\n"
              % (aushape, d))
    working = "exec %s --events-per-doc=none >/dev/null\n" % aushape
    alone, stalled, flowing = [], [], []
    for _ in range(rounds):
        for runs, plug in ((alone, None), (stalled, plugin),
                           (flowing, working)):
            with Auditd(plug) as a:
                a.rule("-a", "exit,always", "-F", "arch=b64", "-S",
                       "execve", "-k", "stall")
                loop(200)       # settle
                runs.append(loop(3000))
            subprocess.run(["pkill", "-f", "sleep 100000"])
            # The plugin wrappers of this run, if any outlived auditd
            subprocess.run(["pkill", "-f", "aushape-bench."])
    with open(os.path.join(d, "err")) as f:
        err = f.read()
    shutil.rmtree(d, ignore_errors=True)
    drops = re.findall(r"(\d+) event\(s\) dropped", err)
    print("3000 commands, auditd alone: %.2f s; with a stalled aushape: "
          "%.2f s; ratio %.3f (goal <= 1.10: %s)"
          % (min(alone), min(stalled), min(stalled) / min(alone),
             "met" if min(stalled) / min(alone) <= 1.10 else "not met"))
    print("for comparison, with aushape writing to /dev/null: %.2f s "
          "(ratio %.3f)" % (min(flowing), min(flowing) / min(alone)))
    print("aushape reported dropping %s events (last report)"
          % (drops[-1] if drops else "no"))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    aushape = os.path.abspath(os.path.join(sys.argv[1], "aushape",
                                           "aushape"))
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    if os.getuid() != 0 or audit_pid() != 0:
        sys.exit("run as root, with no audit daemon running")
    conversion(aushape, rounds)
    stall(aushape, rounds)


if __name__ == "__main__":
    main()
