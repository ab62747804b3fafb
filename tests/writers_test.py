#!/usr/bin/env python3
"""The syslog and journal writers against real daemons.

A private rsyslogd (its own configuration, socket and output file) and
systemd-journald (the script runs again in a private mount namespace,
where the journal's sockets and files are its own) receive recordings
made under a real PTY.  What arrives must decode, in ours and in the
reference tlog-play, to exactly what the terminal showed.
"""
import json
import os
import pwd
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nsexec import reexec_in_namespace  # noqa: E402

if __name__ == "__main__":
    reexec_in_namespace("TLOG_WRITERS_TEST_NS", __file__)

from ptyterm import Term  # noqa: E402
from progtest import (AGENT_USER, BUILD, REC, REF_PLAY,  # noqa: E402
                      SESSION, TRAILER, Agent, Rsyslog, case, check,
                      decode, ensure_user, exact, path_for, run_cases, tmp)
from privjournal import JOURNALD, PrivateJournald  # noqa: E402


def rec_of(path):
    with open(path) as f:
        return json.loads(f.readline())["rec"]


def record_demo(argv, env=None):
    """Record a short session of several messages under a PTY."""
    t = Term(argv + ["sh", "-c", "printf 'caf\\303\\251 \\342\\202\\254 "
                     "\\377\\n'; seq 1 2000"], env=env)
    st = t.finish()
    return t, st


journald = PrivateJournald()


@case("syslog writer through a private rsyslogd, byte-exact")
def syslog_basic():
    rs = Rsyslog("rs1")
    rs.start()
    try:
        t, st = record_demo([REC, "-w", "syslog", "--syslog-socket", rs.sock,
                             "--payload=512"])
        check(st == 0, "exit status %r" % st)
        path, lines = rs.file("syslog", 10)
        check(len(lines) >= 10, "only %d messages arrived" % len(lines))
        ids = [json.loads(ln)["id"] for ln in lines]
        check(ids == list(range(1, len(ids) + 1)), "ids %r" % ids[:20])
        exact(path, t.screen)
    finally:
        rs.stop()


@case("syslog outage: messages wait and arrive when rsyslogd starts")
def syslog_outage():
    rs = Rsyslog("rs2")
    t = Term([REC, "-w", "syslog", "--syslog-socket", rs.sock,
              "--latency=1", "sh", "-c",
              "for i in 1 2 3 4; do echo tick $i; sleep 0.5; done"])
    t.pump(1.2)
    check(not os.path.exists(rs.sock), "socket there too early")
    rs.start()
    try:
        st = t.finish()
        check(st == 0, "exit status %r (%r)" % (st, t.screen[-200:]))
        path, lines = rs.file("outage", 2)
        ids = [json.loads(ln)["id"] for ln in lines]
        check(len(ids) >= 2 and ids == list(range(1, len(ids) + 1)),
              "ids %r" % ids)
        check(all("x_tlog_drop" not in ln for ln in lines), "drops noted")
        exact(path, t.screen)
    finally:
        rs.stop()


@case("syslog never there: the loss is reported after the terminal is back")
def syslog_absent():
    sock = os.path.join(tmp, "nobody.sock")
    p = subprocess.run([REC, "-w", "syslog", "--syslog-socket", sock,
                        "echo", "hi"], capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=30)
    check(p.stdout == b"hi\n", "the command's output was held back")
    check(p.returncode == 1, "exit status %d" % p.returncode)
    check(b"could not be written" in p.stderr and
          b"No such file or directory" in p.stderr, "stderr %r" % p.stderr)


@case("journal writer: fields, order, and the reference plays it")
def journal_basic():
    journald.start()
    out = path_for("journal-meta")
    t, st = record_demo([REC, "-w", "journal", "--payload=512"])
    check(st == 0, "exit status %r" % st)
    # find the recording: the newest tlog-rec entry
    p = subprocess.run(["journalctl", "-o", "json", "--no-pager", "-n", "1",
                        "SYSLOG_IDENTIFIER=tlog-rec"], capture_output=True,
                       text=True)
    rec = json.loads(p.stdout.splitlines()[-1])["TLOG_REC"]
    got = journald.entries("TLOG_REC=" + rec, 10)
    check(len(got) >= 10, "only %d entries" % len(got))
    msgs = [json.loads(e["MESSAGE"]) for e in got]
    check([m["id"] for m in msgs] == list(range(1, len(msgs) + 1)),
          "ids out of order")
    for e, m in zip(got, msgs):
        check(e["TLOG_ID"] == str(m["id"]) and e["TLOG_USER"] == m["user"] and
              e["TLOG_SESSION"] == str(m["session"]) and e["PRIORITY"] == "6",
              "fields %r" % {k: v for k, v in e.items() if k.startswith("TLOG")})
    with open(out, "w") as f:
        f.write("".join(e["MESSAGE"] + "\n" for e in got))
    exact(out, t.screen)
    r, w = os.pipe()
    try:
        ref = subprocess.run([REF_PLAY, "-r", "journal", "-M",
                              "TLOG_REC=" + rec], stdin=r,
                             capture_output=True, timeout=60)
    finally:
        os.close(r)
        os.close(w)
    check(ref.stdout == t.screen + TRAILER,
          "reference tlog-play -r journal differs")


USER = "tlogtest"
SYSCONFDIR = os.environ.get("TLOG_SYSCONFDIR", "/etc")
CONF_DIR = os.path.join(tmp, "etc-tlog")
PLAY = os.path.join(BUILD, "play", "tlog-play")


def through_agent(agent, script):
    """Run sh -c script in a session of USER's recorded by agent, without
    a terminal: tlog-rec-session's configuration, the test's own, is
    bound over the configured one"""
    target = os.path.join(SYSCONFDIR, "tlog")
    if not os.path.isdir(CONF_DIR):
        os.makedirs(CONF_DIR)
        os.makedirs(target, exist_ok=True)
        subprocess.run(["mount", "--bind", CONF_DIR, target], check=True)
    with open(os.path.join(CONF_DIR, "tlog-rec-session.conf"), "w") as f:
        json.dump({"notice": "", "shell": "/bin/sh",
                   "agent": {"socket": agent.sock}}, f)
    ensure_user(USER)
    p = subprocess.run(["runuser", "-u", USER, "--", SESSION, "-c", script],
                       capture_output=True, stdin=subprocess.DEVNULL,
                       timeout=30)
    check(p.returncode == 0, "exit status %d: %r" % (p.returncode, p.stderr))
    return p.stdout


@case("the agent writes to the journal by default, as its own user")
def agent_journal():
    journald.start()
    with Agent("agent-journal", file_writer=False) as a:
        shown = through_agent(a, "echo in-the-journal")
    got = journald.entries("SYSLOG_IDENTIFIER=tlog-recd")
    check(got, "nothing in the journal")
    # the last message recorded, before the end message
    e = [g for g in got if "x_tlog_end" not in json.loads(g["MESSAGE"])][-1]
    m = json.loads(e["MESSAGE"])
    check(m["out_txt"] == "in-the-journal\n" and m["user"] == USER,
          "message %r" % m)
    check(e["_UID"] == str(pwd.getpwnam(AGENT_USER).pw_uid),
          "written by uid %s" % e["_UID"])
    # which is what tlog-play takes by default
    p = subprocess.run([PLAY, "-r", "journal", "-M",
                        "TLOG_REC=" + e["TLOG_REC"]], capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=30)
    check(p.returncode == 0 and p.stdout == shown and p.stderr == b"",
          "tlog-play -r journal: %d %r %r" % (p.returncode, p.stdout,
                                              p.stderr))


@case("the agent falls back to syslog without a journal")
def agent_fallback():
    journald.start()        # its mounts, then no journal
    journald.stop()
    rs = Rsyslog("rs3")
    rs.start()
    try:
        with Agent("agent-syslog", ["--syslog-socket", rs.sock],
                   file_writer=False) as a:
            shown = through_agent(a, "echo via-syslog")
        path, lines = rs.file("fallback", 1)
        check(lines and json.loads(lines[0])["out_txt"] == "via-syslog\n",
              "syslog got %r" % lines)
        check(decode(path) == shown, "recording differs")
    finally:
        rs.stop()


def main():
    if os.getuid() != 0:
        print("FAIL setup: run as root (starts rsyslogd and journald)")
        return 1
    for tool in ("rsyslogd", "journalctl", JOURNALD):
        if shutil.which(tool) is None:
            print("FAIL setup: %s not found (run tools/install-deps)" % tool)
            return 1
    try:
        return run_cases("writers", sys.argv[1:])
    finally:
        journald.stop()


if __name__ == "__main__":
    sys.exit(main())
