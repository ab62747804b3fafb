#!/usr/bin/env python3
"""Sealed recordings: tampering after the fact is named by tlog-verify.

Real daemons: one private Elasticsearch (tests/es/start) with the
project's index templates, and a private rsyslogd running the project's
contrib/rsyslog/tlog.conf, tlog-es.conf and tlog-seal.conf (the call of
tlog-seal enabled, as tlog-seal.conf says), so that every recording
message sent as the recording agent's user goes into Elasticsearch and
through tlog-seal, whose signed checkpoints go to tlog_seal-*.  Each
case then changes one sealed recording in Elasticsearch the way someone
with write access to the store could (a message's text edited, one
deleted, two swapped, one inserted, the end message dropped, a
checkpoint replaced, the checkpoints signed again with another key) and
tlog-verify must name what was done, where, with its own exit status;
an untouched recording must verify clean from Elasticsearch, from a
file and from a journal of the test's own (the script runs again in a
private mount namespace for it).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nsexec import reexec_in_namespace  # noqa: E402

if __name__ == "__main__":
    reexec_in_namespace("TLOG_SEAL_TEST_NS", __file__)

import json  # noqa: E402
import pwd  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

from privjournal import PrivateJournald, journal_send_as  # noqa: E402
from progtest import (AGENT_USER, case, check, ensure_user,  # noqa: E402
                      es_request, run_cases, start_elasticsearch,
                      stop_elasticsearch, tmp)

TOP = os.environ.get("top_srcdir", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), ".."))
BUILD = os.environ.get("top_builddir", TOP)
SEAL = os.path.join(BUILD, "seal", "tlog-seal")
VERIFY = os.path.join(BUILD, "seal", "tlog-verify")
ES_DIR = os.path.join(tmp, "es")
HOST = "sealed.example"
# messages of each recording before its end message, and the sealer's
# checkpoint period
MESSAGES = 60
EVERY = 10
# one recording per case, shipped together
RECS = ["clean", "edit", "delete", "swap", "insert", "noend", "replace",
        "resign", "tail", "gap", "dup"]
# the id the recording "gap" never sends
GAP_ID = 20

es_url = None
rsyslog = None
keys = {}
journald = PrivateJournald()


def es(method, path, body=None):
    return es_request(es_url, method, path, body)


def rec_id(name):
    return "seal-%s-%d" % (name, os.getpid())


def message(rec, msg_id, text, end=False):
    m = {"ver": "2.3", "host": HOST, "rec": rec, "user": "someone",
         "term": "xterm", "session": 7, "id": msg_id, "pos": msg_id * 100,
         "time": 1795321501.554 + msg_id / 10,
         "timing": "=80x24>%d" % len(text), "in_txt": "", "in_bin": [],
         "out_txt": text, "out_bin": []}
    if end:
        m["x_tlog_end"] = {"exit": 0}
    return json.dumps(m, separators=(",", ":"))


def recording(name, count=MESSAGES, end=True):
    rec = rec_id(name)
    lines = [message(rec, i, "%s line %d: $ echo \"%d\"\r\n" %
                     (name, i, i * i)) for i in range(1, count + 1)]
    if end:
        lines.append(message(rec, count + 1, "", end=True))
    return lines


class Rsyslog:
    """A private rsyslogd running the project's tlog.conf, tlog-es.conf
    and tlog-seal.conf, pointed at the private node, the sealer at the
    test's key and state directory"""

    def __init__(self):
        self.dir = os.path.join(tmp, "rsyslog")
        os.makedirs(self.dir, exist_ok=True)
        self.sock = os.path.join(self.dir, "log.sock")
        port = es_url.rsplit(":", 1)[1]
        ensure_user(AGENT_USER, system=True)
        agent = pwd.getpwnam(AGENT_USER).pw_uid
        seal_cmd = ("%s --key %s --state-dir %s --every %d --interval 2"
                    " --gap-wait 3"
                    " --es-baseurl %s/_bulk" %
                    (SEAL, keys["trusted"] + ".key",
                     os.path.join(self.dir, "seal-state"), EVERY, es_url))
        for name in ("tlog-es.conf", "tlog.conf", "tlog-seal.conf"):
            with open(os.path.join(TOP, "contrib", "rsyslog", name)) as f:
                conf = f.read()
            subst = {'serverport="9200"': 'serverport="%s"' % port,
                     "@TLOG_RECD_UID@": str(agent),
                     "/var/log/rsyslog-tlog-errors.json":
                     os.path.join(self.dir, "tlog-err"),
                     "/var/log/tlog-seal.log":
                     os.path.join(self.dir, "tlog-seal.log"),
                     'binary="/usr/sbin/tlog-seal"':
                     'binary="%s"' % seal_cmd,
                     "#call tlog-seal": "call tlog-seal"}
            for a, b in subst.items():
                conf = conf.replace(a, b)
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(conf)
        check("call tlog-seal\n" in open(os.path.join(
            self.dir, "tlog-es.conf")).read(),
            "tlog-es.conf has no call of tlog-seal to enable")
        self.conf = os.path.join(self.dir, "main.conf")
        with open(self.conf, "w") as f:
            f.write("""
global(workDirectory="%(d)s" maxMessageSize="64k")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="%(s)s" RateLimit.Interval="0"
      Annotate="on" ParseTrusted="on")
include(file="%(d)s/tlog-es.conf")
include(file="%(d)s/tlog-seal.conf")
include(file="%(d)s/tlog.conf")
""" % {"d": self.dir, "s": self.sock})
        self.proc = subprocess.Popen(
            ["rsyslogd", "-n", "-f", self.conf, "-i",
             os.path.join(self.dir, "pid")],
            stderr=open(os.path.join(self.dir, "stderr"), "ab"))
        end = time.monotonic() + 10
        while not os.path.exists(self.sock):
            check(time.monotonic() < end, "rsyslogd did not start")
            time.sleep(0.05)

    def send(self, lines):
        """Each line as a message of the recording agent's user"""
        p = subprocess.run(["runuser", "-u", AGENT_USER, "--", "logger",
                            "-u", self.sock, "--size", "65536", "-t",
                            "tlog-recd"],
                           input="".join(ln + "\n" for ln in lines).encode(),
                           capture_output=True, timeout=60)
        check(p.returncode == 0, "logger: %r" % p.stderr)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)


def search(index, query, size=10000, sort="id"):
    es("POST", "/%s/_refresh" % index)
    r = es("POST", "/%s/_search" % index,
           {"size": size, "query": query, "sort": [{sort: "asc"}]})
    check("hits" in r, "search %s: %r" % (index, r))
    return r["hits"]["hits"]


def of_rec(rec, **terms):
    f = [{"term": {"rec": rec}}]
    f += [{"term": {k: v}} for k, v in terms.items()]
    return {"bool": {"filter": f}}


def docs(rec, **terms):
    return search("tlog-*", of_rec(rec, **terms))


def checkpoints(rec):
    return search("tlog_seal-*", of_rec(rec), sort="last")


def put(hit, source):
    """Overwrite a stored document, as an administrator can"""
    r = es("PUT", "/%s/_doc/%s?refresh=true" %
           (hit["_index"], hit["_id"].replace("/", "%2F")), source)
    check(r.get("result") in ("updated", "created"), "put: %r" % r)


def delete(hit):
    r = es("DELETE", "/%s/_doc/%s?refresh=true" %
           (hit["_index"], hit["_id"].replace("/", "%2F")))
    check(r.get("result") == "deleted", "delete: %r" % r)


def verify(rec, *extra, key=None):
    """tlog-verify --json on the recording in Elasticsearch: its exit
    status and verdict"""
    p = subprocess.run(
        [VERIFY, "--reader", "es", "--es-baseurl",
         es_url + "/tlog-*/_search", "--seal-baseurl",
         es_url + "/tlog_seal-*/_search", "--rec", rec, "--key",
         key or keys["trusted"] + ".pub", "--json"] + list(extra),
        capture_output=True, text=True, timeout=120)
    check(p.stdout.strip(), "tlog-verify said nothing: %s" % p.stderr)
    return p.returncode, json.loads(p.stdout)


def expect(rec, verdict, status, msg_id, **kw):
    rc, v = verify(rec, **kw)
    check((v["verdict"], rc, v["id"]) == (verdict, status, msg_id),
          "expected %s (exit %d) at %d, got %r (exit %d)" %
          (verdict, status, msg_id, v, rc))
    return v


def attacker_checkpoints(rec, tmpname):
    """What someone with a key of their own makes of the recording as it
    is in the store now: tlog-seal run over its documents"""
    lines = [json.dumps(h["_source"]) for h in docs(rec)]
    out = os.path.join(tmp, tmpname + ".cps")
    p = subprocess.run([SEAL, "--key", keys["other"] + ".key",
                        "--state-dir", os.path.join(tmp, tmpname + ".st"),
                        "--every", str(EVERY), "--checkpoint-file", out],
                       input="\n".join(lines) + "\n", text=True,
                       capture_output=True, timeout=60)
    check(p.returncode == 0, "attacker's tlog-seal: %s" % p.stderr)
    with open(out) as f:
        return [json.loads(ln) for ln in f if ln.strip()]


@case("clean: an untouched recording verifies clean")
def clean():
    rec = rec_id("clean")
    v = expect(rec, "clean", 0, 0)
    check(v["messages"] == MESSAGES + 1 and
          v["checkpoints"] == MESSAGES // EVERY + 1,
          "counts: %r" % v)
    # read in small pages: documents at a page's end are read again,
    # and count once
    for page in ("7", "1"):
        rc, v = verify(rec, "--es-page", page)
        check(rc == 0 and v["verdict"] == "clean" and
              v["messages"] == MESSAGES + 1 and
              v["checkpoints"] == MESSAGES // EVERY + 1,
              "pages of %s: %r" % (page, v))
    # the same from a file of the documents, with the checkpoints in one
    f = os.path.join(tmp, "clean.json")
    with open(f, "w") as out:
        for h in docs(rec):
            out.write(json.dumps(h["_source"]) + "\n")
    c = os.path.join(tmp, "clean.cps")
    with open(c, "w") as out:
        for h in checkpoints(rec):
            out.write(json.dumps(h["_source"]) + "\n")
    p = subprocess.run([VERIFY, "-i", f, "-c", c, "-k",
                        os.path.dirname(keys["trusted"])],
                       capture_output=True, text=True)
    check(p.returncode == 0 and "clean" in p.stdout,
          "from a file: %d %s %s" % (p.returncode, p.stdout, p.stderr))


@case("journal: the recording as the agent writes it to the journal")
def journal():
    rec = rec_id("clean")
    journald.start()
    hits = docs(rec)
    for h in hits:
        m = dict(h["_source"])
        # the journal's copy has no sender stamped by the store
        m.pop("x_tlog_sender", None)
        journal_send_as(AGENT_USER, {
            "MESSAGE": json.dumps(m, separators=(",", ":")),
            "TLOG_REC": rec, "TLOG_ID": m["id"]})
    check(len(journald.entries("TLOG_REC=" + rec, len(hits))) == len(hits),
          "the journal does not hold the recording")
    c = os.path.join(tmp, "journal.cps")
    with open(c, "w") as out:
        for h in checkpoints(rec):
            out.write(json.dumps(h["_source"]) + "\n")
    p = subprocess.run([VERIFY, "-r", "journal", "--rec", rec, "-c", c,
                        "-k", keys["trusted"] + ".pub", "--json"],
                       capture_output=True, text=True)
    check(p.returncode == 0, "from the journal: %d %s %s" %
          (p.returncode, p.stdout, p.stderr))
    v = json.loads(p.stdout)
    check(v["verdict"] == "clean" and v["messages"] == MESSAGES + 1,
          "from the journal: %r" % v)


@case("edit: one message's text changed is named altered")
def edit():
    rec = rec_id("edit")
    h = docs(rec, id=37)[0]
    h["_source"]["out_txt"] = h["_source"]["out_txt"].replace("37", "38")
    put(h, h["_source"])
    expect(rec, "altered", 5, 37)


@case("delete: one message deleted is named missing")
def delete_one():
    rec = rec_id("delete")
    delete(docs(rec, id=23)[0])
    expect(rec, "missing", 5, 23)


@case("swap: two messages' ids swapped is named reordered")
def swap():
    rec = rec_id("swap")
    a, b = docs(rec, id=14)[0], docs(rec, id=15)[0]
    a["_source"]["id"], b["_source"]["id"] = 15, 14
    put(a, a["_source"])
    put(b, b["_source"])
    v = expect(rec, "reordered", 5, 14)
    check("15" in v["detail"], "the other message not named: %r" % v)


@case("insert: one message inserted, the later ones numbered again")
def insert():
    rec = rec_id("insert")
    hits = docs(rec)
    for h in reversed(hits):
        if h["_source"]["id"] >= 30:
            h["_source"]["id"] += 1
            put(h, h["_source"])
    forged = dict(hits[29]["_source"])
    forged["id"] = 30
    forged["out_txt"] = "rm -rf / was never typed\r\n"
    r = es("PUT", "/%s/_doc/forged-insert?refresh=true" %
           hits[0]["_index"], forged)
    check(r.get("result") == "created", "insert: %r" % r)
    expect(rec, "added", 5, 30)


@case("dup: a second message of one id is named added")
def dup():
    rec = rec_id("dup")
    h = docs(rec, id=12)[0]
    forged = dict(h["_source"])
    forged["out_txt"] = "another story\r\n"
    r = es("PUT", "/%s/_doc/forged-dup?refresh=true" % h["_index"], forged)
    check(r.get("result") == "created", "put: %r" % r)
    for page in ("10000", "12"):
        rc, v = verify(rec, "--es-page", page)
        check((rc, v["verdict"], v["id"]) == (5, "added", 12),
              "pages of %s: %r" % (page, v))


@case("noend: the end message dropped is named cut short")
def noend():
    rec = rec_id("noend")
    delete(docs(rec, id=MESSAGES + 1)[0])
    expect(rec, "cut-short", 3, MESSAGES + 1)


@case("replace: a checkpoint replaced is named a bad signature")
def replace():
    rec = rec_id("replace")
    h = docs(rec, id=42)[0]
    h["_source"]["out_txt"] = "nothing to see\r\n"
    put(h, h["_source"])
    # the checkpoint covering 42 replaced by one with the digests of the
    # edited recording, under the trusted key's id
    forged = [c for c in attacker_checkpoints(rec, "replace")
              if c["first"] <= 42 <= c["last"]][0]
    genuine = [c for c in checkpoints(rec)
               if c["_source"]["first"] <= 42 <= c["_source"]["last"]][0]
    forged["key"] = genuine["_source"]["key"]
    put(genuine, forged)
    expect(rec, "bad-signature", 6, genuine["_source"]["last"])


@case("resign: checkpoints signed again with another key: unknown key")
def resign():
    rec = rec_id("resign")
    h = docs(rec, id=5)[0]
    h["_source"]["out_txt"] = "nothing to see\r\n"
    put(h, h["_source"])
    forged = attacker_checkpoints(rec, "resign")
    genuine = checkpoints(rec)
    check(len(forged) == len(genuine), "%d forged checkpoints for %d" %
          (len(forged), len(genuine)))
    for g, f in zip(genuine, forged):
        put(g, f)
    expect(rec, "unknown-key", 6, EVERY)
    # with the other key trusted too, the forgery passes: the key, not
    # the store, is what a verifier relies on
    both = os.path.join(tmp, "both")
    os.makedirs(both, exist_ok=True)
    for k in keys.values():
        subprocess.run(["cp", k + ".pub", both], check=True)
    rc, v = verify(rec, key=both)
    check(rc == 0 and v["verdict"] == "clean", "with both keys: %r" % v)


@case("tail: messages after the last checkpoint are an unsealed tail")
def tail():
    rec = rec_id("tail")
    cps = checkpoints(rec)
    delete(cps[-1])
    delete(cps[-2])
    v = expect(rec, "unsealed-tail", 4, MESSAGES - EVERY + 1)
    check(v["checkpoints"] == len(cps) - 2, "checkpoints: %r" % v)


@case("gap: a message that never came is sealed as lost: cut short")
def gap():
    rec = rec_id("gap")
    v = expect(rec, "cut-short", 3, 0)
    check("1 messages were lost" in v["detail"], "detail: %r" % v)
    # sent late, it is not part of the seal: named as added
    rsyslog.send([recording("gap")[GAP_ID - 1]])
    deadline = time.monotonic() + 60
    while not docs(rec, id=GAP_ID):
        check(time.monotonic() < deadline, "the late message not stored")
        time.sleep(0.5)
    expect(rec, "added", 5, GAP_ID)


def sealer_pids():
    """The tlog-seal processes rsyslogd runs"""
    pids = []
    for d in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read().split(b"\0")
        except (OSError, ValueError):
            continue
        ppid = int(st.rsplit(")", 1)[1].split()[1])
        if ppid == rsyslog.proc.pid and cmd and cmd[0] == SEAL.encode():
            pids.append(int(d))
    return pids


@case("restart: the sealer killed mid-recording goes on where it was")
def restart():
    import signal
    rec = rec_id("restart")
    lines = recording("restart")
    rsyslog.send(lines[:33])
    deadline = time.monotonic() + 60
    while len(docs(rec)) < 33 or len(checkpoints(rec)) < 3:
        check(time.monotonic() < deadline, "the first part not sealed")
        time.sleep(0.5)
    pids = sealer_pids()
    check(len(pids) == 1, "tlog-seal processes of rsyslogd: %r" % pids)
    os.kill(pids[0], signal.SIGKILL)
    # some messages sent again too, as the agent does after a failure
    rsyslog.send(lines[30:])
    deadline = time.monotonic() + 120
    while True:
        cps = checkpoints(rec)
        if len(docs(rec)) == MESSAGES + 1 and cps and \
                cps[-1]["_source"]["end"]:
            break
        check(time.monotonic() < deadline, "not sealed to the end after the"
              " sealer was killed")
        time.sleep(0.5)
    check(sealer_pids() not in ([], pids), "tlog-seal was not started again")
    expect(rec, "clean", 0, 0)


def main():
    global es_url, rsyslog
    es_url = start_elasticsearch(ES_DIR, "seal_test")
    if es_url is None:
        stop_elasticsearch(ES_DIR)
        return 1
    try:
        with open(os.path.join(TOP, "contrib", "elasticsearch",
                               "tlog-seal-template.json")) as f:
            r = es_request(es_url, "PUT", "/_index_template/tlog-seal",
                           json.load(f))
        check(r.get("acknowledged"), "template: %r" % r)
        for name in ("trusted", "other"):
            d = os.path.join(tmp, "keys-" + name)
            os.makedirs(d)
            keys[name] = os.path.join(d, "seal")
            subprocess.run([SEAL, "--generate-key", keys[name]], check=True,
                           capture_output=True)
        rsyslog = Rsyslog()
        for name in RECS:
            lines = recording(name)
            if name == "gap":
                del lines[GAP_ID - 1]
            rsyslog.send(lines)
        # everything stored and sealed to its end
        deadline = time.monotonic() + 180
        for name in RECS:
            rec = rec_id(name)
            while True:
                n, cps = len(docs(rec)), checkpoints(rec)
                if n == MESSAGES + 1 - (name == "gap") and cps and \
                        cps[-1]["_source"]["end"]:
                    break
                check(time.monotonic() < deadline,
                      "%s: %d messages and %d checkpoints after 180 s" %
                      (rec, n, len(cps)))
                time.sleep(0.5)
        return run_cases("seal_test", sys.argv[1:])
    finally:
        if rsyslog is not None:
            rsyslog.stop()
        journald.stop()
        stop_elasticsearch(ES_DIR)


if __name__ == "__main__":
    sys.exit(main())
