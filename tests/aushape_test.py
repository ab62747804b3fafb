#!/usr/bin/env python3
"""aushape against a real auditd: as its plugin, events of a recorded
session carry the recording's audit session id and the user's auid; a
stalled output drops whole events and says how many; signals work even
when auditd leaves them blocked; the command line behaves.

Needs root and no auditd already running: the test starts its own, on a
private configuration, log and plugin directory, and stops it after.
"""
import json
import os
import pwd
import re
import signal
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nsexec import skip_unless_root  # noqa: E402
import auditdlib  # noqa: E402
from auditdlib import audit_pid  # noqa: E402
from progtest import (BUILD, REC, case, check, run_cases, tmp)  # noqa: E402

REC = os.path.abspath(REC)

AUSHAPE = os.path.abspath(os.path.join(BUILD, "aushape", "aushape"))
SRC = os.environ.get("top_srcdir", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), ".."))
USER = "tlogtest"


def Auditd(name, plugin_script=None):
    """A private auditd in the test directory"""
    return auditdlib.Auditd(os.path.join(tmp, name), plugin_script)


def wait_for(cond, timeout, why):
    deadline = time.time() + timeout
    while not cond():
        check(time.time() < deadline, why)
        time.sleep(0.2)


def read_events(path, done=False):
    """The events in path; while it is being written (not done), a last
    line without its newline yet is left for the next read"""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        lines = [line for line in f if line.strip()]
    if lines and not lines[-1].endswith("\n"):
        check(not done, "%s ends in a partial line" % path)
        lines.pop()
    return [json.loads(line) for line in lines]


def gone(pidfile):
    """The plugin whose pid the wrapper wrote has ended"""
    with open(pidfile) as f:
        pid = int(f.read())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open("/proc/%d/stat" % pid) as f:
        return f.read().split(") ")[1].startswith("Z")


@case("plugin: a recorded session's commands, with its session id and auid")
def plugin_joins_recording():
    uid = pwd.getpwnam(USER).pw_uid
    a = Auditd("join", "echo $$ >%s/join.pid; exec %s --events-per-doc=none "
               "-f %s/events.json 2>>%s/aushape.err\n"
               % (tmp, AUSHAPE, tmp, tmp))
    rec = os.path.join(tmp, "join-rec.json")
    open(rec, "w").close()
    os.chown(rec, uid, -1)
    try:
        a.start([["-a", "exit,always", "-F", "arch=b64", "-S", "execve",
                  "-F", "auid=%d" % uid, "-k", "tlogtest"]])
        # A login: a new audit session for the user, then the recorder
        script = ("echo %d >/proc/self/loginuid && exec runuser -u %s -- "
                  "%s -w file -o %s sh -c '/bin/echo marker-one; "
                  "/bin/true marker-two'" % (uid, USER, REC, rec))
        p = subprocess.run(["sh", "-c", script], capture_output=True,
                           stdin=subprocess.DEVNULL, timeout=30)
        check(p.returncode == 0, "recorded session failed: %r" % p.stderr)
        events = os.path.join(tmp, "events.json")

        def marked():
            return any(e.get("data", {}).get("execve") ==
                       ["/bin/true", "marker-two"]
                       for e in read_events(events))
        wait_for(marked, 20, "the session's execve never reached aushape")
    finally:
        a.stop()
    wait_for(lambda: gone(os.path.join(tmp, "join.pid")), 10,
             "aushape did not end with auditd")
    with open(rec) as f:
        session = json.loads(f.readline())["session"]
    mine = [e for e in read_events(events)
            if e.get("data", {}).get("execve", [""])[0] in
            ("/bin/echo", "/bin/true", "sh")]
    argvs = [e["data"]["execve"] for e in mine]
    check(["/bin/echo", "marker-one"] in argvs and
          ["/bin/true", "marker-two"] in argvs, "commands: %r" % argvs)
    for e in mine:
        sc = e["data"]["syscall"]
        check(sc["ses"] == [str(session)],
              "ses %r, recording says %r" % (sc["ses"], session))
        check(sc["auid"] == [USER, str(uid)], "auid %r" % sc["auid"])
        check(sc["syscall"][0] == "execve", "syscall %r" % sc["syscall"])
        check(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$",
                       e["time"]), "time %r" % e["time"])
        check(any(p["name"][0].endswith(e["data"]["execve"][0]
                                        .lstrip("/bin/"))
                  for p in e["data"]["path"]), "paths %r" % e["data"]["path"])


@case("plugin: a stalled output drops whole events and says how many")
def plugin_stall():
    d = os.path.join(tmp, "stall")
    os.makedirs(d)
    # The output pipe is not read until "go" appears
    a = Auditd("stall", "sh -c 'echo $$ >%s/pid; exec %s "
               "--events-per-doc=none --queue-size=64k 2>>%s/err' | "
               "{ while [ ! -e %s/go ]; do sleep 0.1; done; "
               "exec cat >%s/out; }\n" % (d, AUSHAPE, d, d, d))
    try:
        a.start([["-a", "exit,always", "-F", "arch=b64", "-S", "execve",
                  "-k", "stall"]])
        start = time.time()
        p = subprocess.run(["sh", "-c", "i=0; while [ $i -lt 3000 ]; do "
                            "/bin/true; i=$((i+1)); done"], timeout=300)
        took = time.time() - start
        check(p.returncode == 0, "the command loop failed")
        open(os.path.join(d, "go"), "w").close()

        def after():
            subprocess.run(["/bin/echo", "after-stall"],
                           stdout=subprocess.DEVNULL)
            return any(e.get("data", {}).get("execve") ==
                       ["/bin/echo", "after-stall"]
                       for e in read_events(os.path.join(d, "out")))
        # the rule sees every execve on the host: another test running
        # beside this one (make -j) can leave a long backlog to drain
        wait_for(after, 120, "events after the stall never came out")
    finally:
        a.stop()
    wait_for(lambda: gone(os.path.join(d, "pid")), 10,
             "aushape did not end with auditd")
    events = read_events(os.path.join(d, "out"), done=True)
    dropped = sum(e.get("dropped", 0) for e in events)
    with open(os.path.join(d, "err")) as f:
        err = f.read()
    counts = [int(n) for n in re.findall(r"(\d+) event\(s\) dropped", err)]
    check(dropped > 0, "no event says events were dropped")
    check(counts and max(counts) >= dropped,
          "stderr says %r, events say %d dropped" % (counts, dropped))
    # What came out is whole events: each execve has its syscall and path
    for e in events:
        if "execve" in e.get("data", {}):
            check("syscall" in e["data"] and "path" in e["data"],
                  "a partial event: %r" % list(e["data"]))
    print("    3000 commands in %.1f s with the output stalled; %d events "
          "out, %d dropped" % (took, len(events), max(counts)))


def blocked_aushape(args, stdin):
    """aushape started the way auditd starts plugins: with SIGTERM and
    SIGHUP blocked and ignored."""
    def prep():
        signal.pthread_sigmask(signal.SIG_BLOCK,
                               {signal.SIGTERM, signal.SIGHUP})
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    return subprocess.Popen([AUSHAPE] + args, stdin=stdin,
                            stderr=subprocess.PIPE, preexec_fn=prep)


def log_lines(name):
    with open(os.path.join(SRC, "tests", "aushape", name), "rb") as f:
        return f.read()


@case("signals: SIGHUP reopens the output, SIGTERM ends, though blocked")
def signals():
    out = os.path.join(tmp, "sig.json")
    r, w = os.pipe()
    p = blocked_aushape(["--events-per-doc=none", "-f", out], r)
    os.close(r)
    log = log_lines("real.log").rstrip(b"\n").split(b"\n")

    def serial(line):
        return re.search(rb"msg=audit\([^)]*\)", line).group(0)
    # Cut between two events: a pause inside one would end it early
    cut = next(i for i in range(60, len(log))
               if serial(log[i]) != serial(log[i - 1]))
    os.write(w, b"\n".join(log[:cut]) + b"\n")
    wait_for(lambda: len(read_events(out)) > 3, 10, "no events written")
    os.rename(out, out + ".1")
    p.send_signal(signal.SIGHUP)
    time.sleep(0.3)
    os.write(w, b"\n".join(log[cut:]) + b"\n")
    wait_for(lambda: os.path.exists(out) and read_events(out), 10,
             "SIGHUP did not reopen the output")
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        raise
    os.close(w)
    check(rc == 0, "exit status %d after SIGTERM: %r" % (rc, p.stderr.read()))
    serials = [e["serial"] for e in read_events(out + ".1") +
               read_events(out)]
    check(len(serials) == len(set(serials)), "an event written twice")


@case("command line: errors, help, documents")
def command_line():
    def run(args, stdin=None):
        return subprocess.run([AUSHAPE] + args, capture_output=True,
                              stdin=stdin, timeout=30)
    for args, what in ((["--bogus"], "unknown option"),
                       (["-l", "xml"], 'must be one of "json"'),
                       (["--events-per-doc=x"], "--events-per-doc"),
                       (["--max-event-size=10"], "at least 1024"),
                       (["--fold=deep"], "--fold"),
                       (["a", "b"], "more than one input")):
        p = run(args)
        err = p.stderr.decode()
        check(p.returncode == 2 and what in err and "--help" in err,
              "%r: status %d, %r" % (args, p.returncode, err))
    p = run(["/nonexistent/audit.log"])
    check(p.returncode == 1 and b"/nonexistent/audit.log" in p.stderr and
          b"(check the path;" in p.stderr, "missing input: %r" % p.stderr)
    p = run(["-f", "/nonexistent/out.json"], stdin=subprocess.DEVNULL)
    check(p.returncode == 1 and b"/nonexistent/out.json" in p.stderr and
          b"-f)" in p.stderr, "bad output: %r" % p.stderr)
    p = run(["--help"])
    check(p.returncode == 0 and b"--events-per-doc" in p.stdout,
          "--help failed")
    log = os.path.join(SRC, "tests", "aushape", "real.log")
    single = run(["--events-per-doc=none", log])
    n = len(single.stdout.splitlines())
    check(n > 20, "only %d events" % n)
    # One document (the default): a JSON array of every event
    doc = json.loads(run([log]).stdout)
    check(len(doc) == n, "one document holds %d of %d" % (len(doc), n))
    # Documents of at most 5 events, and of at most 4096 bytes
    for args, ok in ((["--events-per-doc=5"], lambda d, t: len(d) <= 5),
                     (["--events-per-doc=-4096", "--fold=all"],
                      lambda d, t: len(d) == 1 or len(t) <= 4096)):
        text = run(args + [log]).stdout.decode()
        dec = json.JSONDecoder()
        i, total = 0, 0
        while text[i:].strip():
            while text[i].isspace():
                i += 1
            d, j = dec.raw_decode(text, i)
            check(ok(d, text[i:j]), "%r: a document of %d events, %d bytes"
                  % (args, len(d), j - i))
            total += len(d)
            i = j
        check(total == n, "%r: %d events of %d" % (args, total, n))


@case("tool: a log file is never dropped from, however slow the output")
def file_waits():
    log = os.path.join(SRC, "tests", "aushape", "real.log")
    p = subprocess.run(["sh", "-c", "%s --events-per-doc=none "
                        "--queue-size=4096 --max-event-size=unlimited %s | "
                        "{ sleep 1; cat; }" % (AUSHAPE, log)],
                       capture_output=True, timeout=60)
    events = [json.loads(line) for line in p.stdout.splitlines()]
    full = subprocess.run([AUSHAPE, "--events-per-doc=none", log],
                          capture_output=True).stdout.splitlines()
    check(len(events) == len(full) and not any("dropped" in e
                                               for e in events),
          "%d of %d events, stderr %r" % (len(events), len(full), p.stderr))


@case("syslog output: a missing daemon is waited for, and nothing is lost")
def syslog_waits():
    import socket
    log = os.path.join(SRC, "tests", "aushape", "real.log")
    want = subprocess.run([AUSHAPE, "--events-per-doc=none", log],
                          capture_output=True, check=True).stdout
    want = [json.loads(ln) for ln in want.splitlines()]
    path = os.path.join(tmp, "syslog.sock")
    p = subprocess.Popen([AUSHAPE, "--events-per-doc=none", "-o", "syslog",
                          "--syslog-socket", path,
                          "--syslog-facility=local3", log],
                         stderr=subprocess.PIPE)
    try:
        line = p.stderr.readline().decode()
        check("syslog.sock: send failed: No such file or directory; trying "
              "again" in line, "no word of the missing daemon: %r" % line)
        check(p.poll() is None, "aushape gave up (status %r)" % p.poll())
        # The daemon comes: every event arrives, in order, whole
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(path)
        s.settimeout(10)
        got = []
        while len(got) < len(want):
            got.append(s.recv(1 << 20).decode())
        s.close()
        check(p.wait(timeout=30) == 0, "exit status %r" % p.returncode)
        rest = p.stderr.read().decode()
        check("takes events again" in rest, "stderr %r" % rest)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    head = re.compile(r"^<(\d+)>\w{3} [ \d]\d \d\d:\d\d:\d\d aushape\[%d\]: "
                      % p.pid)
    for dgram, event in zip(got, want):
        m = head.match(dgram)
        check(m and int(m.group(1)) == 19 * 8 + 6,
              "datagram header %r" % dgram[:60])
        check(json.loads(dgram[m.end():]) == event, "event %r changed"
              % event.get("serial"))


@case("syslog output: with the queue full, the missing daemon is said at "
      "once")
def syslog_full_queue():
    import select
    import socket
    with open(os.path.join(SRC, "tests", "aushape", "real.log"), "rb") as f:
        one = f.read()
    # Far more than the queue holds: conversion waits for room, and the
    # writer's word of the missing daemon must come out meanwhile
    log = os.path.join(tmp, "many.log")
    with open(log, "wb") as f:
        f.write(one * 20)
    want = len(subprocess.run([AUSHAPE, "--events-per-doc=none", log],
                              capture_output=True,
                              check=True).stdout.splitlines())
    path = os.path.join(tmp, "full.sock")
    p = subprocess.Popen([AUSHAPE, "--events-per-doc=none", "-o", "syslog",
                          "--queue-size=4096", "--syslog-socket", path, log],
                         stderr=subprocess.PIPE)
    try:
        ready, _, _ = select.select([p.stderr], [], [], 5)
        check(ready, "nothing said of the missing daemon within 5 s")
        line = p.stderr.readline().decode()
        check("full.sock: send failed: No such file or directory; trying "
              "again" in line, "no word of the missing daemon: %r" % line)
        check(p.poll() is None, "aushape gave up (status %r)" % p.poll())
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(path)
        s.settimeout(10)
        got = 0
        while got < want:
            s.recv(1 << 20)
            got += 1
        s.close()
        check(p.wait(timeout=30) == 0, "exit status %r" % p.returncode)
        rest = p.stderr.read().decode()
        check("takes events again" in rest, "stderr %r" % rest)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


@case("contrib: the rsyslog configuration for audit events is valid")
def contrib_rsyslog():
    conf = os.path.join(tmp, "rsyslog-aushape.conf")
    with open(conf, "w") as f:
        f.write('module(load="mmjsonparse")\nmodule(load="omelasticsearch")\n'
                '$IncludeConfig %s\n' % os.path.join(
                    SRC, "contrib", "rsyslog", "aushape.conf"))
    p = subprocess.run(["rsyslogd", "-N1", "-f", conf], capture_output=True,
                       text=True, timeout=30)
    check(p.returncode == 0, "rsyslogd -N1: %s" % (p.stderr or p.stdout))
    with open(os.path.join(SRC, "contrib", "auditd", "aushape-plugin")) as f:
        args = f.read().split("exec ", 1)[1].replace("\\\n", " ").split()
    # The wrapper's options are ones aushape takes
    p = subprocess.run([AUSHAPE] + args[1:] + ["-o", "file", "-f", "-",
                                               "/dev/null"],
                       capture_output=True, timeout=30)
    check(p.returncode == 0, "wrapper options refused: %r" % p.stderr)


def main():
    skip_unless_root("starts auditd")
    for tool in ("auditd", "auditctl"):
        if shutil.which(tool) is None:
            print("FAIL setup: %s not found (run tools/install-deps)" % tool)
            return 1
    if audit_pid() != 0:
        print("FAIL setup: an audit daemon already runs (pid %d); the test "
              "needs to start its own" % audit_pid())
        return 1
    if subprocess.run(["id", USER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "-M", "-s", "/bin/sh", USER], check=True)
    return run_cases("aushape", sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
