#!/usr/bin/env python3
"""A recording joined to its audit events, end to end: a real auditd
watches a session that su opens through PAM (pam_loginuid gives it its
own audit session) and records with tlog-rec-session through the agent;
aushape converts the audit log; the recording and the events go into a
real Elasticsearch; web/tlog-web-audit finds the session's commands,
with their arguments and offsets into the recording, the read of a
watched file, a connection, and the failed su attempt made before it.

Needs root and no auditd already running.  The script re-runs itself in
a private mount namespace, where it binds its own PAM directory (su with
pam_rootok, pam_unix and pam_loginuid), tlog directory and utmp over the
machine's.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nsexec import reexec_in_namespace  # noqa: E402

if __name__ == "__main__":
    reexec_in_namespace("TLOG_AUDIT_JOIN_TEST_NS", __file__)

import json  # noqa: E402
import pwd  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import auditdlib  # noqa: E402
from auditdlib import audit_pid  # noqa: E402
from ptyterm import Term  # noqa: E402
from progtest import (BUILD, SESSION, Agent, case, check,  # noqa: E402
                      ensure_user, es_request, messages, private_pam,
                      private_tlog_conf, private_utmp, run_cases,
                      session_conf, start_elasticsearch, stop_elasticsearch,
                      tmp, TOP)

USER = "tlogjoin"
OTHER = "nobody"
SESSION = os.path.abspath(SESSION)
AUSHAPE = os.path.abspath(os.path.join(BUILD, "aushape", "aushape"))
DRIVER = os.path.abspath(os.path.join(BUILD, "web", "tlog-web-audit"))
CONF_DIR = os.path.join(tmp, "etc-tlog")
ES_DIR = os.path.join(tmp, "es")
WATCHED = "/etc/hostname"
# The session's commands: a listing, a read of the watched file, a
# program that cannot run (a file that is no program), a connection to
# Elasticsearch's port (PORT)
COMMANDS = ("sleep 0.3; ls /etc >/dev/null; sleep 0.3; cat %s; sleep 0.3; "
            "%s; sleep 0.3; python3 -c 'import socket; socket.create_"
            "connection((\"127.0.0.1\", PORT)).close()'; sleep 0.3; "
            "echo join-done" % (WATCHED, WATCHED))
state = {}


def failed_su():
    """An unprivileged user's su to USER with a wrong password"""
    t = Term(["su", USER, "-c", "true"], user=OTHER)
    try:
        check(t.wait_for(b"Password:"), "su asked no password: %r" % t.screen)
        t.send(b"not-the-password\r")
        status = t.finish(30)
    finally:
        t.close()
    check(status != 0, "su with a wrong password succeeded: %r" % t.screen)


def recorded_session(agent):
    """su (root, through PAM) opens USER's recorded session"""
    t = Term(["su", "-s", SESSION, USER, "-c",
              COMMANDS.replace("PORT", str(es_port()))])
    try:
        status = t.finish(60)
    finally:
        t.close()
    check(status == 0, "session exit status %r: %r" % (status, t.screen))
    check(b"join-done" in t.screen, "commands did not run: %r" % t.screen)
    deadline = time.time() + 10
    while True:
        msgs = messages(agent.out) if os.path.getsize(agent.out) else []
        if msgs and b"join-done" in "".join(
                m.get("out_txt", "") for m in msgs).encode():
            return msgs
        check(time.time() < deadline, "the recording did not arrive: %s"
              % agent.log_text())
        time.sleep(0.2)


def es_port():
    return int(state["es"].rsplit(":", 1)[1].strip("/"))


def bulk(url, index, docs):
    lines = []
    for d in docs:
        lines.append(json.dumps({"index": {"_index": index}}))
        lines.append(json.dumps(d))
    r = es_request(url, "POST", "/_bulk?refresh=true",
                   ("\n".join(lines) + "\n").encode(), ndjson=True)
    check(r.get("errors") is False, "bulk into %s: %r" % (index, r)[:2000])


def world():
    ensure_user(USER)
    private_tlog_conf(CONF_DIR)
    private_utmp()
    private_pam()


def session_closed(log):
    if not os.path.exists(log):
        return False
    with open(log, errors="replace") as f:
        return any("op=PAM:session_close" in line and
                   'acct="%s"' % USER in line for line in f)


def auditd_run(uid):
    """The failed su and the recorded session under a private auditd:
    the recording's messages and aushape's events"""
    a = auditdlib.Auditd(os.path.join(tmp, "auditd"))
    log = os.path.join(tmp, "auditd", "audit.log")
    agent = Agent("join")
    try:
        a.start([["-a", "exit,always", "-F", "arch=b64", "-S", "execve",
                  "-F", "auid=%d" % uid, "-k", "tlogjoin"],
                 ["-w", WATCHED, "-p", "r", "-k", "tlogwatch"],
                 ["-a", "exit,always", "-F", "arch=b64", "-S", "connect",
                  "-F", "auid=%d" % uid, "-k", "tlogconnect"]])
        failed_su()
        # the session starts clearly after the failed attempt
        time.sleep(1.5)
        agent.start()
        session_conf(CONF_DIR, agent)
        msgs = recorded_session(agent)
        # the session's close comes after all its commands: once it is in
        # the log, auditd has taken them from the kernel
        deadline = time.time() + 20
        while not session_closed(log):
            check(time.time() < deadline, "the session's end never reached "
                  "the audit log")
            time.sleep(0.2)
    finally:
        agent.stop()
        a.stop()
    if os.environ.get("TLOG_AUDIT_JOIN_KEEP"):
        shutil.copy(log, os.environ["TLOG_AUDIT_JOIN_KEEP"])
    p = subprocess.run([AUSHAPE, "--events-per-doc=none", log],
                       capture_output=True, timeout=120)
    check(p.returncode == 0, "aushape: %r" % p.stderr)
    events = [json.loads(line) for line in p.stdout.splitlines() if line]
    return msgs, events


@case("a recording's commands, file read and connection, and the failed "
      "su before it, from Elasticsearch")
def join():
    uid = pwd.getpwnam(USER).pw_uid
    msgs, events = auditd_run(uid)
    first, last = msgs[0], msgs[-1]
    check(0 < first["session"] < 4294967295,
          "no audit session in the recording (%r): pam_loginuid could not "
          "set the login uid" % first["session"])
    check(first["user"] == USER, "recorded as %r" % first["user"])
    # what rsyslog's aushape.conf adds: the sending host, by default its
    # short name (the recording has the fully qualified one)
    for e in events:
        e["host"] = first["host"].split(".")[0]
    url = state["es"]
    bulk(url, "tlog-join", msgs)
    bulk(url, "aushape-join", events)
    p = subprocess.run([DRIVER, "--es-url", url, "--rec-index", "tlog-join",
                        "--audit-index", "aushape-*", first["rec"]],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "driver: %s" % p.stderr)
    out = json.loads(p.stdout)
    check(out["session"] == first["session"] and out["user"] == USER and
          out["host"] == first["host"], "recording: %r" %
          {k: out.get(k) for k in ("session", "user", "host")})
    start = round(first["time"] * 1000) - first["pos"]
    check(out["start"] == start, "start %r, want %r" % (out["start"], start))
    duration = out["end"] - out["start"]
    check(duration >= (last["pos"] if len(msgs) > 1 else 0) and
          duration < 60000, "duration %r" % duration)
    ev = out["events"]
    mine = [e for e in events if e.get("data", {}).get("syscall", {})
            .get("ses") == [str(first["session"])]]
    check(mine, "aushape has no event of session %d (%d events in all)"
          % (first["session"], len(events)))
    check([e for e in ev if e["kind"] == "command"],
          "no command among the %d events of session %d found: %r"
          % (len(mine), first["session"], ev))
    offsets = [e["offset"] for e in ev]
    check(offsets == sorted(offsets), "not in order: %r" % offsets)
    cmds = [e for e in ev if e["kind"] == "command"]
    argvs = [e.get("argv") for e in cmds]

    def command(argv):
        found = [e for e in cmds if e.get("argv") == argv]
        check(len(found) == 1, "%r: %d times in %r" % (argv, len(found),
                                                      argvs))
        return found[0]
    ls = command(["ls", "/etc"])
    cat = command(["cat", WATCHED])
    for e in (ls, cat):
        check(0 <= e["offset"] <= duration, "%r at %r, recording 0..%r" %
              (e["argv"], e["offset"], duration))
        check(e["success"] is True and e["exit"] == 0, "result %r" % e)
        check(e["uid"] == {"name": USER, "id": uid} and
              e["auid"] == {"name": USER, "id": uid}, "ids %r" % e)
        check(e["cwd"] and e["exe"].endswith("/" + e["argv"][0]),
              "cwd/exe %r" % e)
        check(e["syscall"] == "execve", "syscall %r" % e)
    check(ls["offset"] < cat["offset"], "ls after cat: %r %r" %
          (ls["offset"], cat["offset"]))
    # the program that could not run: its path, no success
    bad = [e for e in cmds if e.get("argv") == [WATCHED]]
    check(len(bad) == 1 and bad[0]["success"] is False and
          bad[0]["exit"] < 0 and bad[0].get("error") and
          bad[0]["argv_from"] == "path" and
          cat["offset"] < bad[0]["offset"] <= duration,
          "the failed command: %r" % bad)
    # the watched file, read by cat
    reads = [e for e in ev if e["kind"] == "file" and
             e.get("key") == "tlogwatch" and e.get("exe", "").endswith("cat")]
    check(reads and any(p["name"] == WATCHED for p in reads[0]["paths"]),
          "no read of %s: %r" % (WATCHED, [e for e in ev
                                           if e["kind"] == "file"]))
    check(0 <= reads[0]["offset"] <= duration, "read at %r" %
          reads[0]["offset"])
    # the connection to Elasticsearch, from python3
    conns = [e for e in ev if e["kind"] == "connection" and
             e.get("family") == "inet" and e.get("port") == es_port()]
    check(len(conns) == 1 and conns[0]["address"] == "127.0.0.1" and
          conns[0]["success"] is True and conns[0]["key"] == "tlogconnect" and
          bad[0]["offset"] < conns[0]["offset"] <= duration,
          "the connection: %r" % [e for e in ev
                                  if e["kind"] == "connection"])
    # the failed su, before the recording
    auth = [e for e in ev if e["kind"] == "auth" and
            e.get("result") == "failed"]
    check(len(auth) >= 1, "no failed authentication: %r" %
          [e for e in ev if e["kind"] in ("auth", "login")])
    check(auth[0]["account"] == USER and auth[0]["type"] == "user_auth" and
          auth[0]["exe"] == "/usr/bin/su" and
          auth[0]["uid"]["name"] == OTHER, "failed auth: %r" % auth[0])
    check(-600000 < auth[0]["offset"] < -1000, "failed auth at %r" %
          auth[0]["offset"])
    # and the su that opened the session, between the two
    opened = [e for e in ev if e["kind"] == "login" and
              e.get("type") == "user_start" and e.get("account") == USER]
    check(len(opened) == 1 and opened[0]["result"] == "success" and
          auth[0]["offset"] < opened[0]["offset"] <= 1000,
          "session start: %r" % opened)
    # nothing of other sessions: every command is the user's
    check(all(e.get("auid", {}).get("id") == uid for e in cmds),
          "commands of others: %r" % [e for e in cmds
                                      if e.get("auid", {}).get("id") != uid])


@case("a recording that is not in the store: said so, exit status 1")
def unknown_recording():
    url = state["es"]
    es_request(url, "PUT", "/tlog-empty")
    p = subprocess.run([DRIVER, "--es-url", url, "--rec-index", "tlog-empty",
                        "no-such-recording"], capture_output=True, text=True,
                       timeout=60)
    check(p.returncode == 1 and p.stdout == "" and
          "recording no-such-recording not found in %s/tlog-empty" % url
          in p.stderr, "exit %d, %r %r" % (p.returncode, p.stdout, p.stderr))
    p = subprocess.run([DRIVER, "no-such-recording"], capture_output=True,
                       text=True, timeout=60)
    check(p.returncode == 2 and "--es-url" in p.stderr,
          "without a URL: exit %d, %r" % (p.returncode, p.stderr))


def main():
    for tool in ("auditd", "auditctl", "su", "unshare"):
        if shutil.which(tool) is None:
            print("FAIL setup: %s not found (run tools/install-deps)" % tool)
            return 1
    if audit_pid() != 0:
        print("FAIL setup: an audit daemon already runs (pid %d); the test "
              "needs to start its own" % audit_pid())
        return 1
    url = start_elasticsearch(ES_DIR, "audit_join")
    if url is None:
        stop_elasticsearch(ES_DIR)
        return 1
    try:
        with open(os.path.join(TOP, "contrib", "elasticsearch",
                               "aushape-template.json")) as f:
            r = es_request(url, "PUT", "/_index_template/aushape", json.load(f))
        if not r.get("acknowledged"):
            print("FAIL setup: aushape template not loaded: %r" % r)
            return 1
        state["es"] = url
        world()
        return run_cases("audit_join", sys.argv[1:])
    finally:
        stop_elasticsearch(ES_DIR)


if __name__ == "__main__":
    sys.exit(main())
