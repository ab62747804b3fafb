#!/usr/bin/env python3
"""tlog-web's verification states: the time to check a large recording
and show it, against tlog-verify checking the same recording in the same
Elasticsearch, and what the states add to a page of the list.

sudo python3 bench/verify_web_bench.py BUILD_DIR [MESSAGES] [ROUNDS]

Starts a private Elasticsearch (tests/es/start), stores one recording of
MESSAGES messages (default 50,000; about 1.4 KB each, as seal_bench.py
makes them) and 49 of 100 messages, all sealed by tlog-seal (a
checkpoint every 100 messages) into tlog_seal-*.  Then, best of ROUNDS
(default 3):
- reference: tlog-verify --reader es of the large recording (reads its
  messages and checkpoints from Elasticsearch and checks them);
- GET /api/recordings/REC/seal of it from a tlog-web just started (its
  cache empty): the check the page asks for when a row is pending;
- the same request again (the cached state, its key asked for);
- GET /api/recordings?size=50 (the 50 recordings, each row's state from
  the cache) against the same request to a tlog-web without keys (no
  state: the list as it was).
Each verdict must be clean.
"""
import http.client
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
import web_test  # noqa: E402
from progtest import (ensure_user, es_request, start_elasticsearch,  # noqa
                      stop_elasticsearch, tmp)

AUDITOR = "tlogwbench"
HOST = "bench.example"
INDEX = "tlog-%s" % time.strftime("%Y.%m.%d", time.gmtime())
SMALL = 49


def messages(rec, n, t0):
    text = "".join("%04d: the quick brown fox jumps over the lazy dog\r\n"
                   % i for i in range(20))
    for i in range(1, n + 1):
        m = {"ver": "2.3", "host": HOST, "rec": rec, "user": "someone",
             "term": "xterm", "session": 7, "id": i, "pos": i * 10,
             "time": t0 + i / 100, "timing": "=80x24>%d]1/2" % len(text),
             "in_txt": "", "in_bin": [], "out_txt": text + "\ufffd",
             "out_bin": [255, 254],
             "x_tlog_sender": {"uid": 999, "gid": 999, "pid": 1234,
                               "exe": "/usr/sbin/tlog-recd"}}
        if i == n:
            m["x_tlog_end"] = {"exit": 0}
            m["timing"], m["out_txt"], m["out_bin"] = "", "", []
        yield json.dumps(m, separators=(",", ":"))


def store_and_seal(url, build, key, rec, n, t0):
    lines = list(messages(rec, n, t0))
    for k in range(0, len(lines), 5000):
        r = es_request(url, "POST", "/%s/_bulk" % INDEX, "".join(
            '{"index":{}}\n' + ln + "\n" for ln in lines[k:k + 5000])
            .encode(), ndjson=True)
        if r.get("errors"):
            sys.exit("bulk: %r" % str(r)[:300])
    p = subprocess.run([os.path.join(build, "seal", "tlog-seal"), "--key",
                        key + ".key", "--state-dir",
                        os.path.join(tmp, "state-" + rec), "--every", "100",
                        "--es-baseurl", url + "/_bulk"],
                       input="".join(ln + "\n" for ln in lines), text=True,
                       capture_output=True)
    if p.returncode != 0:
        sys.exit("tlog-seal: " + p.stderr)


def timed_get(port, token, path):
    """(seconds, JSON answer) of one GET on a new connection"""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    t = time.monotonic()
    conn.request("GET", path, headers={"Cookie": "tlog_web_session=" +
                                       token})
    r = conn.getresponse()
    body = r.read()
    took = time.monotonic() - t
    conn.close()
    if r.status != 200:
        sys.exit("GET %s: %d %r" % (path, r.status, body[:300]))
    return took, json.loads(body)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: verify_web_bench.py BUILD_DIR [MESSAGES] [ROUNDS]")
    if os.getuid() != 0:
        sys.exit("verify_web_bench: run as root (users, namespaces,"
                 " Elasticsearch)")
    build = os.path.abspath(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 50000
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    es_dir = os.path.join(tmp, "es")
    url = start_elasticsearch(es_dir, "verify_web_bench")
    try:
        if url is None:
            return 1
        web_test.es_url = url
        web_test.WEB = os.path.join(build, "web", "tlog-web")
        web_test.PASSWORDS = {AUDITOR: "bench-pw"}
        web_test.RULES = [{"auditors": [AUDITOR], "rights": ["search"]}]
        ensure_user(web_test.SERVE_AS, system=True)
        ensure_user(AUDITOR, system=True)
        web_test.load_templates(url)
        with open(os.path.join(HERE, "..", "contrib", "elasticsearch",
                               "tlog-seal-template.json")) as f:
            es_request(url, "PUT", "/_index_template/tlog-seal", json.load(f))
        key = os.path.join(tmp, "seal")
        subprocess.run([os.path.join(build, "seal", "tlog-seal"),
                        "--generate-key", key], check=True,
                       stdout=subprocess.DEVNULL)
        t0 = time.time() - 7200
        big = "bench-big"
        store_and_seal(url, build, key, big, n, t0)
        for k in range(SMALL):
            store_and_seal(url, build, key, "bench-small-%02d" % k, 100,
                           t0 + 600 + k)
        es_request(url, "POST", "/%s,tlog_seal-*/_refresh" % INDEX)
        cp = es_request(url, "POST", "/tlog_seal-*/_count")["count"]
        print("Elasticsearch %s; one recording of %d messages and %d of 100,"
              " %d checkpoints; best of %d" % (
                  es_request(url, "GET", "/")["version"]["number"], n, SMALL,
                  cp, rounds))
        best = {}

        def keep(name, took):
            best[name] = min(best.get(name, took), took)

        verify = [os.path.join(build, "seal", "tlog-verify"), "--reader",
                  "es", "--es-baseurl", url + "/tlog-2*/_search",
                  "--seal-baseurl", url + "/tlog_seal-*/_search", "--rec",
                  big, "--key", key + ".pub", "--json"]
        bare = web_test.Web("bench-bare")
        try:
            btoken, _ = bare.login(AUDITOR)
            for r in range(rounds):
                t = time.monotonic()
                p = subprocess.run(verify, capture_output=True, text=True)
                keep("cli", time.monotonic() - t)
                if p.returncode != 0:
                    sys.exit("tlog-verify: %s %s" % (p.stdout, p.stderr))
                w = web_test.Web("bench-%d" % r, conf={
                    "seal": {"keys": [key + ".pub"]}})
                try:
                    token, _ = w.login(AUDITOR)
                    took, s = timed_get(w.port, token,
                                        "/api/recordings/%s/seal" % big)
                    if s["state"] != "clean" or s["messages"] != n:
                        sys.exit("not clean: %r" % s)
                    keep("first", took)
                    for _ in range(10):
                        took, s = timed_get(w.port, token,
                                            "/api/recordings/%s/seal" % big)
                        keep("cached", took)
                    # every row checked once, then the list from the cache
                    _, lst = timed_get(w.port, token,
                                       "/api/recordings?size=50")
                    for row in lst["recordings"]:
                        timed_get(w.port, token, "/api/recordings/%s/seal"
                                  % row["rec"])
                    for _ in range(10):
                        took, lst = timed_get(w.port, token,
                                              "/api/recordings?size=50")
                        keep("list", took)
                        took, _ = timed_get(bare.port, btoken,
                                            "/api/recordings?size=50")
                        keep("list-bare", took)
                    states = {row["seal"]["state"]
                              for row in lst["recordings"]}
                    if len(lst["recordings"]) != SMALL + 1 or \
                       states != {"clean"}:
                        sys.exit("the list: %d rows, states %r" % (
                            len(lst["recordings"]), states))
                finally:
                    w.stop()
        finally:
            bare.stop()
        ref = best["cli"]
        print("| what | wall | vs tlog-verify |")
        print("|---|---|---|")
        for name, what in (
                ("cli", "`tlog-verify --reader es`, reference"),
                ("first", "tlog-web `GET .../seal`, not cached"),
                ("cached", "tlog-web `GET .../seal`, cached")):
            print("| %s | %.3f s | %.2fx |" % (what, best[name],
                                                best[name] / ref))
        print("| what | wall | vs without keys |")
        print("|---|---|---|")
        for name, what in (
                ("list-bare", "`GET /api/recordings?size=50`, no keys,"
                 " reference"),
                ("list", "`GET /api/recordings?size=50`, states cached")):
            print("| %s | %.3f s | %.2fx |" % (what, best[name],
                                                best[name] /
                                                best["list-bare"]))
        return 0
    finally:
        stop_elasticsearch(es_dir)


if __name__ == "__main__":
    sys.exit(main())
