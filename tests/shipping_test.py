#!/usr/bin/env python3
"""Shipping recordings survives a crash of rsyslog while the store is
away, in bounded memory.

Real daemons: one private Elasticsearch (tests/es/start), reached
through a TCP proxy of the test's own (tests/tcpproxy.py) that can cut
it off without stopping it; a private rsyslogd running the project's
contrib/rsyslog/tlog.conf and tlog-es.conf (with tlog-journal.conf for
the journal path, against a journald of the test's own); sessions of
the user tlogrecorded recorded by the agent (tests/progtest.py Agent)
through tlog-rec-session, their screens captured.  While the store is
away the sessions run to their end, rsyslogd is killed (SIGKILL) and
started again, and then the store comes back: every message of every
session must arrive and each recording must play byte-exact, in ours
and in the reference tlog-play.  At volume, rsyslogd's resident memory
is sampled from /proc all along and must stay under the bound that
contrib/rsyslog/README documents.

The reference tlog's recordings are taken from the uid configured as
trusted for them, and from nobody else.

TLOG_TEST_RSYSLOG_DIR names another directory to take the rsyslog files
from (another version of them).  TLOG_SHIPPING_SCALE (default 1) scales
the volume case down for a quick run.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nsexec import reexec_in_namespace  # noqa: E402

if __name__ == "__main__":
    reexec_in_namespace("TLOG_SHIPPING_TEST_NS", __file__)

import pwd  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

from ptyterm import Term  # noqa: E402
from progtest import (AGENT_USER, REF_PLAY, SESSION, TRAILER,  # noqa: E402
                      Agent, EsRsyslog, case, check, ensure_user, es_request,
                      private_tlog_conf, pump_all, run_cases, session_conf,
                      start_elasticsearch, stop_elasticsearch, tmp)
from privjournal import PrivateJournald  # noqa: E402
from tcpproxy import TcpProxy  # noqa: E402

TOP = os.environ.get("top_srcdir", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), ".."))
BUILD = os.environ.get("top_builddir", TOP)
PLAY = os.path.join(BUILD, "play", "tlog-play")
ES_DIR = os.path.join(tmp, "es")
RSYSLOG_DIR = os.environ.get("TLOG_TEST_RSYSLOG_DIR",
                             os.path.join(TOP, "contrib", "rsyslog"))
SCALE = float(os.environ.get("TLOG_SHIPPING_SCALE", "1"))
CONF_DIR = os.path.join(tmp, "etc-tlog")
RECORDED = "tlogrecorded"
FORGER = "tlogtest"
# the user the reference tlog runs as, trusted for its recordings
REFERENCE = "tlogref"
REF_REC = "/usr/bin/tlog-rec"
# rsyslogd's resident memory at volume must stay under this (KiB); the
# figure and how it was found: contrib/rsyslog/README
RSS_BOUND_KIB = 64 * 1024

es_url = None
proxy = None
journald = PrivateJournald()
agents = []


def es(method, path, body=None):
    return es_request(es_url, method, path, body)


def Rsyslog(name, journal=False):
    """The project's rsyslog files storing through the proxy, the
    reference tlog's uid trusted too"""
    return EsRsyslog(name, proxy.port, journal=journal, reference=REFERENCE,
                     rsyslog_dir=RSYSLOG_DIR)


def sessions(n, lines, writer, rs, tag):
    """Record n sessions at once through one agent; each shows a marker
    and then lines numbered lines.  Returns their terminals, ended."""
    args = ["--writer", writer, "--latency", "1", "--payload", "1024"]
    if writer == "syslog":
        args += ["--syslog-socket", rs.sock]
    a = Agent("agent-" + tag, args, file_writer=False).start()
    agents.append(a)
    session_conf(CONF_DIR, a)

    def processes():
        p = subprocess.run(["pgrep", "-f", "%s --socket %s " % (
            a.argv[0], a.sock)], capture_output=True, text=True)
        return len(p.stdout.split())
    idle = processes()
    terms = []
    for i in range(n):
        script = ("printf 'ship-%s-%d caf\\303\\251 \\342\\202\\254\\n'; "
                  "seq 1 %d | sed 's/^/%s-%d-/'; echo end-%s-%d"
                  % (tag, i, lines, tag, i, tag, i))
        terms.append(Term([SESSION, "-c", script], user=RECORDED))
    pump_all(terms, 600)
    # every session's recorder has written its last message: the agent
    # is back to its processes before the sessions
    end = time.monotonic() + 60
    while processes() > idle:
        check(time.monotonic() < end, "the agent's sessions did not end")
        time.sleep(0.2)
    return terms


def rec_of(marker):
    """The recording a message showing marker belongs to, or None"""
    r = es("POST", "/tlog-*/_search", {"size": 1, "query": {
        "match_phrase": {"out_txt": marker}}})
    hits = r.get("hits", {}).get("hits", [])
    return hits[0]["_source"]["rec"] if hits else None


def difference(got, screen):
    """Where a playback and a screen part, for a failure message"""
    if got is None:
        return "the player failed"
    at = next((i for i, (a, b) in enumerate(zip(got, screen)) if a != b),
              min(len(got), len(screen)))
    return "byte %d of %d/%d: %r vs %r" % (at, len(got), len(screen),
                                           got[at:at + 40],
                                           screen[at:at + 40])


def ids_of(rec):
    r = es("POST", "/tlog-*/_search", {
        "size": 10000, "_source": ["id"], "sort": [{"id": "asc"}],
        "query": {"term": {"rec": rec}}})
    return [h["_source"]["id"] for h in r.get("hits", {}).get("hits", [])]


def ours(rec, complete=True):
    """What our tlog-play shows of rec, or None if it failed; a
    recording that need not be complete (the reference records no end
    message) may be reported cut short"""
    p = subprocess.run([PLAY, "-r", "es", "--es-baseurl",
                        es_url + "/tlog-*/_search", "--es-query",
                        'rec:"%s"' % rec, "-g", "end"], capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=300)
    ok = (0,) if complete else (0, 3)
    return p.stdout if p.returncode in ok else None


def reference(rec):
    r, w = os.pipe()        # a silent stdin: at end of file it spins
    try:
        p = subprocess.run([REF_PLAY, "-r", "es", "--es-baseurl",
                            es_url + "/tlog-*/_search", "--es-query",
                            'rec:"%s"' % rec], stdin=r, capture_output=True,
                           timeout=600)
    finally:
        os.close(r)
        os.close(w)
    check(p.returncode == 0 and p.stdout.endswith(TRAILER),
          "reference tlog-play -r es failed: %r" % p.stderr[-300:])
    return p.stdout[:-len(TRAILER)]


def cut_short(rec):
    """Whether tlog-play --list reports the recording cut short"""
    p = subprocess.run([PLAY, "-r", "es", "--es-baseurl",
                        es_url + "/tlog-*/_search", "--es-query",
                        'rec:"%s"' % rec, "--list"], capture_output=True,
                       text=True, stdin=subprocess.DEVNULL, timeout=120)
    check(p.returncode == 0, "--list: %r" % p.stderr)
    return "cut short" in p.stdout


def shipping_errors(rs):
    """What rsyslogd said of messages it could not store: its error file
    and its own complaints, shortened"""
    said = []
    err = os.path.join(rs.dir, "tlog-err")
    if os.path.exists(err):
        with open(err, errors="replace") as f:
            lines = f.readlines()
        said.append("%d lines in the error file, the first: %s" %
                    (len(lines), lines[0][:400] if lines else ""))
    with open(os.path.join(rs.dir, "stderr"), errors="replace") as f:
        said.append("rsyslogd: " + f.read()[-600:])
    return "; ".join(said)


def all_arrive(terms, tag, timeout, reference_too, rs):
    """Every session's recording arrives whole and plays byte-exact;
    the failure says how many messages are missing"""
    recs = [None] * len(terms)
    done = [False] * len(terms)
    end = time.monotonic() + timeout
    stored, still = -1, time.monotonic()
    while True:
        es("POST", "/tlog-*/_refresh")
        # nothing new for a minute: what is missing is not coming
        n = es("GET", "/tlog-*/_count").get("count", 0)
        if n != stored:
            stored, still = n, time.monotonic()
        elif time.monotonic() - still > 60:
            end = 0
        for i, t in enumerate(terms):
            if done[i]:
                continue
            if recs[i] is None:
                recs[i] = rec_of("ship-%s-%d" % (tag, i))
            if recs[i] is not None and \
                    rec_of("end-%s-%d" % (tag, i)) == recs[i]:
                done[i] = ours(recs[i]) == t.screen
        if all(done) or time.monotonic() > end:
            break
        time.sleep(2)
    if not all(done):
        missing = 0
        lost = 0
        for i, rec in enumerate(recs):
            if rec is None:
                lost += 1
                continue
            ids = ids_of(rec)
            missing += (max(ids) - len(ids)) if ids else 0
            if ids and max(ids) != len(ids):
                gaps = sorted(set(range(1, max(ids) + 1)) - set(ids))
                where = "%s misses ids %s..%s" % (rec, gaps[0], gaps[-1])
        why = []
        for i, rec in enumerate(recs):
            if done[i] or rec is None:
                continue
            ids = ids_of(rec)
            got = ours(rec, complete=False)
            why.append("%s: %d messages, ids up to %s, %s, playback %s" % (
                rec, len(ids), max(ids) if ids else None,
                "ends" if rec_of("end-%s-%d" % (tag, i)) == rec else
                "the end marker not stored",
                "equals the screen" if got == terms[i].screen else
                "differs: " + difference(got, terms[i].screen)))
        check(False, "%d of %d recordings incomplete after %d s: %d not "
              "found at all, %d messages missing inside the others%s; "
              "%s; %s" %
              (done.count(False), len(terms), timeout, lost, missing,
               ("; " + where) if missing else "", "; ".join(why[:3]),
               shipping_errors(rs)))
    for i, rec in enumerate(recs):
        ids = ids_of(rec)
        check(ids == list(range(1, len(ids) + 1)),
              "%s: ids not contiguous" % rec)
        if reference_too:
            check(reference(rec) == terms[i].screen,
                  "%s: the reference tlog-play differs from the screen" % rec)
    if ending_known():
        bad = [r for r in recs if cut_short(r)]
        check(not bad, "%d complete recordings listed as cut short: %s"
              % (len(bad), bad[:3]))
    return recs


def ending_known():
    """Whether the recordings end with a note of how (x_tlog_end) that
    tlog-play --list reads: the agent and the player of this tree"""
    for path, what in ((os.path.join(BUILD, "rec", "tlog-recd"),
                        b"x_tlog_end"), (PLAY, b"cut short")):
        try:
            with open(path, "rb") as f:
                if what not in f.read():
                    return False
        except OSError:
            return False
    return True


def crash_while_away(name, n, lines, writer, away, mode):
    """The store goes away; n sessions run to their end; rsyslogd is
    killed and started again; after away seconds the store is back.
    Returns the daemon and the terminals."""
    journal = writer == "journal"
    if journal:
        journald.start()
    rs = Rsyslog("rsyslog-" + name, journal=journal).start()
    try:
        idle = rs.rss()
        time.sleep(1)           # imjournal has found the journal's end
        proxy.away(mode)
        cut = time.monotonic()
        terms = sessions(n, lines, writer, rs, name)
        # everything sent is in rsyslogd: nothing waits in its socket (or
        # in the journal: imjournal has had time to read it)
        end = time.monotonic() + 60
        while not rs.socket_empty():
            check(time.monotonic() < end, "rsyslogd does not read")
            time.sleep(0.2)
        time.sleep(5)
        before = rs.rss()
        queued = rs.queue_bytes()
        print("  %s: rsyslogd %d KiB idle, %d KiB with the backlog queued; "
              "%d bytes of queue files" % (name, idle, before, queued),
              flush=True)
        rs.kill()
        rs.start()
        time.sleep(max(0.0, away - (time.monotonic() - cut)))
        proxy.restore()
        recs = all_arrive(terms, name, 300, (n <= 10), rs)
        check(not any(rs.in_plain_log("ship-%s-%d" % (name, i))
                      for i in range(n)),
              "a recording reached the plain-text log")
        print("  %s: %d sessions, %d messages; rsyslogd at most %d KiB" % (
            name, n, sum(len(ids_of(r)) for r in recs), rs.max_rss),
            flush=True)
        return rs, terms
    finally:
        rs.stop()
        if journal:
            journald.stop()


@case("syslog: rsyslogd killed while the store is away loses nothing")
def crash_syslog():
    crash_while_away("crash-syslog", 10, 3000, "syslog", 20, "refuse")


@case("journal: rsyslogd killed while the store is away loses nothing")
def crash_journal():
    crash_while_away("crash-journal", 10, 3000, "journal", 20, "refuse")


@case("volume: 100 sessions, the store away 100 s, in bounded memory")
def volume():
    n = max(2, int(100 * SCALE))
    rs, terms = crash_while_away("volume", n, 12000, "syslog",
                                 100 * SCALE, "blackhole")
    check(rs.max_rss < RSS_BOUND_KIB, "rsyslogd reached %d KiB (bound %d)"
          % (rs.max_rss, RSS_BOUND_KIB))


# Run as root in a mount namespace of its own: /dev is a file system of
# its own there, holding the few devices a recorder needs (terminals
# from a devpts of its own) and, as
# /dev/log, the private rsyslogd's socket (glibc's syslog() knows no
# other place), and /run is empty but for a utmp of its own (the
# reference tlog-rec writes a record there); then the command runs as
# the user named.
WITH_DEV_LOG = """
set -e
old=$(mktemp -d)
mount --rbind /dev "$old"
mount -t tmpfs -o mode=755 tlog-test-dev /dev
for n in null zero full random urandom tty; do
    touch /dev/$n
    mount --bind "$old/$n" /dev/$n
done
umount -l "$old"
mkdir /dev/pts
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts /dev/pts
ln -s pts/ptmx /dev/ptmx
ln -s /proc/self/fd /dev/fd
touch /dev/log
mount --bind "$1" /dev/log
mount -t tmpfs -o mode=755 tlog-test-run /run
touch /run/utmp
chmod 666 /run/utmp
shift
exec runuser -u "$@"
"""


def reference_recording(rs, user, marker):
    """Record a command with the reference tlog-rec as user, its
    syslog writer sending to rs; the terminal, ended"""
    script = ("printf '%s caf\\303\\251 \\342\\202\\254\\n'; seq 1 2000; "
              "echo end-%s" % (marker, marker))
    t = Term(["unshare", "--mount", "--propagation", "private", "sh", "-c",
              WITH_DEV_LOG, "sh", rs.sock, user, "--", REF_REC, "-w",
              "syslog", "--latency", "1", "--payload", "1024", "/bin/sh",
              "-c", script])
    st = t.finish(timeout=120)
    check(st == 0, "the reference tlog-rec as %s: %r %r" % (user, st,
                                                            t.screen[-300:]))
    # the reference tlog-rec ends the line itself once the command has
    # exited, outside the recording
    check(t.screen.endswith(b"end-%s\r\n\r\n" % marker.encode()),
          "the reference tlog-rec showed %r at the end" % t.screen[-40:])
    t.screen = t.screen[:-2]
    return t


@case("reference tlog: taken from its trusted uid, a forgery from another")
def reference_tlog():
    proxy.restore()
    rs = Rsyslog("rsyslog-reference").start()
    try:
        t = reference_recording(rs, REFERENCE, "ref-trusted")
        end = time.monotonic() + 60
        rec = None
        while rec is None or ours(rec, False) != t.screen:
            got = ours(rec, False) if rec else None
            check(time.monotonic() < end, "the reference recording did not "
                  "arrive whole from its trusted uid (%s): %s" % (
                      "none of it" if rec is None else rec,
                      difference(got, t.screen)))
            time.sleep(1)
            es("POST", "/tlog-*/_refresh")
            rec = rec_of("ref-trusted")
        check(rec_of("end-ref-trusted") == rec, "the end is elsewhere")
        check(reference(rec) == t.screen,
              "the reference tlog-play differs from the screen")
        uid = pwd.getpwnam(REFERENCE).pw_uid
        r = es("POST", "/tlog-*/_search", {"size": 1, "query": {
            "term": {"rec": rec}}})
        check(r["hits"]["hits"][0]["_source"].get("x_tlog_sender", {}).get(
            "uid") == uid, "x_tlog_sender is not the trusted uid's")
        # the same program as anyone else: forgery events, no recording
        f = reference_recording(rs, FORGER, "ref-forged")
        time.sleep(8)
        es("POST", "/tlog-*,tlog_forgery-*/_refresh")
        check(rec_of("ref-forged") is None,
              "a recording from an untrusted uid was stored")
        forger = pwd.getpwnam(FORGER).pw_uid
        r = es("POST", "/tlog_forgery-*/_search", {"size": 0, "query": {
            "bool": {"filter": [{"term": {"sender.uid": forger}},
                                {"term": {"reason": "not-agent"}}]}}})
        check(r.get("hits", {}).get("total", {}).get("value", 0) >= 2,
              "no forgery events for the untrusted run: %r" % r)
        for what in ("ref-trusted", "ref-forged"):
            check(not rs.in_plain_log(what),
                  "%s reached the plain-text log" % what)
        check(len(f.screen) > 0, "the untrusted run showed nothing")
    finally:
        rs.stop()


def main():
    global es_url, proxy
    if os.getuid() != 0:
        print("FAIL setup: run as root (starts Elasticsearch and rsyslogd)")
        return 1
    es_url = start_elasticsearch(ES_DIR, "shipping")
    if es_url is None:
        stop_elasticsearch(ES_DIR)
        return 1
    try:
        for u in (RECORDED, FORGER, REFERENCE):
            ensure_user(u)
        ensure_user(AGENT_USER, system=True)
        proxy = TcpProxy(int(es_url.rsplit(":", 1)[1]))
        private_tlog_conf(CONF_DIR)
        return run_cases("shipping", sys.argv[1:])
    finally:
        for a in agents:
            a.stop()
        if proxy is not None:
            proxy.stop()
        journald.stop()
        stop_elasticsearch(ES_DIR)


if __name__ == "__main__":
    sys.exit(main())
