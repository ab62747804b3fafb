#!/usr/bin/env python3
"""Elasticsearch end to end, against a real node.

One private Elasticsearch (tests/es/start) serves the whole run; a
private rsyslogd runs the project's contrib/rsyslog/tlog.conf, pointed at
it.  Recordings made by tlog-rec-session travel through rsyslog into
Elasticsearch and must play back byte-exact with our tlog-play -r es and
with the reference /usr/bin/tlog-play -r es.  If Elasticsearch cannot
start, the run fails with the reason: nothing is skipped.
"""
import json
import os
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptyterm import Term  # noqa: E402
from progtest import (CODEC, REF_PLAY, SESSION, TRAILER, case,  # noqa: E402
                      check, path_for, run_cases, tmp)

TOP = os.environ.get("top_srcdir", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), ".."))
BUILD = os.environ.get("top_builddir", TOP)
PLAY = os.path.join(BUILD, "play", "tlog-play")
ES_DIR = os.path.join(tmp, "es")
es_url = None


def es(method, path, body=None, ndjson=False):
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(es_url + path, data=data, method=method)
    req.add_header("Content-Type", "application/x-ndjson" if ndjson
                   else "application/json")
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return json.loads(e.read() or b"{}")


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
    """A private rsyslogd running contrib/rsyslog/tlog.conf."""

    def __init__(self):
        self.dir = os.path.join(tmp, "rsyslog")
        os.makedirs(self.dir, exist_ok=True)
        self.sock = os.path.join(self.dir, "log.sock")
        self.plain = os.path.join(self.dir, "plain.log")
        port = es_url.rsplit(":", 1)[1]
        with open(os.path.join(TOP, "contrib", "rsyslog", "tlog.conf")) as f:
            conf = f.read()
        conf = conf.replace('serverport="9200"', 'serverport="%s"' % port)
        conf = conf.replace("/var/log/rsyslog-tlog-errors.json",
                            os.path.join(self.dir, "errors.json"))
        with open(os.path.join(self.dir, "tlog.conf"), "w") as f:
            f.write(conf)
        self.conf = os.path.join(self.dir, "main.conf")
        with open(self.conf, "w") as f:
            f.write("""
global(workDirectory="%(d)s" maxMessageSize="64k")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="%(s)s" RateLimit.Interval="0")
include(file="%(d)s/tlog.conf")
action(type="omfile" file="%(p)s")
""" % {"d": self.dir, "s": self.sock, "p": self.plain})
        self.proc = subprocess.Popen(["rsyslogd", "-n", "-f", self.conf,
                                      "-i", os.path.join(self.dir, "pid")])
        end = time.monotonic() + 10
        while not os.path.exists(self.sock):
            check(time.monotonic() < end, "rsyslogd did not start")
            time.sleep(0.05)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def session(script, latency=10):
    """Record a shell command with tlog-rec-session, syslog writer."""
    env = dict(os.environ)
    env["TLOG_REC_SESSION_CONF_TEXT"] = json.dumps({
        "shell": "/bin/sh", "notice": "", "writer": "syslog",
        "latency": latency, "payload": 1024,
        "syslog": {"socket": rsyslog.sock}})
    t = Term([SESSION, "-c", script], env=env)
    st = t.finish(timeout=300)
    check(st == 0, "session exit status %r" % st)
    return t.screen


def rec_with(marker, timeout=60):
    """The recording a message showing marker belongs to, once it is in."""
    end = time.monotonic() + timeout
    while True:
        es("POST", "/tlog-*/_refresh")
        r = es("POST", "/tlog-*/_search", {"size": 1, "query": {
            "query_string": {"query": "out_txt:%s" % marker}}})
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


@case("a session through rsyslog into Elasticsearch plays back byte-exact")
def end_to_end():
    screen = session("printf 'marker-e2e caf\\303\\251 \\342\\202\\254\\n'; "
                     "seq 1 2000; echo end-e2e")
    rec = rec_with("marker\\-e2e")
    rec_with("end\\-e2e")     # the last message is in too
    wait_messages(rec, 5)
    msgs = messages_of(rec)
    check([m["id"] for m in msgs] == list(range(1, len(msgs) + 1)),
          "ids not contiguous")
    check(ours(rec) == screen, "tlog-play -r es differs from the screen")
    index = es("POST", "/tlog-*/_search", {"size": 1, "query": {
        "query_string": {"query": 'rec:"%s"' % rec}}})["hits"]["hits"][0][
            "_index"]
    check(reference(rec, index) == screen,
          "the reference tlog-play -r es differs from the screen")
    check(not os.path.exists(rsyslog.plain) or
          b"marker" not in open(rsyslog.plain, "rb").read(),
          "the recording reached the plain-text log")
    p = subprocess.run([PLAY, "-r", "es", "--es-baseurl",
                        es_url + "/tlog-*/_search", "--es-query",
                        'rec:"%s"' % rec, "--list"], capture_output=True,
                       timeout=60)
    check(p.stdout.decode().startswith(rec + "  user root  host ") and
          "messages %d" % len(msgs) in p.stdout.decode(),
          "--list said %r" % p.stdout)


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
        "query": "user:root AND out_txt:marker\\-e2e"}}})
    check(r["hits"]["total"]["value"] >= 1, "the Kibana query found nothing")
    m = es("GET", "/tlog-*/_mapping")
    for index, v in m.items():
        p = v["mappings"]["properties"]
        check(p["rec"]["type"] == "keyword" and p["time"]["type"] == "date",
              "%s is not mapped by the template: %r" % (index, p["rec"]))


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
    path = path_for("big")
    p = subprocess.run([CODEC, "encode", "-p", "32", "-o", path],
                       input="\n".join(pk).encode() + b"\n",
                       capture_output=True)
    check(p.returncode == 0, "codec: %r" % p.stderr)
    lines = open(path).read().splitlines()
    check(len(lines) >= 50000, "only %d messages" % len(lines))
    rec = json.loads(lines[0])["rec"]
    bulk("tlog-big", lines)
    check(ours(rec, "tlog-big") == data, "50,000 messages did not play back")


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
    env = dict(os.environ)
    env["TLOG_REC_SESSION_CONF_TEXT"] = json.dumps({
        "shell": "/bin/sh", "notice": "", "writer": "syslog", "latency": 1,
        "syslog": {"socket": rsyslog.sock}})
    t = Term([SESSION, "-c", "echo follow-early; sleep 4; echo follow-late"],
             env=env)
    rec = rec_with("follow\\-early", timeout=30)
    p = Term([PLAY, "-r", "es", "-f", "--es-baseurl",
              es_url + "/tlog-*/_search", "--es-query", 'rec:"%s"' % rec])
    check(p.wait_for(b"follow-early", 10), "no early output")
    check(t.finish(timeout=30) == 0, "the session failed")
    check(p.wait_for(b"follow-late", 20), "followed output never came")
    p.send(b"q")
    check(p.finish(timeout=10) == 0, "the player did not quit")


@case("outage: Elasticsearch down for 60 s mid-recording loses nothing")
def outage():
    env = dict(os.environ)
    env["TLOG_REC_SESSION_CONF_TEXT"] = json.dumps({
        "shell": "/bin/sh", "notice": "", "writer": "syslog", "latency": 1,
        "syslog": {"socket": rsyslog.sock}})
    t = Term([SESSION, "-c", "for i in $(seq 1 90); do echo outage-$i; "
              "sleep 1; done"], env=env)
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
    p = subprocess.run([os.path.join(TOP, "tests", "es", "start"), ES_DIR],
                       capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        print("FAIL setup: Elasticsearch did not start: %s" % p.stderr)
        print("es: 0 passed, 1 failed")
        return 1
    es_url = p.stdout.strip()
    try:
        with open(os.path.join(TOP, "contrib", "elasticsearch",
                               "tlog-template.json")) as f:
            r = es("PUT", "/_index_template/tlog", json.load(f))
        if not r.get("acknowledged"):
            print("FAIL setup: template not loaded: %r" % r)
            return 1
        rsyslog = Rsyslog()
        return run_cases("es", sys.argv[1:])
    finally:
        try:
            rsyslog.stop()
        except Exception:
            pass
        subprocess.run([os.path.join(TOP, "tests", "es", "stop"), ES_DIR])


rsyslog = None

if __name__ == "__main__":
    sys.exit(main())
