#!/usr/bin/env python3
"""Sealing and verifying speed, against the time to read the same
messages.

Usage: python3 bench/seal_bench.py BUILD [MESSAGES] [ROUNDS]

Writes one recording of MESSAGES messages (default 50,000; about 1.1 KB
each, text and a few invalid bytes, an end message last) and times, best
of ROUNDS (default 5), each program pinned to one core:
- reference: tlog-play --export text of the file (reads, parses and
  decodes every message once);
- tlog-seal over the file on standard input, checkpoints to a file
  (every 100 messages), state saved after every message as rsyslog's
  omprog action has it, OK written for each;
- tlog-verify of the file against those checkpoints.
Wall time and CPU (user + system); messages per second of CPU for the
sealer.  The verification must be clean, or the run fails.
"""
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time


def run(cmd, stdin=None, stdout=subprocess.DEVNULL):
    """Wall and CPU seconds of cmd, pinned to core 0"""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(["taskset", "-c", "0"] + cmd, stdin=stdin,
                       stdout=stdout, stderr=subprocess.PIPE)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit("%s: exit %d: %s" % (cmd[0], p.returncode,
                                      p.stderr.decode()))
    cpu = (after.ru_utime - before.ru_utime) + \
          (after.ru_stime - before.ru_stime)
    return wall, cpu


def main():
    build = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 50000
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    d = tempfile.mkdtemp(prefix="seal_bench.")
    seal = os.path.join(build, "seal", "tlog-seal")
    verify = os.path.join(build, "seal", "tlog-verify")
    play = os.path.join(build, "play", "tlog-play")
    try:
        rec = os.path.join(d, "rec.json")
        text = "".join("%04d: the quick brown fox jumps over the lazy dog\r\n"
                       % i for i in range(20))
        with open(rec, "w") as f:
            for i in range(1, n + 1):
                m = {"ver": "2.3", "host": "bench.example",
                     "rec": "bench-rec", "user": "someone", "term": "xterm",
                     "session": 7, "id": i, "pos": i * 10,
                     "time": 1795321501.554 + i / 100,
                     "timing": "=80x24>%d]1/2" % len(text), "in_txt": "",
                     "in_bin": [], "out_txt": text + "\ufffd",
                     "out_bin": [255, 254],
                     "x_tlog_sender": {"uid": 999, "gid": 999,
                                       "pid": 1234,
                                       "exe": "/usr/sbin/tlog-recd"}}
                if i == n:
                    m["x_tlog_end"] = {"exit": 0}
                    m["timing"], m["out_txt"], m["out_bin"] = "", "", []
                f.write(json.dumps(m, separators=(",", ":")) + "\n")
        size = os.path.getsize(rec)
        key = os.path.join(d, "seal")
        subprocess.run([seal, "--generate-key", key], check=True,
                       stdout=subprocess.DEVNULL)
        best = {}

        def keep(name, r):
            if name not in best or r[0] < best[name][0]:
                best[name] = r

        for _ in range(rounds):
            keep("read", run([play, "-r", "file", "-i", rec, "--export",
                              "text"]))
            state = os.path.join(d, "state")
            cps = os.path.join(d, "cps.json")
            shutil.rmtree(state, ignore_errors=True)
            if os.path.exists(cps):
                os.unlink(cps)
            with open(rec) as f:
                keep("seal", run([seal, "--key", key + ".key",
                                  "--state-dir", state, "--every", "100",
                                  "--checkpoint-file", cps], stdin=f))
            out = os.path.join(d, "verdict")
            with open(out, "w") as f:
                keep("verify", run([verify, "-i", rec, "-c", cps, "-k",
                                    key + ".pub"], stdout=f))
            with open(out) as f:
                verdict = f.read()
            if ": clean:" not in verdict:
                sys.exit("not clean: " + verdict)
        print("%d messages, %.1f MB, best of %d, one core" %
              (n, size / 1e6, rounds))
        print("| what | wall | CPU | messages/s (CPU) | vs reading |")
        print("|---|---|---|---|---|")
        ref = best["read"][0]
        for name, what in (("read", "read and decode (`tlog-play"
                            " --export text`), reference"),
                           ("seal", "seal (`tlog-seal`, checkpoint every"
                            " 100)"),
                           ("verify", "verify (`tlog-verify`)")):
            wall, cpu = best[name]
            print("| %s | %.3f s | %.3f s | %.0f | %.2fx |" %
                  (what, wall, cpu, n / cpu if cpu else 0, wall / ref))
    finally:
        shutil.rmtree(d)


if __name__ == "__main__":
    main()
