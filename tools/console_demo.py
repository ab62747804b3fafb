#!/usr/bin/env python3
"""The console demo: a private Elasticsearch, a few recorded sessions
with the audit events behind them, one session still running, and
tlog-web serving the console page to a demo auditor; prints the URL and
the login, and runs until Ctrl-C.  Run through tools/demo console (which
builds first); everything it starts is private and goes at the end.

The sessions are recorded by tlog-rec under a real terminal and stored
as rsyslog's tlog-es.conf stores them (one document per message); their
audit events are what aushape makes of the real audit logs in tests/,
moved to the sessions' hosts and times.
"""
import json
import os
import signal
import sys
import threading
import time
import urllib.parse

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("top_srcdir", TOP)
os.environ.setdefault("top_builddir", os.path.join(TOP, "build"))
sys.path.insert(0, os.path.join(TOP, "tests"))
import progtest  # noqa: E402
_own = len(progtest.CASES)
import web_test as wt  # noqa: E402
del progtest.CASES[_own:]
from progtest import ensure_user, es_request  # noqa: E402
from ptyterm import Term  # noqa: E402

AUDITOR, PASSWORD = "tlogdemo", "demo-auditor"
DIST = os.path.join(wt.BUILD, "web", "ui-build", "dist")

SESSIONS = [
    # name, user, host, audit session, script, typed, commands run
    ("deploy", "alice", "web1.example.com", 101,
     "printf 'deploying release 4.2\\n'; ls -l --color=always /usr/bin |"
     " head -20; read x; echo restarting nginx; sleep 1; echo done",
     b"yes\r", [["systemctl", "restart", "nginx"],
                ["ls", "-l", "/usr/bin"]]),
    ("secrets", "bob", "db1.example.com", 202,
     "echo 'checking the backups'; sleep 0.5; read x; printf"
     " '\\033[1;31mpermission denied\\033[0m\\n'; sleep 0.5; echo bye",
     b"cat /etc/shadow\r", [["cat", "/etc/shadow"],
                            ["sudo", "-l"]]),
    ("top", "carol", "web1.example.com", 303,
     "python3 " + os.path.join(wt.progtest.tmp, "full_screen.py"), None,
     [["python3", "full_screen.py"]]),
]


# the running session's recorder, ended with the demo
recorders = []


def audit_docs(start_ms, host, ses, user, argvs):
    """aushape's events of real audit records, moved to this session"""
    docs = []
    for k, argv in enumerate(argvs):
        e = wt.aushape_event("tests/aushape/real.log", "execve")
        e["host"], e["time"] = host.split(".")[0], wt.iso_ms(
            start_ms + 300 + 700 * k)
        e["data"]["syscall"]["ses"] = [str(ses), str(ses)]
        e["data"]["syscall"]["auid"] = [user, "1000"]
        e["data"]["execve"] = argv
        e["data"].pop("proctitle", None)
        docs.append(e)
    f = wt.aushape_event("tests/audit/login.log", "user_auth")
    f["host"], f["time"] = host.split(".")[0], wt.iso_ms(start_ms - 90000)
    f["data"]["user_auth"]["acct"] = [user]
    f["data"]["user_auth"]["res"] = ["failed"]
    docs.append(f)
    return docs


def main():
    if os.getuid() != 0:
        sys.exit("console demo: run as root (sudo tools/demo console)")
    if not os.path.exists(os.path.join(DIST, "app.js")):
        sys.exit("console demo: no page in %s: build with npm installed"
                 % DIST)
    es_dir = os.path.join(progtest.tmp, "es")
    print("starting Elasticsearch (the first time, Maven fetches it)...")
    wt.es_url = progtest.start_elasticsearch(es_dir, "demo")
    if wt.es_url is None:
        progtest.stop_elasticsearch(es_dir)
        return 1
    web = None
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
        print("recording the demo sessions...")
        docs = []
        for name, user, host, ses, script, typed, argvs in SESSIONS:
            wt.record(name, user, host, script, typed=typed, session=ses)
            first = progtest.messages(wt.rec_files[name])[0]
            docs += audit_docs(int(first["time"] * 1000), host, ses, user,
                               argvs)
        es_request(wt.es_url, "POST", "/aushape-demo/_bulk",
                   "".join('{"index":{}}\n' + json.dumps(d) + "\n"
                           for d in docs).encode(), ndjson=True)
        es_request(wt.es_url, "POST", "/_refresh")
        web = wt.Web("demo", conf={"ui": {"directory": DIST}})
        print()
        print("The console:  http://127.0.0.1:%d/" % web.port)
        print("Log in as:    %s / %s" % (AUDITOR, PASSWORD))
        print("(dave's session on web2 is running: open it to follow it;"
              " Ctrl-C ends the demo)")
        sys.stdout.flush()
        signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
        live_session()
    except KeyboardInterrupt:
        return 0
    finally:
        for t in recorders:
            try:
                os.kill(t.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        if web is not None and web.proc.poll() is None:
            web.proc.terminate()
            web.proc.wait(timeout=30)
        progtest.stop_elasticsearch(es_dir)


def live_session():
    """dave's session on web2, recorded now by tlog-rec, each message
    stored as soon as tlog-rec writes it (once a second), for 10 minutes;
    then the demo waits for Ctrl-C"""
    out = progtest.path_for("running")
    t = Term([progtest.REC, "--latency=1", "-o", out, "sh", "-c",
              "for i in $(seq 600); do echo \"$(date +%T) tick $i\";"
              " sleep 1; done"])
    recorders.append(t)
    done = []
    threading.Thread(target=lambda: done.append(t.finish(timeout=700)),
                     daemon=True).start()
    taken = 0
    while True:
        lines = []
        if os.path.exists(out):
            with open(out) as f:
                lines = f.read().split("\n")[:-1]
        for ln in lines[taken:]:
            m = json.loads(ln)
            m.update(user="dave", host="web2.example.com", session=404)
            es_request(wt.es_url, "PUT", "/%s/_doc/%s" % (
                wt.INDEX, urllib.parse.quote("%s/%s/%d" % (
                    m["host"], m["rec"], m["id"]), safe="")), m)
        taken = len(lines)
        if done:
            break
        time.sleep(0.2)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main())
