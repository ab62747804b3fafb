#!/usr/bin/env python3
"""tlog-web's requests to Elasticsearch, one auditor at a time and many at
once: two builds of tlog-web, the same run, the same data.

sudo python3 bench/web_store_bench.py BUILD_DIR [OTHER_BUILD_DIR...]

Starts a private Elasticsearch (tests/es/start) and loads 200 small
recordings (3 messages each).  For each build in turn, starts its
tlog-web as tests/web_test.py does (root, pam_wrapper users, serving as
an unprivileged user), logs one auditor in, and times GET
/api/recordings/REC (two searches in Elasticsearch per request, and an
access event written):
- one after another, ROUNDS requests;
- THREADS threads at once, each with its own connection, ROUNDS
  requests each.
The builds take turns, PASSES times (Elasticsearch warms up over the
first ones); the best rate of each build counts.  Prints requests per
second of each build and each build's rate against the first one's (the
reference).  WEB_STORE_BENCH_ROUNDS, WEB_STORE_BENCH_THREADS and
WEB_STORE_BENCH_PASSES change the sizes (200, 8 and 4).
"""
import http.client
import json
import os
import random
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
import web_test  # noqa: E402
from progtest import (ensure_user, es_request, start_elasticsearch,  # noqa
                      stop_elasticsearch, tmp)

AUDITOR = "tlogwbench"
ROUNDS = int(os.environ.get("WEB_STORE_BENCH_ROUNDS", "200"))
THREADS = int(os.environ.get("WEB_STORE_BENCH_THREADS", "8"))
PASSES = int(os.environ.get("WEB_STORE_BENCH_PASSES", "4"))
NRECS = 200
INDEX = "tlog-%s-bench-store" % time.strftime("%Y.%m.%d", time.gmtime())


def load(url):
    """NRECS recordings of 3 messages; their ids"""
    rng = random.Random(1)
    ids, lines = [], []
    now = time.time() - 3600
    for k in range(NRECS):
        rec = "%032x-%x-%x" % (rng.getrandbits(128), k + 1, 1)
        ids.append(rec)
        for i in (1, 2, 3):
            m = {"ver": "2.3", "host": "bench-host", "rec": rec,
                 "user": "u%02d" % (k % 50), "term": "xterm",
                 "session": k + 1, "id": i, "pos": (i - 1) * 1000,
                 "time": round(now + k + i, 3), "timing": "=80x24>5",
                 "in_txt": "", "in_bin": [], "out_txt": "line %d\r\n" % i,
                 "out_bin": []}
            if i == 3:
                m["x_tlog_end"] = {"exit": 0}
            lines.append('{"index":{}}\n' + json.dumps(m) + "\n")
    r = es_request(url, "POST", "/%s/_bulk?refresh=true" % INDEX,
                   "".join(lines).encode(), ndjson=True)
    if r.get("errors"):
        sys.exit("web_store_bench: bulk load failed: %r" % str(r)[:300])
    return ids


def get_all(port, token, recs, errors):
    """GET each of recs on one connection"""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for rec in recs:
        conn.request("GET", "/api/recordings/%s" % rec, headers={
            "Cookie": "tlog_web_session=" + token})
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            errors.append(r.status)
    conn.close()


def measure(build, ids, n):
    """(sequential, concurrent) requests per second of build's tlog-web,
    pass n"""
    web_test.WEB = os.path.join(os.path.abspath(build), "web", "tlog-web")
    w = web_test.Web("bench-%d-%s" % (n, os.path.basename(
        os.path.abspath(build))))
    web_test.web = w
    try:
        token, _ = w.login(AUDITOR)
        rng = random.Random(2)
        errors = []
        # warm up: connections, caches
        get_all(w.port, token, ids[:20], errors)
        picks = [rng.choice(ids) for _ in range(ROUNDS)]
        t = time.monotonic()
        get_all(w.port, token, picks, errors)
        seq = ROUNDS / (time.monotonic() - t)
        threads = [threading.Thread(target=get_all, args=(
            w.port, token, [rng.choice(ids) for _ in range(ROUNDS)],
            errors)) for _ in range(THREADS)]
        t = time.monotonic()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        par = THREADS * ROUNDS / (time.monotonic() - t)
        if errors:
            sys.exit("web_store_bench: %d requests failed: %r"
                     % (len(errors), errors[:5]))
        return seq, par
    finally:
        w.stop()


def main():
    builds = sys.argv[1:]
    if not builds:
        sys.exit("usage: web_store_bench.py BUILD_DIR [OTHER_BUILD_DIR...]")
    if os.getuid() != 0:
        sys.exit("web_store_bench: run as root (users, namespaces,"
                 " Elasticsearch)")
    es_dir = os.path.join(tmp, "es")
    url = start_elasticsearch(es_dir, "web_store_bench")
    try:
        if url is None:
            return 1
        web_test.es_url = url
        web_test.PASSWORDS = {AUDITOR: "bench-pw"}
        web_test.RULES = [{"auditors": [AUDITOR], "rights": ["search"]}]
        ensure_user(web_test.SERVE_AS, system=True)
        ensure_user(AUDITOR, system=True)
        web_test.load_templates(url)
        ids = load(url)
        print("Elasticsearch %s, %d recordings; %d requests, then %d"
              " threads x %d" % (es_request(url, "GET", "/")["version"]
                                 ["number"], NRECS, ROUNDS, THREADS,
                                 ROUNDS))
        best = {b: (0, 0) for b in builds}
        for n in range(PASSES):
            for b in builds:
                seq, par = measure(b, ids, n)
                print("pass %d %s: %.0f, %.0f req/s" % (n + 1, b, seq, par),
                      flush=True)
                best[b] = (max(best[b][0], seq), max(best[b][1], par))
        rates = [(b, best[b]) for b in builds]
        ref = rates[0][1]
        print("best of %d passes" % PASSES)
        print("| build | one at a time (req/s) | %d at once (req/s) |"
              " one at a time / reference | at once / reference |"
              % THREADS)
        print("|---|---|---|---|---|")
        for b, (seq, par) in rates:
            print("| %s | %.0f | %.0f | %.2fx | %.2fx |" % (
                b, seq, par, seq / ref[0], par / ref[1]))
        return 0
    finally:
        stop_elasticsearch(es_dir)


if __name__ == "__main__":
    sys.exit(main())
