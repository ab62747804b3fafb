#!/usr/bin/env python3
"""Integration tests of tlog-rec (tlog-rec-session: session_test.py).

The real programs run under a real PTY (ptyterm.Term), as root and as an
unprivileged user.  Every recording is decoded by our decoder and played
by the reference /usr/bin/tlog-play, and both must give exactly the bytes
the terminal received.  Prints "PASS name" or "FAIL name: why" per case
and a closing "rec: N passed, M failed".
"""
import json
import os
import pwd
import re
import signal
import subprocess
import sys
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nsexec import skip_unless_root  # noqa: E402
from ptyterm import Term  # noqa: E402
from progtest import (CASES, CODEC, REC, case, check,  # noqa: E402
                      decode, exact, messages, path_for, run_cases, tmp)

USER = "tlogtest"

def typing(user=None):
    out = path_for("typing-%s" % (user or "root"))
    t = Term([REC, "--log-input", "-o", out, "cat"], user=user)
    t.pump(0.3)
    typed = "hello caf\u00e9 \u20ac\r".encode()
    t.send(typed)
    check(t.wait_for("\u20ac\r\n".encode(), 5), "no echo of the typing")
    t.send(b"\x04")             # end of file: cat ends
    st = t.finish()
    check(st == 0, "exit status %r" % st)
    exact(out, t.screen)
    check(decode(out, "input") == typed + b"\x04",
          "recorded input %r" % decode(out, "input"))
    m = messages(out)
    who = pwd.getpwuid(os.getuid()).pw_name if user is None else user
    check(m[0]["user"] == who, "user %r" % m[0]["user"])
    # the reference's form: boot id, pid and start time in hex
    boot = open("/proc/sys/kernel/random/boot_id").read().strip()
    check(re.fullmatch(boot.replace("-", "") + r"-[0-9a-f]+-[0-9a-f]+",
                       m[0]["rec"]), "recording id %r" % m[0]["rec"])
    check(int(m[0]["rec"].split("-")[2], 16) > 0, "no start time")
    check(m[0]["timing"].startswith("=80x24"), "no window first")


case("typing, root")(typing)
case("typing, unprivileged user", USER)(typing)


@case("window resize")
def window():
    out = path_for("window")
    t = Term([REC, "-o", out, "sh", "-c", "sleep 0.6; echo done"])
    time.sleep(0.3)
    t.resize(132, 43)
    check(t.finish() == 0, "exit status")
    exact(out, t.screen)
    w = decode(out, "window")
    check((80, 24) in w and (132, 43) in w, "windows %r" % w)


def end_signal(sig):
    out = path_for("signal-%d" % sig)
    t = Term([REC, "-o", out, "sh", "-c", "echo started; sleep 100"])
    check(t.wait_for(b"started"), "no start")
    before = t.termios()
    check(not before[3] & termios.ECHO, "raw mode not set while recording")
    os.kill(t.pid, sig)
    st = t.finish(timeout=10)
    check(st == 128 + sig, "exit status %r, want %d" % (st, 128 + sig))
    after = t.termios()
    check(after[3] & termios.ECHO and after[3] & termios.ICANON,
          "terminal not restored")
    exact(out, t.screen)


case("SIGTERM ends the recording, 143, terminal restored")(
    lambda: end_signal(signal.SIGTERM))
case("SIGHUP ends the recording, 129, terminal restored")(
    lambda: end_signal(signal.SIGHUP))
case("SIGINT ends the recording, 130, terminal restored")(
    lambda: end_signal(signal.SIGINT))


@case("a bad configuration stops tlog-rec, naming source and key")
def bad_conf():
    env = dict(os.environ)
    env["TLOG_REC_CONF_TEXT"] = '{"limit": {"action": "slow"}}'
    p = subprocess.run([REC, "-o", path_for("bad"), "echo", "ran"], env=env,
                       capture_output=True, stdin=subprocess.DEVNULL,
                       timeout=30)
    check(p.returncode == 1 and p.stdout == b"", "it ran: %r" % p.stdout)
    check(p.stderr == b'tlog-rec: TLOG_REC_CONF_TEXT: key "limit.action" '
          b'must be one of "pass", "delay", "drop", not "slow"\n',
          "said %r" % p.stderr)
    p = subprocess.run([REC, "--payload=10", "echo"], capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=30)
    check(p.returncode == 2 and b"--payload" in p.stderr and b"--help" in
          p.stderr, "usage error %d %r" % (p.returncode, p.stderr))


@case("latency flushes a partial message while the command runs")
def latency():
    out = path_for("latency")
    t = Term([REC, "--latency=1", "-o", out, "sh", "-c",
              "echo first; sleep 3; echo second"])
    check(t.wait_for(b"first"), "no output")
    t.pump(1.8)
    check(os.path.exists(out) and b"first" in open(out, "rb").read(),
          "nothing written after the latency")
    check(b"second" not in t.screen, "the command ended too soon")
    check(t.finish() == 0, "exit status")
    exact(out, t.screen)


@case("payload limit splits into many messages, byte-exact")
def payload():
    out = path_for("payload")
    t = Term([REC, "--payload=64", "-o", out, "sh", "-c",
              "printf 'caf\\303\\251 \\342\\202\\254 \\377 %s\\n' "
              "$(seq 1 300)"])
    check(t.finish() == 0, "exit status")
    m = messages(out)
    check(len(m) > 30, "only %d messages" % len(m))
    check([x["id"] for x in m] == list(range(1, len(m) + 1)), "id gaps")
    for x in m:
        size = (len(x["timing"]) + len(json.dumps(x["out_txt"],
                ensure_ascii=False)) - 2 + len(json.dumps(x["out_bin"])
                .replace(" ", "")) - 2 + (1 if x["out_bin"] else 0))
        check(size <= 64, "message %d payload %d > 64" % (x["id"], size))
    exact(out, t.screen)


@case("rate limit drop: id gaps and the drop note")
def rate_drop():
    out = path_for("drop")
    t = Term([REC, "--payload=256", "--limit-action=drop",
              "--limit-rate=500", "--limit-burst=1000", "-o", out,
              "sh", "-c", "seq 1 3000; sleep 0.3; echo end"])
    check(t.finish() == 0, "exit status")
    m = messages(out)
    ids = [x["id"] for x in m]
    check(ids != list(range(1, len(ids) + 1)), "nothing was dropped")
    noted = [x for x in m if "x_tlog_drop" in x]
    check(noted, "no message says what was dropped")
    gap = sum(b - a - 1 for a, b in zip(ids, ids[1:]))
    check(sum(x["x_tlog_drop"]["messages"] for x in noted) == gap,
          "drop notes count %d, gaps %d" %
          (sum(x["x_tlog_drop"]["messages"] for x in noted), gap))
    p = subprocess.run([CODEC, "decode", out], capture_output=True)
    check(p.returncode != 0 and b"--lax" in p.stderr,
          "strict decoding accepted the gaps")
    decode(out, lax=True)


@case("rate limit delay: slowed, nothing lost")
def rate_delay():
    out = path_for("delay")
    start = time.monotonic()
    t = Term([REC, "--payload=256", "--limit-action=delay",
              "--limit-rate=4000", "--limit-burst=2000", "-o", out,
              "sh", "-c", "seq 1 3000"])
    check(t.finish(timeout=60) == 0, "exit status")
    took = time.monotonic() - start
    m = messages(out)
    total = sum(len(json.dumps(x, ensure_ascii=False)) for x in m)
    check([x["id"] for x in m] == list(range(1, len(m) + 1)), "id gaps")
    # the bucket allows burst + rate * time
    check(took >= (total - 2000) / 4000 * 0.8,
          "took %.1f s for %d bytes at 4000/s" % (took, total))
    exact(out, t.screen)


@case("piped stdin: end of input does not end the recording")
def piped():
    out = path_for("piped")
    p = subprocess.run([REC, "-o", out, "sh", "-c",
                        "cat; sleep 0.3; echo after-eof"],
                       input=b"from the pipe\n", capture_output=True,
                       timeout=30)
    check(p.returncode == 0, "exit status %d" % p.returncode)
    check(p.stdout == b"from the pipe\nafter-eof\n", "stdout %r" % p.stdout)
    check(decode(out) == p.stdout, "recorded %r" % decode(out))
    check("=" not in messages(out)[0]["timing"], "a window without a PTY")


@case("exit status of the command, and of a signal")
def status():
    p = subprocess.run([REC, "-o", path_for("st"), "sh", "-c", "exit 7"],
                       stdin=subprocess.DEVNULL, timeout=30)
    check(p.returncode == 7, "exit status %d, want 7" % p.returncode)
    p = subprocess.run([REC, "-o", path_for("st2"), "sh", "-c",
                        "kill -KILL $$"], stdin=subprocess.DEVNULL,
                       timeout=30)
    check(p.returncode == 128 + 9, "exit status %d, want 137" % p.returncode)


@case("utmp entry while recording")
def utmp():
    out = path_for("utmp")
    t = Term([REC, "-o", out, "sh", "-c", "echo tty=$(tty); sleep 1.5"])
    check(t.wait_for(b"tty=/dev/pts/"), "no tty shown")
    time.sleep(0.3)
    tty = t.screen.split(b"tty=/dev/")[1].split(b"\r")[0].decode()
    who = subprocess.run(["who"], capture_output=True, text=True).stdout
    check(tty in who, "who does not show %s: %r" % (tty, who))
    t.finish()
    who = subprocess.run(["who"], capture_output=True, text=True).stdout
    check(tty not in who.split(), "%s still in who after the end" % tty)


def ensure_user():
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "-M", "-s", "/bin/sh", USER], check=True)


def main():
    skip_unless_root("adds the user %s" % USER)
    if not os.path.exists("/var/run/utmp"):
        subprocess.run(["install", "-m", "664", "-g", "utmp", "/dev/null",
                        "/var/run/utmp"], check=True)
    ensure_user()
    return run_cases("rec", sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
