#!/usr/bin/env python3
"""Speed of tlog-web's snapshot index against libvterm alone.

Usage: bench/snap_bench.py [BUILD_DIR]   (SNAP_BENCH_MB sets the size, 100)

Runs bench/snap_bench on one core (CPU 0) for two window sizes, 24x80
and 50x160, on the same made-up terminal output (text and listings in
colour, wide characters, scrolling, full-screen redraws with cursor
motion and a scroll region), best of 5 runs each, the three setups
taking turns within each run:
  vterm alone     libvterm's screen fed the output, nothing else;
  snap            the snapshot index at its defaults (a snapshot with
                  its screen text every 5 s or 16 KiB of output);
  snapshots off   the index with no snapshots (its terminal alone).
Target: snap >= 20 MB/s.
"""
import os
import re
import subprocess
import sys

build = sys.argv[1] if len(sys.argv) > 1 else "."
mb = os.environ.get("SNAP_BENCH_MB", "100")
prog = os.path.join(build, "bench", "snap_bench")
status = 0
rows = []
for size in ("24x80", "50x160"):
    p = subprocess.run(["taskset", "-c", "0", prog, "-s", mb, "-r", "5",
                        "-g", size], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("snap_bench.py: %s failed: %s" % (prog, p.stderr.strip()))
    print(p.stdout, end="")
    rate = {k: float(v) for k, v in re.findall(
        r"^(vterm alone|snap|snapshots off):\s+([0-9.]+) MB/s", p.stdout,
        re.M)}
    rows.append((size, rate["vterm alone"], rate["snap"],
                 rate["snapshots off"]))
    if rate["snap"] < 20:
        status = 1
print()
print("| window | vterm alone | snap | snapshots off | snap/vterm |")
print("|---|---|---|---|---|")
for size, v, s, f in rows:
    print("| %s | %.1f MB/s | %.1f MB/s | %.1f MB/s | %.2f |"
          % (size, v, s, f, s / v))
print("target snap >= 20 MB/s: %s" % ("met" if status == 0 else "NOT met"))
sys.exit(status)
