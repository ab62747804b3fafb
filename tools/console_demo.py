#!/usr/bin/env python3
"""The console demo: a private Elasticsearch, a few recorded sessions
with the audit events behind them, one session still running, and
tlog-web serving the console page to a demo auditor; prints the URL and
the login, and runs until Ctrl-C.  Run through tools/demo console (which
builds first); everything it starts is private and goes at the end.

The sessions are recorded as on a production machine
(tests/progtest.py ShippedLogins): su - into tlog-rec-session as the
login shell, the agent tlog-recd (as host web1.example.com), and a
private rsyslogd running contrib/rsyslog's tlog.conf and tlog-es.conf
into the Elasticsearch; the running one reaches it the same way, a
message a second.  Their audit events are what aushape makes of the
real audit logs in tests/, moved to the sessions' audit sessions and
times.  The demo runs in a private mount namespace, with its own copy
of /etc: its users go with it.
"""
import json
import os
import signal
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("top_srcdir", TOP)
os.environ.setdefault("top_builddir", os.path.join(TOP, "build"))
sys.path.insert(0, os.path.join(TOP, "tests"))
from nsexec import reexec_in_namespace  # noqa: E402

if __name__ == "__main__":
    if os.getuid() != 0:
        sys.exit("console demo: run as root (sudo tools/demo console)")
    reexec_in_namespace("TLOG_CONSOLE_DEMO_NS", __file__)

import progtest  # noqa: E402
_own = len(progtest.CASES)
import web_test as wt  # noqa: E402
del progtest.CASES[_own:]
from progtest import ShippedLogins, ensure_user, es_request  # noqa: E402

AUDITOR, PASSWORD = "tlogdemo", "demo-auditor"
DIST = os.path.join(wt.BUILD, "web", "ui-build", "dist")
HOST = "web1.example.com"

SESSIONS = [
    # user, script, typed (once its first line is shown), commands run
    # (as audit events); each ends a moment later with a line of its own
    # to find it by ("USER-done")
    ("alice", "printf 'deploying release 4.2\\n'; ls -l --color=always"
     " /usr/bin | head -20; read x; echo restarting nginx; sleep 1;"
     " echo done", b"yes\r",
     [["systemctl", "restart", "nginx"], ["ls", "-l", "/usr/bin"]]),
    ("bob", "echo 'checking the backups'; sleep 0.5; read x; printf"
     " '\\033[1;31mpermission denied\\033[0m\\n'; sleep 0.5; echo bye",
     b"cat /etc/shadow\r", [["cat", "/etc/shadow"], ["sudo", "-l"]]),
    ("carol", "python3 %s; echo" % os.path.join(progtest.tmp,
                                                "full_screen.py"), None,
     [["python3", "full_screen.py"]]),
]


def audit_docs(first, argvs):
    """aushape's events of real audit records, moved to the session of
    the recording whose first message is first"""
    start_ms = int(first["time"] * 1000) - first["pos"]
    host, ses, user = first["host"].split(".")[0], first["session"], \
        first["user"]
    docs = []
    for k, argv in enumerate(argvs):
        e = wt.aushape_event("tests/aushape/real.log", "execve")
        e["host"], e["time"] = host, wt.iso_ms(start_ms + 300 + 700 * k)
        e["data"]["syscall"]["ses"] = [str(ses), str(ses)]
        e["data"]["syscall"]["auid"] = [user, "1000"]
        e["data"]["execve"] = argv
        e["data"].pop("proctitle", None)
        docs.append(e)
    f = wt.aushape_event("tests/audit/login.log", "user_auth")
    f["host"], f["time"] = host, wt.iso_ms(start_ms - 90000)
    f["data"]["user_auth"]["acct"] = [user]
    f["data"]["user_auth"]["res"] = ["failed"]
    docs.append(f)
    return docs


def main():
    if not os.path.exists(os.path.join(DIST, "app.js")):
        sys.exit("console demo: no page in %s: build with npm installed"
                 % DIST)
    progtest.private_etc()
    es_dir = os.path.join(progtest.tmp, "es")
    print("starting Elasticsearch (the first time, Maven fetches it)...")
    wt.es_url = progtest.start_elasticsearch(es_dir, "demo")
    if wt.es_url is None:
        progtest.stop_elasticsearch(es_dir)
        return 1
    web = logins = running = None
    try:
        wt.PASSWORDS = {AUDITOR: PASSWORD}
        wt.RULES = [{"auditors": [AUDITOR], "rights": [
            "search", "play", "input", "live", "export"]}]
        ensure_user(wt.SERVE_AS, system=True)
        ensure_user(AUDITOR, system=True)
        for name in ("tlog-access", "tlog_web_sessions", "aushape"):
            with open(os.path.join(TOP, "contrib", "elasticsearch",
                                   name + "-template.json")) as f:
                es_request(wt.es_url, "PUT", "/_index_template/" + name,
                           json.load(f))
        with open(os.path.join(progtest.tmp, "full_screen.py"), "w") as f:
            f.write(wt.FULL_SCREEN)
        print("recording the demo sessions (su, tlog-rec-session,"
              " tlog-recd, rsyslog)...")
        logins = ShippedLogins("demo", wt.es_url, HOST)
        terms = [logins.login(user, "%s; sleep 1.2; echo %s-done" % (
            script, user)) for user, script, _, _ in SESSIONS]
        for t, (_, _, typed, _) in zip(terms, SESSIONS):
            if typed is not None:
                t.wait_for(b"\n", 30)
                t.pump(0.5)
                t.send(typed)
        progtest.pump_all(terms, 120)
        docs = []
        for user, _, _, argvs in SESSIONS:
            docs += audit_docs(logins.stored(user + "-done")[0], argvs)
        es_request(wt.es_url, "POST", "/aushape-demo/_bulk",
                   "".join('{"index":{}}\n' + json.dumps(d) + "\n"
                           for d in docs).encode(), ndjson=True)
        es_request(wt.es_url, "POST", "/_refresh")
        # dave's session goes on for 10 minutes, a line a second
        running = logins.login("dave", "for i in $(seq 600); do echo"
                               " \"$(date +%T) tick $i\"; sleep 1; done")
        web = wt.Web("demo", conf={"ui": {"directory": DIST}})
        print()
        print("The console:  http://127.0.0.1:%d/" % web.port)
        print("Log in as:    %s / %s" % (AUDITOR, PASSWORD))
        print("(dave's session is running: open it to follow it;"
              " Ctrl-C ends the demo)")
        sys.stdout.flush()
        signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
        while True:
            running.pump(1)
    except KeyboardInterrupt:
        return 0
    finally:
        if running is not None and running.poll() is None:
            os.kill(running.pid, signal.SIGTERM)
            running.pump(1)
        if logins is not None:
            logins.stop()
        if web is not None and web.proc.poll() is None:
            web.proc.terminate()
            web.proc.wait(timeout=30)
        progtest.stop_elasticsearch(es_dir)


if __name__ == "__main__":
    sys.exit(main())
