#!/usr/bin/env python3
"""Integration tests of what a recording loses and how the player says so.

- The file writer at a full disk: tlog-rec records into a small tmpfs
  (in a private mount namespace) that a filler file fills up and then
  frees; no line of the file may be two messages fused, and each
  recording plays exactly what the terminal showed, in our tlog-play and
  the reference /usr/bin/tlog-play.
- A malformed line in the middle (--lax skips it and names it), a last
  line cut short (the intact part plays, as in the reference), and a
  recording cut short against a complete one, in playback and --list.

Prints "PASS name" or "FAIL name: why" per case and a closing
"loss: N passed, M failed".
"""
import errno
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nsexec import reexec_in_namespace  # noqa: E402

# The disk is a tmpfs of the test's own: as root, the script runs again
# in a private mount namespace, where it may mount one
if os.getuid() == 0:
    reexec_in_namespace("TLOG_LOSS_TEST_NS", __file__)

from ptyterm import Term  # noqa: E402
from progtest import (CODEC, CUT_SHORT, PLAY, REC, case, check,  # noqa
                      end_message, has_end, path_for, play_dump, ref_dump,
                      run_cases, tmp)

NO_END = "other recorders, such as the reference tlog, have no end message"


def make(name, count, payload=60):
    """A recording of count messages "line N", and its output."""
    pk = ["w 0 80 24"]
    out = b""
    for i in range(count):
        data = b"line %02d of %s\r\n" % (i, name.encode())
        pk.append("o %d %s" % (i * 10, data.hex()))
        out += data
    pk.append("e %d" % (count * 10))
    path = path_for(name)
    p = subprocess.run([CODEC, "encode", "-p", str(payload), "-o", path],
                       input="\n".join(pk).encode() + b"\n",
                       capture_output=True)
    check(p.returncode == 0, "codec: %r" % p.stderr)
    return path, out


def lines_of(path):
    with open(path, "rb") as f:
        return f.read().split(b"\n")[:-1]


def write_lines(path, lines, end=b"\n"):
    with open(path, "wb") as f:
        f.write(b"\n".join(lines) + end)


def append_as(path, src, rec):
    """Append the recording in src to the file at path, as recording rec"""
    with open(path, "ab") as f:
        for ln in lines_of(src):
            m = json.loads(ln)
            m["rec"] = rec
            f.write(json.dumps(m, separators=(",", ":")).encode() + b"\n")


def listing(path):
    p = subprocess.run([PLAY, "--list", "-i", path], capture_output=True,
                       timeout=30)
    check(p.returncode == 0, "--list exit %d: %r" % (p.returncode, p.stderr))
    return p.stdout.decode().splitlines(), p.stderr.decode()


@case("--lax skips a malformed middle line, names it, and plays on")
def lax_middle():
    path, out = make("lax", 6)
    end_message(path)
    lines = lines_of(path)
    check(len(lines) >= 4, "setup: %d lines" % len(lines))
    # a fragment of a message between two whole ones, as a writer that
    # died in the middle of a line leaves it
    bad = lines[:2] + [lines[2][:70]] + lines[2:]
    write_lines(path, bad)
    rc, shown, err = play_dump(path, "--lax")
    check(rc == 0, "--lax exit %d: %s" % (rc, err))
    check(shown == out, "--lax played %r" % shown[-60:])
    check("%s line 3: " % path in err and "skipped (--lax)" in err,
          "--lax did not name the line: %r" % err)
    # strict: what comes before plays, then the line is named with a way on
    rc, shown, err = play_dump(path)
    check(rc == 1 and "%s line 3: " % path in err and
          "--lax skips it" in err, "strict exit %d: %r" % (rc, err))
    first = sum(len(json.loads(ln)["out_txt"].encode()) for ln in lines[:2])
    check(shown == out[:first], "strict played %r" % shown)
    # --list leaves it out and says so
    rows, err = listing(path)
    check(len(rows) == 1 and "end exit 0" in rows[0], "--list %r" % rows)
    check("line 3: " in err and "left out" in err, "--list said %r" % err)


@case("a last line cut short: the intact part plays, as in the reference")
def cut_last():
    path, out = make("cut", 6)
    lines = lines_of(path)
    for cut_at in (40, len(lines[-1]) - 20):
        # cut before "timing", and near the end
        write_lines(path, lines[:-1] + [lines[-1][:cut_at]], end=b"")
        before = sum(len(json.loads(ln)["out_txt"].encode())
                     for ln in lines[:-1])
        ref_rc, ref_out, _ = ref_dump(path)
        check(ref_out == out[:before], "reference played %r" % ref_out)
        rc, shown, err = play_dump(path)
        check(shown == ref_out, "ours (cut at %d) played %r, the reference"
              " %r" % (cut_at, shown[-40:], ref_out[-40:]))
        check(rc == 1 and "line %d: the last line is cut short" % len(lines)
              in err and "use --lax to skip it" in err,
              "strict exit %d: %r" % (rc, err))
        rc, shown, err = play_dump(path, "--lax")
        check(shown == ref_out, "--lax played %r" % shown[-40:])
        check(rc == CUT_SHORT and "line %d: cut short" % len(lines) in err
              and "is cut short: it has no end message after message %d"
              % (len(lines) - 1) in err, "--lax exit %d: %r" % (rc, err))
        rows, _ = listing(path)
        check(len(rows) == 1 and rows[0].endswith("  end cut short"),
              "--list %r" % rows)


@case("cut short or complete: exit status, note and --list")
def ending():
    ends = [({"exit": 0}, "end exit 0"), ({"exit": 7}, "end exit 7"),
            ({"signal": "SIGHUP"}, "end signal SIGHUP"),
            ({"agent": "stopped"}, "end agent stopped"),
            ({"hangup": "terminal"}, "end hangup terminal"),
            ({"session": "closed"}, "end session closed"),
            ({"recorder": "lost", "after": 3},
             "end cut short (recorder lost after 3)")]
    both = path_for("ending-all")
    want = []
    for i, (end, field) in enumerate(ends):
        path, out = make("end%d" % i, 4)
        end_message(path, end)
        rc, shown, err = play_dump(path)
        want_rc = CUT_SHORT if "recorder" in end else 0
        check(rc == want_rc and shown == out, "%s: exit %d %r" %
              (field, rc, err))
        check(("recorder" in end) == ("its recorder process died" in err),
              "%s: said %r" % (field, err))
        # the reference plays it, exactly
        ref_rc, ref_out, ref_err = ref_dump(path)
        check(ref_rc == 0 and ref_out == out, "reference: %d %r %r"
              % (ref_rc, ref_out[-40:], ref_err))
        rows, _ = listing(path)
        check(len(rows) == 1 and rows[0].endswith("  " + field),
              "--list %r" % rows)
        append_as(both, path, "rec-%d" % i)
        want.append(field)
    # without an end message, as the reference records
    path, out = make("noend", 4)
    rc, shown, err = play_dump(path)
    check(rc == CUT_SHORT and shown == out, "no end: exit %d" % rc)
    check("recording codec-rec-1 is cut short: it has no end message after"
          " message %d" % len(lines_of(path)) in err and NO_END in err,
          "no end: said %r" % err)
    rc, shown, err = play_dump(path, "--export=text")
    check(rc == CUT_SHORT and "cut short" in err, "export exit %d" % rc)
    append_as(both, path, "rec-noend")
    want.append("end cut short")
    # an id gap, even before an end message: cut short
    path, out = make("gap", 5)
    end_message(path)
    lines = lines_of(path)
    write_lines(path, lines[:2] + lines[3:])
    rc, shown, err = play_dump(path, "--lax")
    check(rc == CUT_SHORT and "messages are missing after message 2" in err,
          "gap: exit %d %r" % (rc, err))
    rows, _ = listing(path)
    check(rows[0].endswith("  end cut short"), "gap: --list %r" % rows)
    # several recordings in one file: each has its own
    rows, _ = listing(both)
    check([r[r.index("  end ") + 2:] for r in rows] == want,
          "--list of several %r" % rows)
    # seeking over the end message: a goto in the middle, then the end
    path, out = make("seek", 8)
    end_message(path)
    rc, shown, err = play_dump(path, "-g", "00:00.030")
    check(rc == 0 and shown == out, "goto: exit %d %r" % (rc, shown))


@case("our recorder's recordings: complete when they carry the end")
def own_recording():
    path = path_for("own")
    t = Term([REC, "-o", path, "sh", "-c", "echo own recording"])
    check(t.finish(timeout=20) == 0, "tlog-rec failed")
    msgs = [json.loads(ln) for ln in lines_of(path)]
    rc, shown, err = play_dump(path)
    check(shown == t.screen, "played %r, shown %r" % (shown, t.screen))
    rows, _ = listing(path)
    if has_end(msgs):
        check(rc == 0 and "cut short" not in err, "exit %d %r" % (rc, err))
        check(" end cut short" not in rows[0], "--list %r" % rows)
    else:
        check(rc == CUT_SHORT and NO_END in err, "exit %d %r" % (rc, err))
        check(rows[0].endswith("  end cut short"), "--list %r" % rows)


def fill(path):
    """Fill the file system of path up: a file that takes every free
    page, then every free byte of its last page."""
    with open(path, "wb", buffering=0) as f:
        for size in (65536, 4096, 1):
            while True:
                try:
                    f.write(b"\0" * size)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break


def record(path, script, wait_for, free=None):
    """tlog-rec recording sh -c script into path under a PTY: the screen.
    free, if given, runs once wait_for has shown and a second passed."""
    t = Term([REC, "--latency=1", "--payload=1024", "-o", path, "sh", "-c",
              script])
    check(t.wait_for(wait_for, 20), "%r never shown" % wait_for)
    if free is not None:
        t.pump(1.5)
        free()
    st = t.finish(timeout=30)
    check(st == 0, "tlog-rec exit status %r: %r" % (st, t.screen[-200:]))
    return t.screen


@case("disk full under the file writer: no fused line, every recording"
      " plays")
def disk_full():
    disk = os.path.join(tmp, "disk")
    os.makedirs(disk)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs",
                    disk], check=True)
    try:
        full_disk(disk)
    finally:
        subprocess.run(["umount", "-l", disk])


def full_disk(disk):
    path = os.path.join(disk, "rec.json")
    filler = os.path.join(disk, "filler")
    screens = [record(path, "echo first; sleep 0.2", b"first")]
    fill(filler)
    size_full = os.path.getsize(path)
    held = {}

    def free():
        held["size"] = os.path.getsize(path)
        os.unlink(filler)

    # about 9 kB of output, in messages of about 1 kB: the first fill the
    # last page of the file, one is cut off by the full disk
    screens.append(record(path, "seq 1 2000; sleep 1.5; echo after; sleep"
                          " 0.5", b"\r\n2000\r\n", free))
    check(held["size"] - size_full < 4096,
          "the disk did not fill up under the writer (%d bytes written)"
          % (held["size"] - size_full))
    screens.append(record(path, "echo third; sleep 0.2", b"third"))

    # every line is one message: none fused, none cut
    recs = {}
    order = []
    for i, ln in enumerate(lines_of(path)):
        try:
            m = json.loads(ln)
        except ValueError:
            check(False, "line %d is not one message: %r" % (i + 1,
                                                            ln[:200]))
        check(ln.count(b'"ver":') == 1, "line %d fuses messages" % (i + 1))
        if m["rec"] not in recs:
            recs[m["rec"]] = []
            order.append(m["rec"])
        recs[m["rec"]].append(m)
    check(len(order) == 3, "%d recordings in the file" % len(order))
    rows, _ = listing(path)
    check(len(rows) == 3, "--list %r" % rows)
    for rec, screen, row in zip(order, screens, rows):
        msgs = recs[rec]
        ids = [m["id"] for m in msgs]
        lost = ids != list(range(ids[0], ids[0] + len(ids)))
        # loss is never silent: a gap, and a note after it
        for a, b in zip(msgs, msgs[1:]):
            check(b["id"] == a["id"] + 1 or "x_tlog_drop" in b,
                  "%s: ids %d to %d without a note" % (rec, a["id"],
                                                      b["id"]))
        one = path_for("disk-" + rec)
        with open(one, "w") as f:
            f.write("".join(json.dumps(m) + "\n" for m in msgs))
        if lost:
            rc, shown, err = play_dump(path, "--lax", "-m", rec)
            check(rc == CUT_SHORT and "cut short" in err,
                  "%s: exit %d %r" % (rec, rc, err))
            check(row.endswith("  end cut short"), "--list %r" % row)
            continue
        rc, shown, err = play_dump(path, "-m", rec)
        if has_end(msgs):
            check(rc == 0 and not err, "%s: exit %d %r" % (rec, rc, err))
        else:
            check(rc == CUT_SHORT and NO_END in err, "%s: exit %d %r"
                  % (rec, rc, err))
        check(shown == screen, "%s: ours played %r, the screen %r"
              % (rec, shown[-60:], screen[-60:]))
        ref_rc, ref_out, ref_err = ref_dump(one)
        check(ref_rc == 0 and ref_out == screen, "%s: reference %d %r %r"
              % (rec, ref_rc, ref_out[-60:], ref_err))


if __name__ == "__main__":
    sys.exit(run_cases("loss", sys.argv[1:]))
