#!/usr/bin/env python3
"""What the recording agent does when the logger or the agent itself
fails: its spool keeps what the logger does not take, its courier
delivers it, and a recording whose recording process died says so.

The script re-runs itself in a private mount namespace (a private tlog
directory for tlog-rec-session.conf, a private /run/utmp).  Each case
starts its own tlog-recd, writing with its syslog writer to a private
rsyslogd that stores the messages raw.  Ten sessions run at once under
real PTYs as the unprivileged user USER; every recording is checked for
its end message and byte for byte against the screen, in our decoder and
in the reference /usr/bin/tlog-play.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nsexec import reexec_in_namespace  # noqa: E402

if __name__ == "__main__":
    reexec_in_namespace("TLOG_SPOOL_TEST_NS", __file__)

import json  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

from ptyterm import Term  # noqa: E402
from progtest import (BUILD, SESSION, Agent, Rsyslog, case,  # noqa: E402
                      check, decode, ensure_user, exact, private_tlog_conf,
                      private_utmp, run_cases, session_conf, tmp)

USER = "tlogtest"
CONF_DIR = os.path.join(tmp, "etc-tlog")
SESSION = os.path.abspath(SESSION)
PLAY = os.path.join(BUILD, "play", "tlog-play")
SESSIONS = 10


def syslog_agent(name, rs, args=()):
    """An agent writing to rs, messages after a second at the latest"""
    a = Agent(name, ["--writer", "syslog", "--syslog-socket", rs.sock] +
              list(args), file_writer=False)
    session_conf(CONF_DIR, a)
    return a


def start_sessions(script, n=SESSIONS):
    """n recorded sessions of USER's running sh -c script, with $K set
    to the session's number"""
    return [Term([SESSION, "-c", "K=%d; %s" % (k, script)], user=USER)
            for k in range(n)]


def pump_all(terms, until, timeout):
    """Show every session's output until until() holds"""
    end = time.monotonic() + timeout
    while not until():
        check(time.monotonic() < end, "sessions stuck: %r" %
              [t.screen[-80:] for t in terms if t.poll() is None])
        for t in terms:
            t.pump(0.01)
            t.poll()


def finish_all(terms, timeout=60):
    pump_all(terms, lambda: all(t.poll() is not None for t in terms),
             timeout)
    for t in terms:
        t.pump(0.1)


def recordings(lines):
    """The messages received, by recording, each list ordered by id.  A
    message sent again after the logger restarted is kept once, as the
    store keeps it, and must be the same each time."""
    recs, seen = {}, {}
    for ln in lines:
        m = json.loads(ln)
        key = (m["rec"], m["id"])
        if key in seen:
            check(seen[key] == ln, "message %r arrived twice, different"
                  % (key,))
            continue
        seen[key] = ln
        recs.setdefault(m["rec"], []).append((m, ln))
    for v in recs.values():
        v.sort(key=lambda x: x[0]["id"])
    return recs


def of_session(recs, k):
    """The recording of session k: the one whose output names it"""
    mark = "session-%d-start" % k
    for rec, msgs in recs.items():
        if any(mark in m["out_txt"] for m, _ in msgs):
            return rec, msgs
    check(False, "no recording of session %d among %d" % (k, len(recs)))


def write_rec(name, msgs):
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        for _, ln in msgs:
            f.write(ln + "\n")
    return path


def wait_messages(rs, done, timeout):
    """The received lines, once done(recordings) holds"""
    end = time.monotonic() + timeout
    while True:
        recs = recordings(rs.messages(0, timeout=0))
        if done(recs) or time.monotonic() > end:
            return recs
        time.sleep(0.5)


def spool_emptied(agent):
    """The courier removes each file once the logger has surely taken
    what it held: read from its socket, and some seconds passed"""
    end = time.monotonic() + 30
    while os.listdir(os.path.join(agent.dir, "spool")):
        check(time.monotonic() < end, "the spool was not emptied: %r" %
              os.listdir(os.path.join(agent.dir, "spool")))
        time.sleep(0.2)


def ended(msgs):
    m = msgs[-1][0]
    return m.get("x_tlog_end")


def complete(recs, n):
    return len(recs) >= n and all(ended(v) is not None for v in recs.values())


def listed(path):
    """tlog-play --list's line for the recording file path"""
    p = subprocess.run([PLAY, "--list", "-i", path], capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL)
    check(p.returncode == 0, "tlog-play --list: %s" % p.stderr)
    return p.stdout


def check_complete(recs, terms, name):
    """Each session's recording: ids 1..N, the end message saying the
    shell exited 0, nothing dropped, byte-exact in both players, and
    listed as complete"""
    for k, t in enumerate(terms):
        rec, msgs = of_session(recs, k)
        ids = [m["id"] for m, _ in msgs]
        check(ids == list(range(1, len(ids) + 1)),
              "session %d: ids %r" % (k, ids))
        check(ended(msgs) == {"exit": 0}, "session %d ends %r" %
              (k, ended(msgs)))
        check(not any("x_tlog_drop" in m for m, _ in msgs),
              "session %d: messages dropped" % k)
        path = write_rec("%s-%d" % (name, k), msgs)
        exact(path, t.screen)
        line = listed(path)
        check("cut short" not in line, "complete recording listed as %r"
              % line)


@case("sessions that end while the logger is stopped for 60 s: complete"
      " recordings once it is back, and no session waits for it")
def logger_stopped():
    rs = Rsyslog("stopped-rs")
    rs.start()
    try:
        with syslog_agent("stopped", rs) as a:
            terms = start_sessions(
                "echo session-$K-start; i=0; while [ $i -lt 30 ]; do "
                "echo line $i of session $K; i=$((i+1)); sleep 0.1; done;"
                " while [ ! -e %s/go ]; do sleep 0.1; done; "
                "seq 1 3000; echo session-$K-end" % tmp)
            pump_all(terms, lambda: all(b"line 29 of" in t.screen
                                        for t in terms), 60)
            time.sleep(1.5)         # the latency: the first part is out
            rs.stop()
            stopped = time.monotonic()
            open(os.path.join(tmp, "go"), "w").close()
            finish_all(terms, timeout=30)
            took = time.monotonic() - stopped
            check(took < 20, "the sessions waited %.0f s for the logger"
                  % took)
            for k, t in enumerate(terms):
                check(t.status == 0, "session %d: %r" % (k, t.status))
                check(b"session-%d-end" % k in t.screen,
                      "session %d: end not shown" % k)
            time.sleep(max(0.0, 60 - (time.monotonic() - stopped)))
            rs.start()
            recs = wait_messages(rs, lambda r: complete(r, SESSIONS), 60)
            check(len(recs) == SESSIONS, "%d recordings arrived" %
                  len(recs))
            check_complete(recs, terms, "stopped")
            spool_emptied(a)
    finally:
        rs.stop()


@case("sessions that end while their last messages wait unread in the"
      " logger's socket, the logger then killed: sent again, complete")
def logger_killed_unread():
    rs = Rsyslog("unread-rs")
    rs.start()
    try:
        with syslog_agent("unread", rs) as a:
            terms = start_sessions(
                "echo session-$K-start; while [ ! -e %s/go-unread ]; do"
                " sleep 0.1; done; seq 1 50; echo session-$K-end" % tmp,
                n=5)
            pump_all(terms, lambda: all(b"-start" in t.screen
                                        for t in terms), 30)
            # every recording's start is in the logger's file: nothing of
            # it waits in the logger's memory when it is stopped
            wait_messages(rs, lambda r: len(r) >= 5, 15)
            rs.proc.send_signal(signal.SIGSTOP)
            open(os.path.join(tmp, "go-unread"), "w").close()
            finish_all(terms, timeout=30)
            for k, t in enumerate(terms):
                check(t.status == 0, "session %d: %r" % (k, t.status))
            # the sessions are over; their last messages are unread in
            # the socket of a logger that dies without reading them
            time.sleep(1)
            rs.proc.kill()
            rs.proc.wait()
            rs.start()
            recs = wait_messages(rs, lambda r: complete(r, 5), 60)
            check_complete(recs, terms, "unread")
            spool_emptied(a)
    finally:
        rs.stop()


def parent(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None


def recorders(agent):
    """The recording processes of agent's sessions: its workers but the
    courier, whose parent is the listener"""
    out = []
    for pid in agent.workers():
        ppid = parent(pid)
        if ppid is not None and (agent.proc is None or
                                 ppid != agent.proc.pid):
            out.append(pid)
    return out


@case("the agent's listener killed and restarted mid-session: the"
      " sessions go on, nothing lost")
def listener_killed():
    rs = Rsyslog("listener-rs")
    rs.start()
    a = syslog_agent("listener", rs)
    try:
        a.start()
        terms = start_sessions(
            "echo session-$K-start; while [ ! -e %s/go2 ]; do sleep 0.1;"
            " done; seq 1 2000; echo session-$K-end" % tmp, n=3)
        pump_all(terms, lambda: all(b"-start" in t.screen for t in terms),
                 30)
        a.proc.kill()
        a.proc.wait()
        a.proc = None
        time.sleep(0.5)
        # the courier went with its listener; the sessions' processes did
        # not (their parents are the agent's root processes)
        orphans = [w for w in a.workers() if parent(w) == 1]
        check(orphans == [], "processes left by the listener: %r" % orphans)
        check(len(a.workers()) == 3, "recorders %r" % a.workers())
        a.start()
        open(os.path.join(tmp, "go2"), "w").close()
        finish_all(terms)
        later = start_sessions("echo later-$K-start; echo after", n=1)
        finish_all(later)
        recs = wait_messages(rs, lambda r: complete(r, 4), 30)
        check_complete(recs, terms, "listener")
    finally:
        a.stop()
        rs.stop()


@case("a session's recording process killed: the courier ends the"
      " recording saying so, and what was recorded plays")
def recorder_killed():
    rs = Rsyslog("killed-rs")
    rs.start()
    try:
        with syslog_agent("killed", rs) as a:
            terms = start_sessions(
                "echo session-$K-start; seq 1 500; echo shown-$K; "
                "sleep 60", n=3)
            pump_all(terms, lambda: all(b"shown-" in t.screen
                                        for t in terms), 30)
            time.sleep(2)           # the latency: all of it written
            victims = recorders(a)
            check(len(victims) == 3, "recording processes %r" % victims)
            os.kill(victims[0], signal.SIGKILL)
            pump_all(terms, lambda: sum(t.poll() is not None
                                        for t in terms) >= 1, 30)
            recs = wait_messages(rs, lambda r: sum(
                ended(v) is not None for v in r.values()) >= 1, 15)
            cut = [(rec, v) for rec, v in recs.items()
                   if ended(v) is not None]
            check(len(cut) == 1, "%d recordings ended" % len(cut))
            rec, msgs = cut[0]
            end = ended(msgs)
            last = msgs[-2][0]["id"]
            check(end == {"recorder": "lost", "after": last},
                  "end message %r (last message %d)" % (end, last))
            ids = [m["id"] for m, _ in msgs]
            check(ids == list(range(1, len(ids) + 1)), "ids %r" % ids)
            k = next(k for k in range(3) if terms[k].poll() is not None)
            path = write_rec("killed", msgs)
            shown = terms[k].screen
            shown = shown[:shown.index(b"shown-%d\r\n" % k) + 9]
            exact(path, shown)
            line = listed(path)
            check("end cut short (recorder lost after %d)" % last in line,
                  "cut recording listed as %r" % line)
            for t in terms:
                if t.poll() is None:
                    os.kill(t.pid, signal.SIGHUP)
            finish_all(terms)
    finally:
        rs.stop()


@case("the whole agent killed while the logger is away: restarted, it"
      " delivers what the spool held and says the recordings were cut")
def agent_killed():
    rs = Rsyslog("all-rs")
    rs.start()
    a = syslog_agent("all", rs)
    try:
        a.start()
        terms = start_sessions(
            "echo session-$K-start; seq 1 300; echo shown-$K; sleep 60",
            n=3)
        time.sleep(0.5)
        rs.stop()
        pump_all(terms, lambda: all(b"shown-" in t.screen for t in terms),
                 30)
        time.sleep(2)               # the latency: all of it spooled
        a.stop()                    # listener, courier, recorders: KILL
        finish_all(terms)
        rs.start()
        a.start()
        recs = wait_messages(rs, lambda r: complete(r, 3), 30)
        check(len(recs) == 3, "%d recordings" % len(recs))
        for k, t in enumerate(terms):
            rec, msgs = of_session(recs, k)
            ids = [m["id"] for m, _ in msgs]
            check(ids == list(range(1, len(ids) + 1)), "ids %r" % ids)
            check(ended(msgs) == {"recorder": "lost",
                                  "after": msgs[-2][0]["id"]},
                  "session %d ends %r" % (k, ended(msgs)))
            path = write_rec("all-%d" % k, msgs)
            shown = t.screen[:t.screen.index(b"shown-%d\r\n" % k) + 9]
            exact(path, shown)
            line = listed(path)
            check("end cut short (recorder lost after" in line,
                  "cut recording listed as %r" % line)
    finally:
        a.stop()
        rs.stop()


@case("a full spool drops, with the note, and the session goes on")
def spool_full():
    rs = Rsyslog("full-rs")
    try:
        with syslog_agent("full", rs, ["--spool-max", "200000"]) as a:
            terms = start_sessions("echo session-$K-start; seq 1 100000;"
                                   " echo session-$K-end", n=1)
            finish_all(terms)
            check(terms[0].status == 0, "status %r" % terms[0].status)
            rs.start()
            recs = wait_messages(rs, lambda r: complete(r, 1), 30)
            rec, msgs = of_session(recs, 0)
            check(ended(msgs) == {"exit": 0}, "ends %r" % ended(msgs))
            drops = [m["x_tlog_drop"] for m, _ in msgs if "x_tlog_drop" in m]
            ids = [m["id"] for m, _ in msgs]
            missing = ids[-1] - len(ids)
            check(drops and sum(d["messages"] for d in drops) == missing,
                  "drops %r, %d ids missing" % (drops, missing))
            spooled = sum(len(ln) for _, ln in msgs)
            check(spooled < 400000, "%d bytes came through a 200000 byte"
                  " spool" % spooled)
            path = write_rec("full", msgs)
            out = decode(path, lax=True)
            check(out and terms[0].screen.startswith(out[:1000]),
                  "the recording's start differs from the screen")
            line = listed(path)
            check("cut short" in line, "a recording with a gap listed as"
                  " %r" % line)
            spool_emptied(a)
    finally:
        rs.stop()


def main():
    ensure_user(USER)
    private_tlog_conf(CONF_DIR)
    private_utmp()
    return run_cases("spool", sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
