#!/usr/bin/env python3
"""tlog-rec-session through the recording agent tlog-recd, and what a
recorded user can and cannot do to it.

The script re-runs itself in a private mount namespace, where a private
tlog directory (tlog-rec-session.conf pointing at the test's agent) is
bound over the configured one; the machine's files stay as they are.
Each case starts its own tlog-recd on a private socket.  Sessions run
under a real PTY (ptyterm.Term), most as the unprivileged user USER;
every recording is checked byte for byte in our decoder and in the
reference /usr/bin/tlog-play.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nsexec import reexec_in_namespace  # noqa: E402

if __name__ == "__main__":
    reexec_in_namespace("TLOG_SESSION_TEST_NS", __file__)

import json  # noqa: E402
import pwd  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

from ptyterm import Term  # noqa: E402
from progtest import (SESSION, Agent, case, check, decode,  # noqa: E402
                      ensure_user, exact, messages, private_tlog_conf,
                      private_utmp, run_cases, session_capability, tmp)

USER = "tlogtest"
CONF_DIR = os.path.join(tmp, "etc-tlog")
SESSION = os.path.abspath(SESSION)


def session_conf(to, **kw):
    """tlog-rec-session's configuration: the socket of the agent to, no
    notice and /bin/sh unless kw says otherwise"""
    conf = {"notice": "", "shell": "/bin/sh",
            "agent": {"socket": to.sock if to else "/nonexistent"}}
    conf.update(kw)
    with open(os.path.join(CONF_DIR, "tlog-rec-session.conf"), "w") as f:
        json.dump(conf, f)


def outer_tty(t):
    """The name of the terminal a Term's program runs on"""
    import fcntl
    tiocgptn = 0x80045430       # _IOR('T', 0x30, unsigned int)
    n = fcntl.ioctl(t.fd, tiocgptn, b"\0" * 4)
    return "/dev/pts/%d" % struct.unpack("I", n)[0]


def run_as(user, argv, timeout=60, **kw):
    return subprocess.run(["runuser", "-u", user, "--"] + argv,
                          capture_output=True, timeout=timeout, **kw)


@case("-c, a login shell and the notice, through the agent", USER)
def session_c(user):
    with Agent("c") as a:
        session_conf(a, notice="NOTICE\n")
        t = Term([SESSION, "-c", "echo via-c; echo $0; exit 7"], user=user)
        check(t.finish() == 7, "exit status %r, want 7" % t.status)
        # shown by the agent before it records, so not part of it
        check(t.screen.startswith(b"NOTICE\r\n"), "no notice: %r" % t.screen)
        check(b"via-c" in t.screen, "command did not run")
        time.sleep(0.3)
        exact(a.out, t.screen[len(b"NOTICE\r\n"):])
        m = messages(a.out)
        check(m[0]["user"] == user, "recorded as %r" % m[0]["user"])
    with Agent("login") as a:
        session_conf(a, shell="/bin/bash")
        t = Term([SESSION, "-l", "-c", "shopt -q login_shell && echo LOGIN"],
                 user=user)
        check(t.finish() == 0, "exit status")
        check(b"LOGIN" in t.screen, "not a login shell: %r" % t.screen)
        time.sleep(0.3)
        exact(a.out, t.screen)


@case("the shell from TLOG_REC_SESSION_SHELL and from the program name",
      USER)
def session_shell(user):
    with Agent("shell") as a:
        session_conf(a, shell="")
        env = dict(os.environ, TLOG_REC_SESSION_SHELL="/bin/sh")
        p = run_as(user, [SESSION, "-c", "readlink /proc/$$/exe; :"],
                   env=env, stdin=subprocess.DEVNULL)
        check(p.stdout.strip() in (b"/usr/bin/dash", b"/bin/dash"),
              "shell %r %r" % (p.stdout, p.stderr))
        time.sleep(0.3)
        check(decode(a.out) == p.stdout, "not recorded")
    with Agent("shell-name") as a:
        session_conf(a, shell="")
        link = os.path.join(tmp, "tlog-rec-session-shell-bin-dash")
        if not os.path.exists(link):
            os.symlink(SESSION, link)
        p = run_as(user, [link, "-c", "readlink /proc/$$/exe; :"],
                   stdin=subprocess.DEVNULL)
        check(p.stdout.strip() in (b"/usr/bin/dash", b"/bin/dash"),
              "shell from the program name %r %r" % (p.stdout, p.stderr))
        time.sleep(0.3)
        check(decode(a.out) == p.stdout, "not recorded")


@case("typing, window changes and the exit status, as the user", USER)
def session_typing(user):
    with Agent("typing", ["--log-input"]) as a:
        session_conf(a)
        t = Term([SESSION], cols=100, rows=30, user=user)
        check(t.wait_for(b"$ "), "no prompt: %r" % t.screen)
        t.send(b"echo caf\xc3\xa9 $((6*7))\r")
        check(t.wait_for(b"42"), "no answer: %r" % t.screen)
        t.resize(120, 40)
        time.sleep(0.3)
        t.send(b"stty size\r")
        check(t.wait_for(b"40 120"), "window not followed: %r" % t.screen)
        t.send(b"exit 3\r")
        check(t.finish() == 3, "exit status %r" % t.status)
        time.sleep(0.3)
        exact(a.out, t.screen)
        check(decode(a.out, "input") == b"echo caf\xc3\xa9 $((6*7))\rstty "
              b"size\rexit 3\r", "input %r" % decode(a.out, "input"))
        win = decode(a.out, "window")
        check(win[0] == (100, 30) and (120, 40) in win, "windows %r" % win)


def read_like_sshd(t, ended):
    """Read the terminal as sshd does: all along, and once its child has
    ended (ended is set), only what is there at that instant"""
    import select
    while True:
        done = ended.is_set()
        if not select.select([t.fd], [], [], 0 if done else 0.01)[0]:
            if done:
                return
            continue
        try:
            data = os.read(t.fd, 65536)
        except OSError:
            return
        if not data:
            return
        t.screen += data


@case("the last output is on the terminal when the login program sees "
      "the end, on a busy machine", USER)
def session_last_output(user):
    import threading
    # the agent gets the least of two busy cores, as on a loaded host
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(2)]
    try:
        for i in range(5):
            with Agent("last-output-%d" % i) as a:
                session_conf(a)
                # its session processes inherit the idle class
                subprocess.run(["chrt", "--idle", "-p", "0",
                                str(a.proc.pid)], check=True)
                t = Term([SESSION, "-c", "seq 1 3000; echo last-line; "
                          "exit 4"], user=user)
                ended = threading.Event()
                reader = threading.Thread(target=read_like_sshd,
                                          args=(t, ended))
                reader.start()
                _, st = os.waitpid(t.pid, 0)
                ended.set()
                reader.join()
                t.status = os.waitstatus_to_exitcode(st)
                check(t.status == 4, "exit status %r" % t.status)
                check(t.screen.endswith(b"last-line\r\n"),
                      "run %d: the end was not shown: %r" %
                      (i, t.screen[-60:]))
                time.sleep(0.3)
                exact(a.out, t.screen)
    finally:
        for h in hogs:
            h.kill()
            h.wait()


@case("utmp shows the session's terminal while it is recorded", USER)
def session_utmp(user):
    with Agent("utmp") as a:
        session_conf(a)
        t = Term([SESSION, "-c", "echo tty=$(tty); sleep 1.5"], user=user)
        check(t.wait_for(b"tty=/dev/pts/"), "no tty shown")
        time.sleep(0.3)
        tty = t.screen.split(b"tty=/dev/")[1].split(b"\r")[0].decode()
        who = subprocess.run(["who"], capture_output=True, text=True).stdout
        check(any(ln.split()[:2] == [user, tty] for ln in who.splitlines()),
              "who does not show %s on %s: %r" % (user, tty, who))
        t.finish()
        time.sleep(0.3)
        who = subprocess.run(["who"], capture_output=True, text=True).stdout
        check(tty not in who.split(), "%s still in who after the end" % tty)


@case("without a terminal: pipes, piped input recorded, exit status", USER)
def session_pipes(user):
    with Agent("pipes") as a:
        session_conf(a)
        data = b"".join(b"line %d\n" % i for i in range(3000))
        p = run_as(user, [SESSION, "-c", "cat; echo to-err >&2; exit 5"],
                   input=data)
        check(p.returncode == 5, "exit status %d: %r" % (p.returncode,
                                                        p.stderr))
        check(p.stdout == data and p.stderr == b"to-err\n",
              "output changed: %r" % p.stderr)
        time.sleep(0.3)
        check(decode(a.out) == data + b"to-err\n", "output not recorded")
        check(decode(a.out, "input") == data, "piped input not recorded")
    with Agent("pipes-no-input", ["--log-piped-input=false"]) as a:
        session_conf(a)
        p = run_as(user, [SESSION, "-c", "cat"], input=b"secret\n")
        time.sleep(0.3)
        check(decode(a.out) == b"secret\n" and
              decode(a.out, "input") == b"", "log.piped_input not obeyed")


PRELOAD_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
__attribute__((constructor)) static void take_over(void)
{
    FILE *f = fopen("%(mark)s", "w");
    if (f) { fputs("ran", f); fclose(f); }
    unsetenv("LD_PRELOAD");
    execl("/bin/sh", "sh", "-c", "echo UNRECORDED-SHELL", (char *)0);
}
"""


@case("the user's environment cannot change the recording or the program",
      USER)
def session_environment(user):
    mark = os.path.join(tmp, "preload-ran")
    src = os.path.join(tmp, "evil.c")
    lib = os.path.join(tmp, "evil.so")
    with open(src, "w") as f:
        f.write(PRELOAD_C % {"mark": mark})
    subprocess.run(["cc", "-shared", "-fPIC", "-o", lib, src], check=True)
    os.chmod(lib, 0o755)
    evil = os.path.join(tmp, "evil.conf")
    with open(evil, "w") as f:
        json.dump({"agent": {"socket": "/nonexistent"},
                   "agent.unreachable": "unrecorded", "shell": "/bin/sh",
                   "writer": "file", "file": {"path": "/dev/null"}}, f)
    with Agent("environment") as a:
        session_conf(a)
        env = dict(os.environ, LD_PRELOAD=lib, LD_LIBRARY_PATH=tmp,
                   TLOG_REC_SESSION_CONF_FILE=evil,
                   TLOG_REC_SESSION_CONF_TEXT=json.dumps(
                       {"agent": {"unreachable": "unrecorded",
                                  "socket": "/nonexistent"}}))
        t = Term([SESSION, "-c", "echo recorded-shell"], env=env, user=user)
        t.finish()
        check(not os.path.exists(mark), "the preloaded library ran")
        check(b"recorded-shell" in t.screen and b"UNRECORDED" not in
              t.screen, "the session did not run recorded: %r" % t.screen)
        time.sleep(0.3)
        exact(a.out, t.screen)


@case("configuration through /proc or a swapped link is never loaded "
      "(1000 tries)", USER)
def session_conf_race(user):
    uid = pwd.getpwnam(user).pw_uid
    d = os.path.join(tmp, "race")
    os.makedirs(d, exist_ok=True)
    os.chown(d, uid, -1)
    bad = os.path.join(d, "bad.conf")
    with open(bad, "w") as f:
        json.dump({"agent": {"socket": "/nonexistent",
                             "unreachable": "unrecorded"}}, f)
    os.chown(bad, uid, -1)
    link = os.path.join(d, "link.conf")
    # the user swaps the link between a root file and its own, forever
    swapper = subprocess.Popen(
        ["runuser", "-u", user, "--", "sh", "-c",
         "while :; do ln -sf /etc/passwd %s.t && mv -f %s.t %s; "
         "ln -sf %s %s.t && mv -f %s.t %s; done" % ((link,) * 3 + (bad,) +
                                                   (link,) * 3)])
    tries, recorded = 1000, 0
    try:
        with Agent("race-agent") as a:
            session_conf(a)
            script = os.path.join(d, "tries.sh")
            with open(script, "w") as f:
                f.write("i=0\nwhile [ $i -lt %d ]; do\n"
                        "  if [ $((i %% 2)) = 0 ]; then c=%s; "
                        "else c=/proc/self/environ; fi\n"
                        "  TLOG_REC_SESSION_CONF_FILE=$c timeout 30 %s -c "
                        "\"echo try-$i\" </dev/null || echo stuck-$i >&2\n"
                        "  i=$((i+1))\ndone\n" % (tries, link, SESSION))
            p = run_as(user, ["sh", script], timeout=900)
            time.sleep(1)
            # a thousand recordings of one message each
            out = {m["out_txt"] for m in messages(a.out)}
            recorded = sum(1 for i in range(tries) if "try-%d\n" % i in out)
            shown = p.stdout.count(b"try-")
    finally:
        swapper.kill()
        subprocess.run(["pkill", "-u", user, "-f", "ln -sf"])
    check(shown == tries, "only %d of %d sessions ran: %r" %
          (shown, tries, p.stderr[-300:]))
    check(recorded == tries, "%d of %d sessions went unrecorded" %
          (tries - recorded, tries))


@case("a stopped or killed process and the outer terminal: no way out",
      USER)
def session_signals(user):
    with Agent("signals") as a:
        session_conf(a)
        t = Term([SESSION], user=user)
        check(t.wait_for(b"$ "), "no prompt")
        # as the user: signal everything it may, then try every terminal
        t.send(b"for p in $(ps -e -o pid=); do [ $p = $$ ] || "
               b"kill -STOP $p 2>/dev/null && echo stopped-$p; done; "
               b"for p in $(ps -e -o pid=); do [ $p = $$ ] || "
               b"kill -CONT $p 2>/dev/null; done; "
               b"for d in %s; do "
               b"if (: <>$d) 2>/dev/null; then echo OPENED-$d; "
               b"else echo denied-$d; fi; done; echo done-trying\r" %
               outer_tty(t).encode())
        check(t.wait_for(b"done-trying\r\n"), "script stuck: %r" %
              t.screen[-300:])
        for w in a.workers():
            check(("stopped-%d" % w).encode() not in t.screen,
                  "the user stopped the agent's process %d" % w)
        check(b"OPENED-/dev" not in t.screen, "the user opened a terminal: %r"
              % t.screen[-400:])
        check(b"denied-/dev" in t.screen, "no terminal tried")
        # the killer: kill -9 everything of the agent's it can see
        t.send(b"for w in %s; do kill -KILL $w 2>/dev/null && "
               b"echo KILLED-$w; done; echo still-recorded\r" %
               b" ".join(b"%d" % w for w in a.workers()))
        check(t.wait_for(b"still-recorded\r\n"), "no answer")
        check(re.search(rb"KILLED-[0-9]", t.screen) is None,
              "the user killed the agent")
        t.send(b"exit\r")
        t.finish()
        time.sleep(0.3)
        exact(a.out, t.screen)


@case("a terminal opened before the hand-over no longer reads or writes",
      USER)
def session_revoked(user):
    result = os.path.join(tmp, "revoke-result")
    with Agent("revoke") as a:
        session_conf(a)
        # a process of the user keeps the login terminal open on fd 3,
        # then tries to use it once the session is recorded
        t = Term(["sh", "-c", "exec 3<>$(tty); (sleep 1; if echo LEAKED "
                  ">&3 2>/dev/null; then echo open; else echo revoked; fi "
                  ">%s) & exec %s -c 'sleep 2; echo done'" %
                  (result, SESSION)], user=user)
        check(t.finish() == 0, "exit status %r: %r" % (t.status, t.screen))
        with open(result) as f:
            got = f.read().strip()
        check(got == "revoked", "the old descriptor still works: %s" % got)
        check(b"LEAKED" not in t.screen, "unrecorded output reached the "
              "terminal: %r" % t.screen)
        time.sleep(0.3)
        exact(a.out, t.screen)


@case("the agent cannot be traced or read by the recorded user", USER)
def session_ptrace(user):
    with Agent("ptrace") as a:
        session_conf(a)
        t = Term([SESSION, "-c", "sleep 3"], user=user)
        time.sleep(0.5)
        ws = a.workers()
        check(ws, "no recording process")
        for w in ws:
            p = run_as(user, ["python3", "-c",
                              "import ctypes, sys\n"
                              "try:\n open('/proc/%d/mem', 'rb')\n"
                              " print('MEM-OK')\nexcept OSError: pass\n"
                              "try:\n open('/proc/%d/environ').read()\n"
                              " print('ENV-OK')\nexcept OSError: pass\n"
                              "if ctypes.CDLL(None).ptrace(16, %d, 0, 0) == 0:"
                              "\n print('TRACE-OK')\n" % (w, w, w)])
            check(p.stdout == b"", "agent process %d open to the user: %r"
                  % (w, p.stdout))
        t.finish()


@case("a nested session is recorded again, with its own user", USER)
def session_nested(user):
    with Agent("nested") as a:
        session_conf(a)
        t = Term([SESSION, "-c", "%s -c 'echo inner-$$'; echo outer" %
                  SESSION], user=user)
        check(t.finish() == 0, "exit status %r: %r" % (t.status, t.screen))
        time.sleep(0.3)
        m = messages(a.out)
        recs = {}
        for x in m:
            recs.setdefault(x["rec"], []).append(x)
        check(len(recs) == 2, "%d recordings, want 2" % len(recs))
        check(b"inner-" in t.screen and b"outer" in t.screen, "no output")


@case("a 300 KB paste into a busy program: no deadlock, all recorded, "
      "TERM ends it", USER)
def session_paste(user):
    with Agent("paste") as a:
        session_conf(a)
        # prints for two seconds without reading, then reads the paste
        t = Term([SESSION, "-c", "stty -echo; end=$(($(date +%s)+2)); "
                  "while [ $(date +%s) -lt $end ]; do echo busy-printing; "
                  "done; head -c 300000 | wc -c; echo paste-read; "
                  "sleep 30"], user=user)
        check(t.wait_for(b"busy-printing"), "not started")
        paste = b"".join(b"%07d " % i + b"x" * 91 + b"\n"
                         for i in range(3000))
        os.set_blocking(t.fd, False)
        sent = 0
        end = time.monotonic() + 60
        while sent < len(paste) and time.monotonic() < end:
            try:
                sent += os.write(t.fd, paste[sent:sent + 4096])
            except BlockingIOError:
                t.pump(0.01)
        check(sent == len(paste), "only %d bytes of the paste went in" % sent)
        check(t.wait_for(b"paste-read", timeout=60),
              "the session is stuck: %r" % t.screen[-200:])
        check(b"300000" in t.screen, "the paste did not arrive whole")
        ws = a.workers()
        for w in ws:
            os.kill(w, signal.SIGTERM)
        st = t.finish(timeout=15)
        check(st != "timeout", "TERM did not end the session")
        time.sleep(0.5)
        exact(a.out, t.screen)


@case("without the agent the session is refused, or runs if so set",
      USER)
def session_unreachable(user):
    session_conf(None)
    p = run_as(user, [SESSION, "-c", "echo RAN"], stdin=subprocess.DEVNULL)
    check(p.returncode == 1 and b"RAN" not in p.stdout,
          "ran without the agent: %r" % p.stdout)
    check(b"refused" in p.stderr and b"tlog-recd" in p.stderr,
          "no reason given: %r" % p.stderr)
    # a socket nobody answers on (a service that failed to start behind
    # socket activation): refused in time, not hung
    mute = os.path.join(tmp, "mute.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.bind(mute)
    os.chmod(mute, 0o666)
    s.listen(8)
    session_conf(None, agent={"socket": mute})
    start = time.monotonic()
    p = run_as(user, [SESSION, "-c", "echo RAN"], stdin=subprocess.DEVNULL,
               timeout=120)
    s.close()
    check(p.returncode == 1 and b"RAN" not in p.stdout and
          b"did not answer" in p.stderr, "a mute agent: %r" % p.stderr)
    check(time.monotonic() - start < 90, "waited %.0f s, want about 30" %
          (time.monotonic() - start))
    session_conf(None, agent={"socket": "/nonexistent",
                              "unreachable": "unrecorded"})
    p = run_as(user, [SESSION, "-c", "echo RAN"], stdin=subprocess.DEVNULL)
    check(p.returncode == 0 and p.stdout == b"RAN\n",
          "unrecorded setting not obeyed: %r" % p.stderr)


@case("only tlog-rec-session may hand a session over", USER)
def session_forged_client(user):
    with Agent("forged") as a:
        # the user's own program speaks the protocol
        code = ("import socket, struct, sys, os\n"
                "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)\n"
                "s.connect(sys.argv[1])\n"
                "req = struct.pack('IHHII64s256s64s64s256s1024s', "
                "0x746c6f67, 3, 1, 0, 0, b'xterm', b'root', b'', b'', b'',"
                " b'')\n"
                "s.send(req)\n"
                "r = s.recv(1024)\n"
                "print(struct.unpack('Ii', r[:8])[1], r[136:].split(b'\\0')[0]"
                ".decode())\n")
        p = run_as(user, ["python3", "-c", code, a.sock],
                   stdin=subprocess.DEVNULL)
        check(p.stdout.startswith(b"-1 only tlog-rec-session"),
              "a forged client was served: %r %r" % (p.stdout, p.stderr))
        check(messages(a.out) == [], "something was recorded")


@case("tlog-rec-session without its file capability is refused", USER)
def session_no_capability(user):
    with Agent("no-capability") as a:
        session_conf(a)
        subprocess.run(["setcap", "-r", SESSION], check=True)
        try:
            p = run_as(user, [SESSION, "-c", "echo RAN"],
                       stdin=subprocess.DEVNULL)
        finally:
            session_capability(SESSION)
        check(p.returncode == 1 and b"RAN" not in p.stdout,
              "ran without secure execution: %r" % p.stdout)
        check(b"file capability" in p.stderr, "no reason: %r" % p.stderr)


@case("stopping the agent's listener leaves running sessions recorded",
      USER)
def session_agent_restart(user):
    a = Agent("restart").start()
    try:
        session_conf(a)
        t = Term([SESSION], user=user)
        check(t.wait_for(b"$ "), "no prompt")
        a.stop(sessions=False)
        t.send(b"echo after-stop\r")
        check(t.wait_for(b"after-stop\r\n"), "session gone with the agent")
        t.send(b"exit\r")
        t.finish()
        time.sleep(0.5)
        exact(a.out, t.screen)
    finally:
        a.stop()


def world():
    private_tlog_conf(CONF_DIR)
    private_utmp()


def main():
    ensure_user(USER)
    world()
    return run_cases("session", sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
