#!/usr/bin/env python3
"""Elasticsearch end to end, against a real node.

One private Elasticsearch (tests/es/start) serves the whole run; a
private rsyslogd runs the project's contrib/rsyslog/tlog.conf, pointed at
it.  Recordings sent as the recording agent's user travel through rsyslog
into Elasticsearch and must play back byte-exact with our tlog-play -r es
and with the reference /usr/bin/tlog-play -r es; what another local user
sends in their name (syslog, systemd-cat, the journal's own protocol)
must change nothing there and be counted as forgeries.  If Elasticsearch
cannot start, the run fails with the reason: nothing is skipped.

The script runs again in a private mount namespace, where the journal it
starts is its own.  TLOG_TEST_RSYSLOG_DIR names another directory to
take tlog.conf and tlog-journal.conf from (another version of them).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nsexec import reexec_in_namespace  # noqa: E402

if __name__ == "__main__":
    reexec_in_namespace("TLOG_ES_TEST_NS", __file__)

import json  # noqa: E402
import pwd  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

from ptyterm import Term  # noqa: E402
from progtest import (AGENT_USER, CODEC, REF_PLAY, SESSION, TRAILER,  # noqa
                      Agent, case, check, end_message, ensure_user,
                      es_request, free_port, has_end, path_for,
                      private_tlog_conf, run_cases, start_elasticsearch,
                      stop_elasticsearch, tmp)
from privjournal import (PrivateJournald, journal_send_as,  # noqa: E402
                         systemd_cat_as)

TOP = os.environ.get("top_srcdir", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), ".."))
BUILD = os.environ.get("top_builddir", TOP)
PLAY = os.path.join(BUILD, "play", "tlog-play")
AUSHAPE = os.path.join(BUILD, "aushape", "aushape")
ES_DIR = os.path.join(tmp, "es")
RSYSLOG_DIR = os.environ.get("TLOG_TEST_RSYSLOG_DIR",
                             os.path.join(TOP, "contrib", "rsyslog"))
FORGER = "tlogtest"
# whose sessions the agent records (another user than the forger's)
RECORDED = "tlogrecorded"
CONF_DIR = os.path.join(tmp, "etc-tlog")
agents = []
es_url = None
journald = PrivateJournald()


def es(method, path, body=None, ndjson=False):
    return es_request(es_url, method, path, body, ndjson)


def bulk(index, lines):
    """Load messages (JSON lines) into index, in chunks."""
    for i in range(0, len(lines), 5000):
        body = "".join('{"index":{}}\n' + ln.strip() + "\n"
                       for ln in lines[i:i + 5000]).encode()
        r = es("POST", "/%s/_bulk" % index, body, ndjson=True)
        check(not r.get("errors"), "bulk load failed: %r" % str(r)[:300])
    es("POST", "/%s/_refresh" % index)


def count(query, index="tlog-*"):
    r = es("POST", "/%s/_count" % index,
           {"query": {"query_string": {"query": query}}})
    return r.get("count", 0)


class Rsyslog:
    """A private rsyslogd running contrib/rsyslog/tlog.conf and
    tlog-es.conf (and, with
    journal, tlog-journal.conf: the journal as input too), set up as
    tlog.conf says: the agent's uid filled in, and the socket input
    annotating messages with their senders' credentials."""

    def __init__(self, journal=False):
        self.dir = os.path.join(tmp, "rsyslog-journal" if journal
                                else "rsyslog")
        os.makedirs(self.dir, exist_ok=True)
        self.sock = os.path.join(self.dir, "log.sock")
        self.plain = os.path.join(self.dir, "plain.log")
        self.err = os.path.join(self.dir, "tlog-err")
        port = es_url.rsplit(":", 1)[1]
        ensure_user(AGENT_USER, system=True)
        agent = pwd.getpwnam(AGENT_USER).pw_uid
        # the project's files, pointed at the private node and directory
        for name in ("tlog-es.conf", "tlog.conf", "aushape.conf",
                     "tlog-journal.conf"):
            where = os.path.join(TOP, "contrib", "rsyslog") if \
                name == "aushape.conf" else RSYSLOG_DIR
            if not os.path.exists(os.path.join(where, name)):
                open(os.path.join(self.dir, name), "w").close()
                continue
            with open(os.path.join(where, name)) as f:
                conf = f.read()
            conf = conf.replace('serverport="9200"',
                                'serverport="%s"' % port)
            conf = conf.replace("@TLOG_RECD_UID@", str(agent))
            for what in ("tlog", "aushape"):
                conf = conf.replace("/var/log/rsyslog-%s-errors.json" % what,
                                    os.path.join(self.dir, what + "-err"))
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(conf)
        self.conf = os.path.join(self.dir, "main.conf")
        with open(self.conf, "w") as f:
            f.write("""
global(workDirectory="%(d)s" maxMessageSize="64k")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="%(s)s" RateLimit.Interval="0"
      Annotate="on" ParseTrusted="on")
%(j)s
include(file="%(d)s/tlog-es.conf")
include(file="%(d)s/tlog.conf")
include(file="%(d)s/aushape.conf")
action(type="omfile" file="%(p)s")
""" % {"d": self.dir, "s": self.sock, "p": self.plain,
       "j": 'include(file="%s/tlog-journal.conf")' % self.dir
       if journal else ""})
        self.proc = subprocess.Popen(["rsyslogd", "-n", "-f", self.conf,
                                      "-i", os.path.join(self.dir, "pid")])
        end = time.monotonic() + 10
        while not os.path.exists(self.sock):
            check(time.monotonic() < end, "rsyslogd did not start")
            time.sleep(0.05)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def in_plain_log(rs, rec):
    """Whether a message of recording rec is in the daemon's plain log.
    (Its commands may well be there: audit records of their execve, which
    a test running beside this one may ask the kernel for.)"""
    if not os.path.exists(rs.plain):
        return False
    with open(rs.plain, "rb") as f:
        return ('"rec":"%s"' % rec).encode() in f.read()


def genuine_recording(script, writer="syslog", latency=10, payload=1024):
    """Start recording sh -c script as the recording agent ships its
    recordings: the user RECORDED logs in with tlog-rec-session, a
    tlog-recd of the test's own records the session and sends every
    message, as AGENT_USER, to the private rsyslogd's socket or to the
    journal.  Returns the terminal it runs on."""
    ensure_user(RECORDED)
    args = ["--writer", writer, "--latency", str(latency), "--payload",
            str(payload)]
    if writer == "syslog":
        args += ["--syslog-socket", rsyslog.sock]
    # the listener stops at the end; its sessions run to theirs
    a = Agent("agent-%d" % len(agents), args, file_writer=False).start()
    agents.append(a)
    with open(os.path.join(CONF_DIR, "tlog-rec-session.conf"), "w") as f:
        json.dump({"notice": "", "shell": "/bin/sh",
                   "agent": {"socket": a.sock}}, f)
    return Term([SESSION, "-c", script], user=RECORDED)


def session(script, latency=10, writer="syslog"):
    """Record a shell command as the agent, to its end; what it showed"""
    t = genuine_recording(script, writer, latency)
    st = t.finish(timeout=300)
    check(st == 0, "recording exit status %r" % st)
    return t.screen


def rec_with(marker, timeout=60):
    """The recording a message showing marker belongs to, once it is in."""
    end = time.monotonic() + timeout
    while True:
        es("POST", "/tlog-*/_refresh")
        # a phrase: a query string would find any message with "marker"
        r = es("POST", "/tlog-*/_search", {"size": 1, "query": {
            "match_phrase": {"out_txt": marker}}})
        hits = r.get("hits", {}).get("hits", [])
        if hits:
            return hits[0]["_source"]["rec"]
        check(time.monotonic() < end, "no message with %s arrived" % marker)
        time.sleep(0.5)


def wait_messages(rec, count_min, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        es("POST", "/tlog-*/_refresh")
        if count('rec:"%s"' % rec) >= count_min:
            return
        time.sleep(0.5)


def wait_end(rec, timeout=60):
    """Wait for the recording's end message to be searchable"""
    end = time.monotonic() + timeout
    while not has_end(messages_of(rec)) and time.monotonic() < end:
        time.sleep(0.5)
        es("POST", "/tlog-*/_refresh")


def ours(rec, index="tlog-*"):
    p = subprocess.run([PLAY, "-r", "es", "--es-baseurl",
                        "%s/%s/_search" % (es_url, index), "--es-query",
                        'rec:"%s"' % rec, "-g", "end"], capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=300)
    check(p.returncode == 0, "tlog-play -r es: %r" % p.stderr)
    return p.stdout


def reference(rec, index):
    r, w = os.pipe()
    try:
        p = subprocess.run([REF_PLAY, "-r", "es", "--es-baseurl",
                            "%s/%s/_search" % (es_url, index), "--es-query",
                            'rec:"%s"' % rec], stdin=r, capture_output=True,
                           timeout=600)
    finally:
        os.close(r)
        os.close(w)
    check(p.returncode == 0 and p.stdout.endswith(TRAILER),
          "reference tlog-play -r es failed: %r" % p.stderr)
    return p.stdout[:-len(TRAILER)]


def messages_of(rec):
    r = es("POST", "/tlog-*/_search", {"size": 10000, "sort": [{"id": "asc"}],
                                       "query": {"query_string": {
                                           "query": 'rec:"%s"' % rec}}})
    return [h["_source"] for h in r["hits"]["hits"]]


def encode(name, packets, payload):
    """A recording of packets (codec's text form) with the given payload:
    its rec and its messages as lines"""
    path = path_for(name)
    p = subprocess.run([CODEC, "encode", "-p", str(payload), "-o", path],
                       input="\n".join(packets).encode() + b"\n",
                       capture_output=True)
    check(p.returncode == 0, "codec: %r" % p.stderr)
    end_message(path)       # complete, as the recorders write them
    lines = open(path).read().splitlines()
    return json.loads(lines[0])["rec"], lines


@case("a session through rsyslog into Elasticsearch plays back byte-exact")
def end_to_end():
    screen = session("printf 'marker-e2e caf\\303\\251 \\342\\202\\254\\n'; "
                     "seq 1 2000; echo end-e2e")
    rec = rec_with("marker-e2e")
    check(rec_with("end-e2e") == rec,    # the last message is in too
          "the end of the session is in another recording")
    wait_messages(rec, 5)
    wait_end(rec)
    msgs = messages_of(rec)
    check([m["id"] for m in msgs] == list(range(1, len(msgs) + 1)),
          "ids not contiguous")
    check(ours(rec) == screen, "tlog-play -r es differs from the screen")
    index = es("POST", "/tlog-*/_search", {"size": 1, "query": {
        "query_string": {"query": 'rec:"%s"' % rec}}})["hits"]["hits"][0][
            "_index"]
    check(reference(rec, index) == screen,
          "the reference tlog-play -r es differs from the screen")
    check(not in_plain_log(rsyslog, rec),
          "the recording reached the plain-text log")
    p = subprocess.run([PLAY, "-r", "es", "--es-baseurl",
                        es_url + "/tlog-*/_search", "--es-query",
                        'rec:"%s"' % rec, "--list"], capture_output=True,
                       timeout=60)
    check(p.stdout.decode().startswith(rec + "  user %s  host " % RECORDED)
          and "messages %d" % len(msgs) in p.stdout.decode() and
          p.stdout.decode().endswith("  end exit 0\n"),
          "--list said %r" % p.stdout)
    # each document carries its sender's credentials, as the kernel gave
    # them to rsyslog
    agent = pwd.getpwnam(AGENT_USER)
    check(all(m.get("x_tlog_sender", {}).get("uid") == agent.pw_uid and
              m["x_tlog_sender"].get("gid") == agent.pw_gid and
              m["x_tlog_sender"].get("pid", 0) > 0 for m in msgs),
          "x_tlog_sender: %r" % [m.get("x_tlog_sender") for m in msgs][:3])


@case("the journal writer, read by imjournal (tlog-journal.conf), byte-exact")
def journal_input():
    journald.start()
    rs = None
    try:
        rs = Rsyslog(journal=True)
        time.sleep(1)       # imjournal has found the journal's end
        screen = session("printf 'marker-jrnl \\342\\202\\254\\n'; "
                         "seq 1 3000; echo end-jrnl", writer="journal")
        rec = rec_with("marker-jrnl")
        # imjournal polls the journal: wait for the whole recording
        wait_end(rec)
        msgs = messages_of(rec)
        check(len(msgs) > 5 and [m["id"] for m in msgs] ==
              list(range(1, len(msgs) + 1)), "ids not contiguous")
        got = ours(rec)
        at = next((i for i, (a, b) in enumerate(zip(got, screen)) if a != b),
                  min(len(got), len(screen)))
        check(got == screen, "tlog-play -r es differs from the screen at "
              "byte %d of %d/%d: %r vs %r" % (at, len(got), len(screen),
                                              got[at:at + 40],
                                              screen[at:at + 40]))
        index = es("POST", "/tlog-*/_search", {"size": 1, "query": {
            "query_string": {"query": 'rec:"%s"' % rec}}})["hits"]["hits"][
                0]["_index"]
        check(reference(rec, index) == screen,
              "the reference tlog-play -r es differs from the screen")
        check(not in_plain_log(rs, rec),
              "the recording reached the plain-text log")
        agent = pwd.getpwnam(AGENT_USER).pw_uid
        check(all(m.get("x_tlog_sender", {}).get("uid") == agent
                  for m in msgs), "x_tlog_sender from the journal: %r" %
              [m.get("x_tlog_sender") for m in msgs][:3])
    finally:
        if rs is not None:
            rs.stop()


def logger_as(user, tag, lines):
    """Send each of lines to the private rsyslogd's socket as user, with
    util-linux logger and the syslog tag tag"""
    p = subprocess.run(["runuser", "-u", user, "--", "logger", "-u",
                        rsyslog.sock, "-t", tag],
                       input="".join(ln + "\n" for ln in lines).encode(),
                       capture_output=True, timeout=30)
    check(p.returncode == 0, "logger as %s: %r" % (user, p.stderr))


def recording_message(rec, msg_id, pos, text, host=None, user=None,
                      **extra):
    """A recording message as the writers make it, showing text"""
    m = {"ver": "2.3", "host": host or socket.gethostname(), "rec": rec,
         "user": user or RECORDED, "term": "xterm",
         "session": 4294967295, "id": msg_id, "pos": pos,
         "time": round(time.time(), 3), "timing": ">%d" % len(text),
         "in_txt": "", "in_bin": [], "out_txt": text, "out_bin": []}
    m.update(extra)
    return json.dumps(m, separators=(",", ":"))


def recordings_index():
    """Every document in tlog-*: {(index, id): source}"""
    es("POST", "/tlog-*/_refresh")
    docs = {}
    after = None
    while True:
        body = {"size": 5000, "sort": [{"_index": "asc"}, {"id": "asc"},
                                       {"rec": "asc"}, {"host": "asc"}]}
        if after:
            body["search_after"] = after
        hits = es("POST", "/tlog-*/_search", body)["hits"]["hits"]
        if not hits:
            return docs
        for h in hits:
            docs[(h["_index"], h["_id"])] = h["_source"]
        after = hits[-1]["sort"]


def forgery_events():
    es("POST", "/tlog_forgery-*/_refresh")
    r = es("POST", "/tlog_forgery-*/_search", {"size": 1000})
    return [h["_source"] for h in r.get("hits", {}).get("hits", [])]


# What the forgery cases share: the genuine recording, the documents
# before any forgery, the forgeries sent
forged = {}


@case("forgeries: a genuine recording, then forgeries by another user")
def forgeries():
    ensure_user(FORGER)
    journald.start()
    rs = Rsyslog(journal=True)
    try:
        time.sleep(1)       # imjournal has found the journal's end
        screen = session("echo marker-forge; seq 1 300; sleep 1.5; "
                         "echo end-forge")
        rec = rec_with("marker-forge")
        end_wait = time.monotonic() + 60
        while ours(rec) != screen and time.monotonic() < end_wait:
            time.sleep(0.5)
            es("POST", "/tlog-*/_refresh")
        msgs = messages_of(rec)
        last = msgs[-1]
        check(len(msgs) >= 2 and last["id"] == len(msgs),
              "ids %r" % [m["id"] for m in msgs])
        forged.update(rec=rec, screen=screen, before=recordings_index())
        nxt, end = last["id"] + 1, last["pos"] + 100

        def message(rec, msg_id, pos, text, **kw):
            """A message of rec, by default on the genuine one's host"""
            kw.setdefault("host", last["host"])
            return recording_message(rec, msg_id, pos, text, **kw)
        # (claimed rec, claimed id, tag) of each forgery
        sent = []
        # logger, as tlog-rec-session: a recording of root on another host
        other = "forged-%d" % os.getpid()
        logger_as(FORGER, "tlog-rec-session", [message(
            other, 1, 0, "FORGED root\r\n", host="db.example.com",
            user="root")])
        sent.append((other, "1", "tlog-rec-session"))
        # the genuine recording's next message, and its first again
        logger_as(FORGER, "tlog-rec", [message(rec, nxt, end,
                                               "FORGED next\r\n")])
        sent.append((rec, str(nxt), "tlog-rec"))
        logger_as(FORGER, "tlog-rec", [message(rec, 1, 0,
                                               "FORGED overwrite\r\n")])
        sent.append((rec, "1", "tlog-rec"))
        # the agent's tag, and its credentials written into the message
        agent = pwd.getpwnam(AGENT_USER)
        logger_as(FORGER, "tlog-recd", [message(
            rec, nxt + 1, end + 100, "FORGED sender\r\n",
            x_tlog_sender={"uid": agent.pw_uid, "gid": agent.pw_gid})])
        sent.append((rec, str(nxt + 1), "tlog-recd"))
        # any tag at all: a message that is a recording's
        logger_as(FORGER, "cron", [message(rec, nxt + 2, end + 200,
                                           "FORGED untagged\r\n")])
        sent.append((rec, str(nxt + 2), "cron"))
        # systemd-cat, as the agent's identifier
        systemd_cat_as(FORGER, "tlog-recd", message(
            rec, nxt + 3, end + 300, "FORGED cat\r\n") + "\n")
        sent.append((rec, str(nxt + 3), "tlog-recd"))
        # the journal's native protocol (sd_journal_send), every field a
        # journal entry of the recording has, and a _UID of the agent's
        journal_send_as(FORGER, {
            "MESSAGE": message(rec, nxt + 4, end + 400, "FORGED native\r\n"),
            "SYSLOG_IDENTIFIER": "tlog-recd", "PRIORITY": "6",
            "TLOG_REC": rec, "TLOG_USER": RECORDED,
            "TLOG_SESSION": "4294967295", "TLOG_ID": str(nxt + 4),
            "_UID": str(agent.pw_uid)})
        sent.append((rec, str(nxt + 4), "tlog-recd"))
        forged["sent"] = sent
        # Wait for an event for each (or, where there are none, long
        # enough for every forgery to have been handled)
        end_wait = time.monotonic() + 30
        while len(forgery_events()) < len(sent) and \
                time.monotonic() < end_wait:
            time.sleep(0.5)
        time.sleep(2)
        es("POST", "/tlog-*/_refresh")
    finally:
        rs.stop()


@case("forgeries: the recordings index holds no new document")
def forgeries_none_new():
    check("before" in forged, "no genuine recording")
    after = recordings_index()
    new = {k: v.get("out_txt") for k, v in after.items()
           if k not in forged["before"]}
    check(not new, "%d new documents: %r" % (len(new), list(new.values())))
    check(count("out_txt:FORGED") == 0, "forged text in tlog-*")


@case("forgeries: every document of the genuine recording is unchanged")
def forgeries_unchanged():
    check("before" in forged, "no genuine recording")
    after = recordings_index()
    changed = [k[1] for k, v in forged["before"].items() if after.get(k) != v]
    check(not changed, "%d documents changed: %r" % (len(changed),
                                                     changed[:5]))


@case("forgeries: the genuine recording plays byte-exact, ours and the "
      "reference")
def forgeries_plays():
    check("rec" in forged, "no genuine recording")
    rec = forged["rec"]
    got = ours(rec)
    check(got == forged["screen"], "tlog-play -r es played %r" % got[-80:])
    index = es("POST", "/tlog-*/_search", {"size": 1, "query": {
        "query_string": {"query": 'rec:"%s"' % rec}}})["hits"]["hits"][0][
            "_index"]
    got = reference(rec, index)
    check(got == forged["screen"], "the reference played %r" % got[-80:])


@case("forgeries: each one is an event in tlog_forgery-*, with its sender")
def forgeries_events():
    check("sent" in forged, "no forgeries sent")
    forger = pwd.getpwnam(FORGER)
    events = forgery_events()
    for rec, msg_id, tag in forged["sent"]:
        mine = [e for e in events
                if e.get("claimed", {}).get("rec") == rec and
                e["claimed"].get("id") == msg_id and e.get("tag") == tag]
        check(len(mine) == 1, "%d events for %s id %s tag %s (of %d)" % (
            len(mine), rec, msg_id, tag, len(events)))
        e = mine[0]
        check(e["reason"] == "not-agent" and
              e["sender"].get("uid") == forger.pw_uid and
              e["sender"].get("gid") == forger.pw_gid and
              e["sender"].get("pid", 0) > 0 and e.get("time") and
              e.get("host") and e.get("input") in ("imuxsock", "imjournal"),
              "event %r" % e)
    check(any(e["claimed"].get("user") == "root" and
              e["claimed"].get("host") == "db.example.com" for e in events),
          "the claimed user and host are not in the events")
    check(count("*", "tlog_forgery-*") == len(forged["sent"]),
          "%d events for %d forgeries" % (count("*", "tlog_forgery-*"),
                                         len(forged["sent"])))


@case("a second document with an id already stored is refused, not "
      "retried, and the rest of its bulk request is stored")
def duplicate():
    check("rec" in forged, "no genuine recording")
    rec = forged["rec"]
    first = [v for k, v in forged["before"].items()
             if v["rec"] == rec and v["id"] == 1][0]
    mate = "bulk-mate-%d" % os.getpid()
    # sent as the agent itself, in one burst (one bulk request): new
    # messages around one the store has, changed
    mates = [recording_message(mate, i, i, "mate %d\r\n" % i)
             for i in range(1, 41)]
    logger_as(AGENT_USER, "tlog-recd", mates[:20] + [recording_message(
        rec, 1, 0, "REPLAYED\r\n", host=first["host"])] + mates[20:])
    end = time.monotonic() + 30
    while count('rec:"%s"' % mate) < 40 and time.monotonic() < end:
        time.sleep(0.5)
        es("POST", "/tlog-*/_refresh")
    check(count('rec:"%s"' % mate) == 40, "%d of the 40 new messages "
          "arrived" % count('rec:"%s"' % mate))
    time.sleep(3)           # time for a retry, were there one
    after = recordings_index()
    now = [v for k, v in after.items() if v["rec"] == rec and v["id"] == 1]
    check(now == [first], "the first message changed: %r" %
          [v.get("out_txt") for v in now])
    check(count("out_txt:REPLAYED") == 0, "the replayed message is stored")
    err = open(rsyslog.err).read() if os.path.exists(rsyslog.err) else ""
    check("REPLAYED" not in err, "the duplicate went to the error file: %r"
          % err[:300])


@case("aushape events: syslog, contrib/rsyslog/aushape.conf, the template")
def aushape_events():
    with open(os.path.join(TOP, "contrib", "elasticsearch",
                           "aushape-template.json")) as f:
        r = es("PUT", "/_index_template/aushape", json.load(f))
    check(r.get("acknowledged"), "aushape template not loaded: %r" % r)
    log = os.path.join(TOP, "tests", "aushape", "real.log")
    want = subprocess.run([AUSHAPE, "--events-per-doc=none", log],
                          capture_output=True, check=True).stdout
    events = [json.loads(ln) for ln in want.splitlines()]
    # The way an auditd plugin sends them: syslog output, to the private
    # rsyslogd's socket
    p = subprocess.run([AUSHAPE, "--events-per-doc=none", "-o", "syslog",
                        "--syslog-socket", rsyslog.sock, log],
                       capture_output=True, timeout=60)
    check(p.returncode == 0, "aushape -o syslog: %r" % p.stderr)
    end = time.monotonic() + 60
    while True:
        es("POST", "/aushape-*/_refresh")
        got = count("*", "aushape-*")
        if got >= len(events) or time.monotonic() > end:
            break
        time.sleep(0.5)
    check(got == len(events), "%d of %d events arrived" % (got, len(events)))
    m = es("GET", "/aushape-*/_mapping")
    for index, v in m.items():
        props = v["mappings"]["properties"]
        check(props["time"]["type"] == "date" and
              props["serial"]["type"] == "long" and
              props["data"]["properties"]["execve"]["type"] == "text",
              "%s is not mapped by the template: %r" % (index, props))
    # Kibana-style searches: an argument, a command name, a time range
    r = es("POST", "/aushape-*/_search", {"query": {"query_string": {
        "query": 'data.execve:"hello world"'}}})
    hits = r["hits"]["hits"]
    check(len(hits) == 1 and hits[0]["_source"]["data"]["execve"] ==
          ["/bin/echo", "hello world", 'quo"te', "\u00fcn\u00ef", "plain"],
          "argument search: %r"
          % [h["_source"]["data"].get("execve") for h in hits])
    src = {e["serial"]: e for e in events}
    check(hits[0]["_source"]["data"] == src[hits[0]["_source"][
        "serial"]]["data"], "the event changed on the way")
    check(not {"uid", "pid", "exe", "cmd"} & set(hits[0]["_source"]),
          "the socket's annotation is in the event: %r"
          % sorted(hits[0]["_source"]))
    r = es("POST", "/aushape-*/_count", {"query": {"bool": {"filter": [
        {"term": {"data.syscall.comm": "mv"}},
        {"range": {"time": {"gte": "2026-11-22T08:00:00Z",
                            "lt": "2026-11-22T09:00:00Z"}}}]}}})
    mv = [e for e in events if e["data"].get("syscall", {}).get("comm") ==
          ["mv"] and e["time"].startswith("2026-11-22T08:")]
    check(len(mv) >= 2 and r.get("count") == len(mv),
          "command and time search: %r, want %d" % (r, len(mv)))
    check(not os.path.exists(rsyslog.plain) or
          b"hello world" not in open(rsyslog.plain, "rb").read(),
          "audit events reached the plain-text log")


@case("template and Kibana objects: consistent, and a Kibana query finds it")
def kibana():
    with open(os.path.join(TOP, "contrib", "elasticsearch",
                           "tlog-template.json")) as f:
        template = json.load(f)
    props = template["template"]["mappings"]["properties"]
    with open(os.path.join(TOP, "contrib", "kibana", "tlog.ndjson")) as f:
        objs = [json.loads(ln) for ln in f if ln.strip()]
    pattern = [o for o in objs if o["type"] == "index-pattern"][0]
    check(pattern["attributes"]["title"] in template["index_patterns"],
          "the data view does not match the template")
    check(pattern["attributes"]["timeFieldName"] in props and
          props[pattern["attributes"]["timeFieldName"]]["type"] == "date",
          "the time field is not a date")
    for o in objs:
        if o["type"] != "search":
            continue
        for col in o["attributes"]["columns"]:
            check(col in props, "%s shows unknown field %s" % (o["id"], col))
        q = json.loads(o["attributes"]["kibanaSavedObjectMeta"]
                       ["searchSourceJSON"])["query"]["query"]
        r = es("POST", "/tlog-*/_search", {"size": 0, "query": {
            "query_string": {"query": q}}})
        check("error" not in r, "%s: %r" % (o["id"], r.get("error")))
    # a Kibana-style query on user and shown text finds the session
    r = es("POST", "/tlog-*/_search", {"size": 1, "query": {"query_string": {
        "query": 'user:"%s" AND out_txt:marker\\-e2e' % RECORDED}}})
    check(r["hits"]["total"]["value"] >= 1, "the Kibana query found nothing")
    m = es("GET", "/tlog-*/_mapping")
    for index, v in m.items():
        p = v["mappings"]["properties"]
        check(p["rec"]["type"] == "keyword" and p["time"]["type"] == "date",
              "%s is not mapped by the template: %r" % (index, p["rec"]))


@case("--list and playing say which recordings were cut short")
def es_ending():
    pk = ["w 0 80 24"] + ["o %d %s" % (i * 10, (b"line %d\r\n" % i).hex())
                          for i in range(20)] + ["e 300"]
    _, lines = encode("es-end", pk, 40)
    check(len(lines) > 4, "setup: %d messages" % len(lines))
    docs = []
    forms = {"es-end-complete": lines, "es-end-none": lines[:-1],
             "es-end-gap": lines[:2] + lines[3:]}
    for rec, msgs in forms.items():
        for ln in msgs:
            m = json.loads(ln)
            m["rec"] = rec
            docs.append(json.dumps(m))
    bulk("tlog-ending", docs)
    url = es_url + "/tlog-ending/_search"
    p = subprocess.run([PLAY, "-r", "es", "--es-baseurl", url, "--es-query",
                        "rec:es-end-*", "--list"], capture_output=True,
                       timeout=60)
    got = {ln.split()[0]: ln[ln.index("  end ") + 2:]
           for ln in p.stdout.decode().splitlines()}
    check(p.returncode == 0 and got == {
        "es-end-complete": "end exit 0", "es-end-none": "end cut short",
        "es-end-gap": "end cut short"}, "--list: %r %r" % (got, p.stderr))
    for rec, rc in (("es-end-complete", 0), ("es-end-none", 3),
                    ("es-end-gap", 1)):
        p = subprocess.run([PLAY, "-r", "es", "--es-baseurl", url,
                            "--es-query", 'rec:"%s"' % rec, "-g", "end"],
                           capture_output=True, stdin=subprocess.DEVNULL,
                           timeout=60)
        check(p.returncode == rc and (rc != 3 or b"cut short" in p.stderr),
              "%s: exit %d %r" % (rec, p.returncode, p.stderr))


@case("a recording of 50,000 messages plays byte-exact (no 10,000 ceiling)")
def big():
    pk = ["w 0 80 24"]
    data = b""
    # each packet fills a message of payload 32: 50,000 messages
    for i in range(50000):
        chunk = b"%018d\r\n" % i
        data += chunk
        pk.append("o %d %s" % (i, chunk.hex()))
    pk.append("e 50001")
    rec, lines = encode("big", pk, 32)
    check(len(lines) >= 50000, "only %d messages" % len(lines))
    bulk("tlog-big", lines)
    check(ours(rec, "tlog-big") == data, "50,000 messages did not play back")


class Failing:
    """A node of a cluster that is up but failing: answers every request
    with HTTP 503, and counts them"""

    def __init__(self):
        import http.server
        import threading
        failing = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                failing.asked += 1
                body = b'{"error":"node failing","status":503}'
                self.send_response(503)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.asked = 0
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@case("cluster: a dead node and a failing one are passed over, and the"
      " node that answered is asked first from then on")
def cluster():
    pk = ["w 0 80 24"]
    data = b""
    # payload 32, one packet a message: 15,000 messages, several pages
    for i in range(15000):
        chunk = b"%018d\r\n" % i
        data += chunk
        pk.append("o %d %s" % (i, chunk.hex()))
    pk.append("e 15001")
    rec, lines = encode("cluster", pk, 32)
    bulk("tlog-cluster", lines)
    dead = "http://127.0.0.1:%d/tlog-cluster/_search" % free_port()
    real = es_url + "/tlog-cluster/_search"
    query = 'rec:"%s"' % rec
    # the first URL a dead port, the second the real node
    p = subprocess.run([PLAY, "-r", "es", "--es-baseurl", dead + "," + real,
                        "--es-query", query, "-g", "end"],
                       capture_output=True, stdin=subprocess.DEVNULL,
                       timeout=300)
    check(p.returncode == 0 and p.stdout == data,
          "dead node first: exit %d, %d of %d bytes, %r" %
          (p.returncode, len(p.stdout), len(data), p.stderr))
    failing = Failing()
    try:
        urls = ",".join([dead, failing.url + "/tlog-cluster/_search", real])
        p = subprocess.run([PLAY, "-r", "es", "--es-baseurl", urls,
                            "--es-query", query, "-g", "end"],
                           capture_output=True, stdin=subprocess.DEVNULL,
                           timeout=300)
        check(p.returncode == 0 and p.stdout == data,
              "dead and failing nodes first: exit %d, %d of %d bytes, %r" %
              (p.returncode, len(p.stdout), len(data), p.stderr))
        # the pages after the first went straight to the node that
        # answered: the failing one was asked once
        check(failing.asked == 1, "the failing node was asked %d times"
              % failing.asked)
        p = subprocess.run([PLAY, "-r", "es", "--es-baseurl", urls,
                            "--es-query", query, "--list"],
                           capture_output=True, timeout=60)
        check(p.returncode == 0 and p.stdout.startswith(rec.encode()) and
              b"messages %d  end exit 0" % len(lines) in p.stdout,
              "--list through the cluster: %r %r" % (p.stdout, p.stderr))
        # no node answering: each is named with what went wrong
        p = subprocess.run([PLAY, "-r", "es", "--es-baseurl",
                            dead + "," + failing.url + "/x/_search",
                            "--es-query", query, "-g", "end"],
                           capture_output=True, stdin=subprocess.DEVNULL,
                           timeout=60)
        check(p.returncode == 1 and dead.encode() in p.stderr and
              b"node failing" in p.stderr,
              "no node answering: exit %d %r" % (p.returncode, p.stderr))
    finally:
        failing.stop()


class TlsProxy:
    """nginx in front of the node, as a site would put it: TLS with a
    private CA; one port asks for a user and password, the other for a
    client certificate."""

    def __init__(self):
        d = self.dir = os.path.join(tmp, "nginx")
        os.makedirs(d)
        os.chmod(d, 0o755)
        self.ca = os.path.join(d, "ca.pem")
        self.cert = os.path.join(d, "client.pem")
        self.key = os.path.join(d, "client.key")

        def ossl(*args):
            p = subprocess.run(["openssl"] + list(args), capture_output=True,
                               cwd=d)
            check(p.returncode == 0, "openssl %s: %r" % (args[0], p.stderr))
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
              "-nodes"]
        ossl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem",
             "-days", "2", "-subj", "/CN=tlog test CA")
        for name, cn, ext in (("server", "127.0.0.1",
                               "subjectAltName=IP:127.0.0.1"),
                              ("client", "auditor",
                               "extendedKeyUsage=clientAuth")):
            with open(os.path.join(d, name + ".ext"), "w") as f:
                f.write(ext + "\n")
            ossl("req", *ec, "-keyout", name + ".key", "-out", name + ".csr",
                 "-subj", "/CN=" + cn)
            ossl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem",
                 "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                 "-extfile", name + ".ext", "-out", name + ".pem")
        pw = subprocess.run(["openssl", "passwd", "-apr1", "s3cret pass"],
                            capture_output=True, text=True, check=True)
        with open(os.path.join(d, "htpasswd"), "w") as f:
            f.write("auditor:%s\n" % pw.stdout.strip())
        os.chmod(os.path.join(d, "htpasswd"), 0o644)
        self.pw_port, self.cert_port = free_port(), free_port()
        es_port = es_url.rsplit(":", 1)[1]
        common = """
        ssl_certificate %(d)s/server.pem;
        ssl_certificate_key %(d)s/server.key;
        location / { proxy_pass http://127.0.0.1:%(e)s; }""" % {
            "d": d, "e": es_port}
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write("""worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log;
events {}
http {
    access_log off;
    client_body_temp_path %(d)s/body;
    proxy_temp_path %(d)s/proxy;
    fastcgi_temp_path %(d)s/fcgi;
    uwsgi_temp_path %(d)s/uwsgi;
    scgi_temp_path %(d)s/scgi;
    server {
        listen 127.0.0.1:%(a)d ssl;
        auth_basic "Elasticsearch";
        auth_basic_user_file %(d)s/htpasswd;%(c)s
    }
    server {
        listen 127.0.0.1:%(b)d ssl;
        ssl_client_certificate %(d)s/ca.pem;
        ssl_verify_client on;%(c)s
    }
}
""" % {"d": d, "a": self.pw_port, "b": self.cert_port, "c": common})
        self.proc = subprocess.Popen(["nginx", "-p", d, "-e",
                                      os.path.join(d, "error.log"), "-c",
                                      os.path.join(d, "nginx.conf"), "-g",
                                      "daemon off;"])
        end = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.cert_port),
                                         0.5).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > end:
                    self.stop()
                    log = os.path.join(d, "error.log")
                    check(False, "nginx did not start: %s" % (
                        open(log).read()[-500:] if os.path.exists(log)
                        else "no error log"))
                time.sleep(0.1)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=30)


def play_via(url, rec, args=(), env=None):
    p = subprocess.run([PLAY, "-r", "es", "--es-baseurl", url,
                        "--es-query", 'rec:"%s"' % rec, "-g", "end"] +
                       list(args), capture_output=True, env=env,
                       stdin=subprocess.DEVNULL, timeout=120)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


@case("TLS and auth: password, .netrc, CA file, client certificate")
def tls_auth():
    pk = ["w 0 80 24"] + ["o %d %s" % (i, (b"secret line %d\r\n" % i).hex())
                          for i in range(3000)] + ["e 3001"]
    rec, lines = encode("tls", pk, 256)
    bulk("tlog-tls", lines)
    shown = b"".join(b"secret line %d\r\n" % i for i in range(3000))
    proxy = TlsProxy()
    try:
        pw_url = "https://127.0.0.1:%d/tlog-tls/_search" % proxy.pw_port
        cert_url = "https://127.0.0.1:%d/tlog-tls/_search" % proxy.cert_port
        home = os.path.join(tmp, "auditor-home")
        os.makedirs(home)
        env = dict(os.environ, HOME=home)
        env.pop("TLOG_CURL_USERPWD", None)
        ca = ["--es-cacert", proxy.ca]
        # user and password, the reference's way
        rc, out, err = play_via(pw_url, rec, ca, dict(
            env, TLOG_CURL_USERPWD="auditor:s3cret pass"))
        check(rc == 0 and out == shown, "with TLOG_CURL_USERPWD: %d %s"
              % (rc, err))
        rc, out, err = play_via(pw_url, rec, ca, dict(
            env, TLOG_CURL_USERPWD="auditor:wrong"))
        check(rc != 0 and "HTTP 401" in err and out == b"",
              "a wrong password: %d %r" % (rc, err))
        rc, out, err = play_via(pw_url, rec, ca, env)
        check(rc != 0 and "HTTP 401" in err, "no password: %d %r"
              % (rc, err))
        # .netrc
        netrc = os.path.join(home, ".netrc")
        with open(netrc, "w") as f:
            f.write('machine 127.0.0.1 login auditor password "s3cret pass"'
                    '\n')
        os.chmod(netrc, 0o600)
        rc, out, err = play_via(pw_url, rec, ca, env)
        check(rc == 0 and out == shown, "with .netrc: %d %s" % (rc, err))
        # the server's certificate is checked
        rc, out, err = play_via(pw_url, rec, (), env)
        check(rc != 0 and "certificate" in err.lower(),
              "an unknown CA was accepted: %d %r" % (rc, err))
        # a client certificate
        rc, out, err = play_via(cert_url, rec, ca + [
            "--es-cert", proxy.cert, "--es-key", proxy.key], env)
        check(rc == 0 and out == shown, "with a client certificate: %d %s"
              % (rc, err))
        rc, out, err = play_via(cert_url, rec, ca, env)
        check(rc != 0 and "HTTP 400" in err,
              "no client certificate: %d %r" % (rc, err))
        # --list through the proxy too
        p = subprocess.run([PLAY, "-r", "es", "--es-baseurl", cert_url,
                            "--es-query", 'rec:"%s"' % rec, "--list"] + ca +
                           ["--es-cert", proxy.cert, "--es-key", proxy.key],
                           capture_output=True, env=env, timeout=60)
        check(p.returncode == 0 and p.stdout.decode().startswith(rec),
              "--list: %r %r" % (p.stdout, p.stderr))
    finally:
        proxy.stop()


@case("purge removes exactly the recordings past the retention period")
def purge():
    def rec_lines(name, when):
        """A small recording whose time is `when` (seconds)."""
        path = path_for(name)
        subprocess.run([CODEC, "encode", "-o", path],
                       input=b"w 0 80 24\no 1 6f6c64\ne 2\n", check=True)
        lines = []
        for ln in open(path):
            m = json.loads(ln)
            m["rec"] = name
            m["time"] = float("%.3f" % when)
            lines.append(json.dumps(m))
        return lines
    now = time.time()
    old_day = time.strftime("%Y.%m.%d", time.gmtime(now - 100 * 86400))
    today = time.strftime("%Y.%m.%d", time.gmtime(now))
    bulk("tlog-" + old_day, rec_lines("purge-old-index", now - 100 * 86400))
    bulk("tlog-" + today, rec_lines("purge-old-doc", now - 40 * 86400))
    bulk("tlog-" + today, rec_lines("purge-new", now - 3600))
    p = subprocess.run([os.path.join(TOP, "contrib", "elasticsearch",
                                     "tlog-purge"), es_url, "30"],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "tlog-purge failed: %r" % p.stderr)
    check("deleted index tlog-" + old_day in p.stdout, "said %r" % p.stdout)
    check(count('rec:"purge-old-index"') == 0, "the old index survived")
    check(count('rec:"purge-old-doc"') == 0, "old messages survived")
    check(count('rec:"purge-new"') == 1, "a recent recording was deleted")


@case("errors from Elasticsearch are shown with its own reason")
def errors():
    lines = []
    for name in ("errors-one", "errors-two"):
        path = path_for(name)
        subprocess.run([CODEC, "encode", "-o", path],
                       input=b"w 0 80 24\no 1 6869\ne 2\n", check=True)
        for ln in open(path):
            m = json.loads(ln)
            m["rec"] = name
            lines.append(json.dumps(m))
    bulk("tlog-errors", lines)
    base = es_url + "/tlog-errors/_search"
    p = subprocess.run([PLAY, "-r", "es", "--es-baseurl", base,
                        "--es-query", "rec:("], capture_output=True,
                       timeout=60)
    check(p.returncode == 1 and b"Elasticsearch says (HTTP 400)" in p.stderr
          and b"Failed to parse query" in p.stderr, "said %r" % p.stderr)
    # two recordings matching: refused, and both listed
    p = subprocess.run([PLAY, "-r", "es", "--es-baseurl", base,
                        "--es-query", "*"], capture_output=True, timeout=60)
    check(p.returncode == 1 and b"holds 2 recordings; choose one" in
          p.stderr and b"errors-one" in p.stderr and b"errors-two" in
          p.stderr, "several recordings not refused: %r" % p.stderr)
    # nothing matching is an error too
    p = subprocess.run([PLAY, "-r", "es", "--es-baseurl", base,
                        "--es-query", 'rec:"nosuch"'], capture_output=True,
                       timeout=60)
    check(p.returncode == 1 and b"matches no messages" in p.stderr,
          "an empty match played: %r" % p.stderr)


@case("follow: a live session plays out of Elasticsearch as it arrives")
def follow():
    t = genuine_recording("echo follow-early; sleep 4; echo follow-late",
                          latency=1)
    rec = rec_with("follow-early", timeout=30)
    p = Term([PLAY, "-r", "es", "-f", "--es-baseurl",
              es_url + "/tlog-*/_search", "--es-query", 'rec:"%s"' % rec])
    check(p.wait_for(b"follow-early", 10), "no early output")
    check(t.finish(timeout=30) == 0, "the session failed")
    check(p.wait_for(b"follow-late", 20), "followed output never came")
    p.send(b"q")
    check(p.finish(timeout=10) == 0, "the player did not quit")


@case("outage: Elasticsearch down for 60 s mid-recording loses nothing")
def outage():
    t = genuine_recording("for i in $(seq 1 90); do echo outage-$i; "
                          "sleep 1; done", latency=1)
    check(t.wait_for(b"outage-5", 15), "the session did not start")
    subprocess.run([os.path.join(TOP, "tests", "es", "stop"), ES_DIR,
                    "--keep"], check=True)
    stopped = time.monotonic()
    t.pump(60 - (time.monotonic() - stopped))
    p = subprocess.run([os.path.join(TOP, "tests", "es", "start"), ES_DIR],
                       capture_output=True, text=True, timeout=300)
    check(p.returncode == 0, "Elasticsearch did not come back: %r" % p.stderr)
    check(p.stdout.strip() == es_url, "came back on another URL")
    check(t.finish(timeout=120) == 0, "the session failed")
    end = time.monotonic() + 120
    rec = None
    while time.monotonic() < end:
        es("POST", "/tlog-*/_refresh")
        r = es("POST", "/tlog-*/_search", {"size": 1, "query": {
            "query_string": {"query": "out_txt:outage\\-90"}}})
        if r.get("hits", {}).get("hits"):
            rec = r["hits"]["hits"][0]["_source"]["rec"]
            break
        time.sleep(1)
    check(rec is not None, "the end of the session never arrived")
    msgs = messages_of(rec)
    ids = [m["id"] for m in msgs]
    check(ids == list(range(1, len(ids) + 1)), "ids not contiguous: %r" %
          [i for a, i in zip(ids, ids[1:]) if i != a + 1][:5])
    check(ours(rec) == t.screen, "the recording differs from the screen")


def main():
    global es_url, rsyslog
    if os.getuid() != 0:
        print("FAIL setup: run as root (starts Elasticsearch and rsyslogd)")
        return 1
    es_url = start_elasticsearch(ES_DIR, "es")
    if es_url is None:
        stop_elasticsearch(ES_DIR)
        return 1
    try:
        rsyslog = Rsyslog()
        private_tlog_conf(CONF_DIR)
        return run_cases("es", sys.argv[1:])
    finally:
        for a in agents:
            a.stop()
        try:
            rsyslog.stop()
        except Exception:
            pass
        journald.stop()
        stop_elasticsearch(ES_DIR)


rsyslog = None

if __name__ == "__main__":
    sys.exit(main())
