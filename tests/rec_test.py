#!/usr/bin/env python3
"""Integration tests of tlog-rec and tlog-rec-session.

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
from ptyterm import Term  # noqa: E402
from progtest import (CASES, CODEC, REC, SESSION, case, check,  # noqa: E402
                      decode, exact, messages, path_for, run_cases, tmp)

USER = "tlogtest"
LOCK_DIR = "/run/tlog-sessions"

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
          b'must be one of "pass", "delay", "drop"\n', "said %r" % p.stderr)
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


def session_env(extra):
    env = dict(os.environ)
    env["TLOG_REC_SESSION_CONF_TEXT"] = json.dumps(extra)
    return env


@case("tlog-rec-session -c, login shell, notice")
def session_c():
    out = path_for("session-c")
    env = session_env({"writer": "file", "file": {"path": out},
                       "shell": "/bin/sh", "notice": "NOTICE\n"})
    t = Term([SESSION, "-c", "echo via-c; echo $0"], env=env)
    check(t.finish() == 0, "exit status")
    # shown on the terminal before recording starts, so not recorded
    check(t.screen.startswith(b"NOTICE\r\n"), "no notice: %r" % t.screen)
    check(b"via-c" in t.screen, "command did not run")
    exact(out, t.screen[len(b"NOTICE\r\n"):])
    out2 = path_for("session-login")
    env = session_env({"writer": "file", "file": {"path": out2},
                       "shell": "/bin/bash", "notice": ""})
    t = Term([SESSION, "-l", "-c", "shopt -q login_shell && echo LOGIN"],
             env=env)
    check(t.finish() == 0, "exit status")
    check(b"LOGIN" in t.screen, "not a login shell: %r" % t.screen)
    exact(out2, t.screen)


@case("tlog-rec-session: shell from TLOG_REC_SESSION_SHELL and program name")
def session_shell():
    out = path_for("session-shell")
    env = session_env({"writer": "file", "file": {"path": out},
                       "notice": ""})
    env["TLOG_REC_SESSION_SHELL"] = "/bin/sh"
    p = subprocess.run([SESSION, "-c", "readlink /proc/$$/exe; :"], env=env,
                       capture_output=True, stdin=subprocess.DEVNULL,
                       timeout=30)
    check(p.stdout.strip() in (b"/usr/bin/dash", b"/bin/dash"),
          "shell %r" % p.stdout)
    check(decode(out) == p.stdout, "not recorded")
    out = path_for("session-shell-name")
    env = session_env({"writer": "file", "file": {"path": out},
                       "notice": ""})
    link = os.path.join(tmp, "tlog-rec-session-shell-bin-dash")
    if not os.path.exists(link):
        os.symlink(os.path.abspath(SESSION), link)
    p = subprocess.run([link, "-c", "readlink /proc/$$/exe; :"], env=env,
                       capture_output=True, stdin=subprocess.DEVNULL,
                       timeout=30)
    check(p.stdout.strip() in (b"/usr/bin/dash", b"/bin/dash"),
          "shell from the program name %r" % p.stdout)
    check(decode(out) == p.stdout, "not recorded")


@case("tlog-rec-session: the user's environment cannot change recording",
      USER)
def session_env_ignored(user):
    out = path_for("session-user")
    evil = os.path.join(tmp, "evil.conf")
    with open(evil, "w") as f:
        json.dump({"log": {"output": False}}, f)
    os.chmod(evil, 0o644)
    env = dict(os.environ)
    env["TLOG_REC_SESSION_CONF_TEXT"] = json.dumps({"log": {"output": False}})
    p = subprocess.run(["runuser", "-u", user, "--", SESSION, "-c",
                        "echo hi"], env=env, capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=30)
    check(p.returncode != 0 and b"only for root" in p.stderr,
          "user's TLOG_REC_SESSION_CONF_TEXT was honoured: %r" % p.stderr)
    env = dict(os.environ)
    env["TLOG_REC_SESSION_CONF_FILE"] = evil
    os.chown(evil, pwd.getpwnam(user).pw_uid, -1)
    p = subprocess.run(["runuser", "-u", user, "--", SESSION, "-c",
                        "echo hi"], env=env, capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=30)
    check(p.returncode != 0 and b"not owned by root" in p.stderr,
          "user's configuration file was honoured: %r" % p.stderr)


@case("tlog-rec-session: the user cannot trace or read the recorder", USER)
def session_ptrace(user):
    out = path_for("session-ptrace")
    conf = os.path.join(tmp, "root.conf")
    with open(conf, "w") as f:
        json.dump({"writer": "file", "file": {"path": out}, "notice": "",
                   "shell": "/bin/sh"}, f)
    os.chmod(conf, 0o644)
    open(out, "w").close()
    os.chown(out, pwd.getpwnam(user).pw_uid, -1)
    env = dict(os.environ)
    env["TLOG_REC_SESSION_CONF_FILE"] = conf
    # the shell, as the user, tries to read its recorder's memory
    # environ needs only read access, which Yama leaves alone: its denial
    # is the recorder being non-dumpable; mem and ptrace need attach access
    script = ("r=$PPID; echo recorder=$r; "
              "if python3 -c 'import sys; open(\"/proc/%s/mem\" % "
              "sys.argv[1], \"rb\")' $r 2>/dev/null; then echo MEM-OK; "
              "else echo MEM-DENIED; fi; "
              "if cat /proc/$r/environ >/dev/null 2>&1; then echo ENV-OK; "
              "else echo ENV-DENIED; fi; "
              "if python3 -c 'import ctypes, sys; "
              "sys.exit(ctypes.CDLL(None).ptrace(16, int(sys.argv[1]), 0, 0))'"
              " $r 2>/dev/null; then echo TRACE-OK; else echo TRACE-DENIED; fi")
    t = Term([SESSION, "-c", script], env=env, user=user)
    check(t.finish() == 0, "exit status")
    check(b"ENV-DENIED" in t.screen and b"ENV-OK" not in t.screen,
          "recorder readable by the user: %r" % t.screen)
    check(b"TRACE-DENIED" in t.screen and b"TRACE-OK" not in t.screen and
          b"MEM-DENIED" in t.screen and b"MEM-OK" not in t.screen,
          "recorder traceable: %r" % t.screen)
    exact(out, t.screen)


@case("tlog-rec-session: killing the recorder ends the session", USER)
def session_kill(user):
    out = path_for("session-kill")
    conf = os.path.join(tmp, "root.conf")
    with open(conf, "w") as f:
        json.dump({"writer": "file", "file": {"path": out}, "notice": "",
                   "shell": "/bin/sh"}, f)
    open(out, "w").close()
    os.chown(out, pwd.getpwnam(user).pw_uid, -1)
    env = dict(os.environ)
    env["TLOG_REC_SESSION_CONF_FILE"] = conf
    t = Term([SESSION, "-c", "echo up; kill -KILL $PPID; sleep 30; "
              "echo STILL-HERE"], env=env, user=user)
    st = t.finish(timeout=15)
    check(st == -signal.SIGKILL, "the recorder was not killed: %r" % st)
    time.sleep(0.5)
    ps = subprocess.run(["pgrep", "-u", user, "-f", "STILL-HERE"],
                        capture_output=True)
    check(ps.returncode != 0, "the shell outlived its recorder")


def root_conf(out):
    """A root-owned configuration file writing to out, which the user may
    write (the file writer runs as the user)."""
    conf = os.path.join(tmp, "root-%s.conf" % os.path.basename(out))
    with open(conf, "w") as f:
        json.dump({"writer": "file", "file": {"path": out}, "notice": "",
                   "shell": "/bin/sh"}, f)
    os.chmod(conf, 0o644)
    open(out, "w").close()
    os.chown(out, pwd.getpwnam(USER).pw_uid, -1)
    env = dict(os.environ)
    env["TLOG_REC_SESSION_CONF_FILE"] = conf
    return env


# Start in a new audit session (as a login does), then become the user
NEW_SESSION = "echo 0 >/proc/self/loginuid && exec runuser -u %s -- " % USER


def as_new_login(env, script):
    """Run script with sh as the user, in a new audit session."""
    path = os.path.join(tmp, "script-%d.sh" % len(os.listdir(tmp)))
    with open(path, "w") as f:
        f.write(script)
    os.chmod(path, 0o644)
    return subprocess.run(["sh", "-c", NEW_SESSION + "sh " + path], env=env,
                          capture_output=True, stdin=subprocess.DEVNULL,
                          timeout=30)


@case("tlog-rec-session: nested in a recorded session, records once", USER)
def session_nested(user):
    out = path_for("session-nested")
    env = root_conf(out)
    p = as_new_login(env, "%s -c '%s -c \"echo inner-$(cat "
                     "/proc/self/sessionid)\"'\n" % (SESSION, SESSION))
    check(p.returncode == 0, "exit status %d: %r" % (p.returncode, p.stderr))
    check(b"inner-" in p.stdout and b"inner-4294967295" not in p.stdout,
          "no audit session was made: %r" % p.stdout)
    m = messages(out)
    check(len({x["rec"] for x in m}) == 1, "recorded %d times" %
          len({x["rec"] for x in m}))
    check(m[0]["session"] != 4294967295, "session id not recorded")
    check(decode(out) == p.stdout, "recording differs from the output")


@case("tlog-rec-session: a lock planted by the user does not stop recording",
      USER)
def session_planted(user):
    out = path_for("session-planted")
    env = root_conf(out)
    # the user's shell plants a lock for its root-owned parent (runuser),
    # with the right start time, then starts the recorder
    p = as_new_login(env, """s=$(cat /proc/self/sessionid)
t=$(cut -d')' -f2 /proc/$PPID/stat | awk '{print $20}')
echo $t > %s/$s-$PPID.lock && echo planted
exec %s -c 'echo still-recorded'
""" % (LOCK_DIR, SESSION))
    check(b"planted" in p.stdout, "could not plant the lock: %r" % p.stderr)
    check(b"still-recorded" in p.stdout, "command did not run")
    check(decode(out) == b"still-recorded\n",
          "not recorded: %r" % decode(out))


def ensure_user():
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "-M", "-s", "/bin/sh", USER], check=True)


def main():
    if os.getuid() != 0:
        print("FAIL setup: these tests run as root (they add the user %s)"
              % USER)
        return 1
    if not os.path.isdir(LOCK_DIR):
        os.makedirs(LOCK_DIR)
        os.chmod(LOCK_DIR, 0o1777)
    if not os.path.exists("/var/run/utmp"):
        subprocess.run(["install", "-m", "664", "-g", "utmp", "/dev/null",
                        "/var/run/utmp"], check=True)
    ensure_user()
    return run_cases("rec", sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
