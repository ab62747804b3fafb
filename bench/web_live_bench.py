#!/usr/bin/env python3
"""How soon a message indexed in Elasticsearch reaches an auditor
following the recording: tlog-web's live stream against polling the
messages endpoint.

top_builddir=BUILD python3 bench/web_live_bench.py [MESSAGES]   (as root)

Starts a private Elasticsearch and tlog-web as tests/web_test.py does
(its helpers), then for each way indexes MESSAGES messages (default 200)
of a new recording one at a time, each under its document id
HOST/REC/ID and without a refresh, 50 to 250 ms apart (spread over the
poll period), and measures from Elasticsearch's answer to the index
request to the message's arrival at the client:
- live: GET /api/recordings/REC/live, read as Server-Sent Events;
- reference: GET /api/recordings/REC/messages?from_id=NEXT every 200 ms
  (what a page does without the live endpoint: it sees a message once
  Elasticsearch has refreshed, every second by default).
Every message must arrive, in order, in both.  Prints p50, p95 and max
of each and the ratios.
"""
import json
import os
import random
import sys
import threading
import time
import urllib.parse

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests"))
import progtest  # noqa: E402
import web_test as wt  # noqa: E402


def message(rec, i, last):
    m = {"ver": "2.3", "host": "host1", "rec": rec, "user": "alice",
         "term": "xterm", "session": 7, "id": i, "pos": i * 10,
         "time": round(time.time(), 3), "timing": "=0x0>8",
         "in_txt": "", "in_bin": [], "out_txt": "b-%04d\r\n" % i,
         "out_bin": []}
    if last:
        m["timing"], m["out_txt"] = "", ""
        m["x_tlog_end"] = {"exit": 0}
    return m


def put(m):
    r = progtest.es_request(wt.es_url, "PUT", "/%s/_doc/%s" % (
        wt.INDEX, urllib.parse.quote("host1/%s/%d" % (m["rec"], m["id"]),
                                     safe="")), m)
    if r.get("result") != "created":
        raise SystemExit("indexing failed: %r" % r)


def first(rec):
    """Index message 1 and refresh: the recording is known"""
    put(message(rec, 1, False))
    progtest.es_request(wt.es_url, "POST", "/%s/_refresh" % wt.INDEX)


def run_live(token, n):
    rec = "bench-live-%d" % os.getpid()
    first(rec)
    lv = wt.Live("/api/recordings/%s/live?from_id=2" % rec, token)
    if lv.resp.status != 200:
        raise SystemExit("live: %d" % lv.resp.status)
    lat = []
    for i in range(2, n + 1):
        put(message(rec, i, i == n))
        t0 = time.monotonic()
        got = lv.wait(i - 1, 10)
        if len(got) < i - 1 or got[-1][1] is None or \
                got[-1][1].get("id") != str(i):
            raise SystemExit("live: message %d missing: %r" % (i, got[-3:]))
        lat.append(got[-1][0] - t0)
        time.sleep(random.uniform(0.05, 0.25))
    lv.close()
    return lat


def run_polling(token, n):
    rec = "bench-poll-%d" % os.getpid()
    first(rec)
    seen = {}
    stop = threading.Event()

    def poll():
        nxt = 2
        while not stop.is_set():
            st, _, b = wt.web.request(
                "GET", "/api/recordings/%s/messages?from_id=%d" % (rec, nxt),
                cookie=token)
            now = time.monotonic()
            for m in b.get("messages", []) if st == 200 else []:
                if m["id"] == nxt:
                    seen[nxt] = now
                    nxt += 1
            time.sleep(0.2)
    t = threading.Thread(target=poll, daemon=True)
    t.start()
    lat = []
    for i in range(2, n + 1):
        put(message(rec, i, i == n))
        t0 = time.monotonic()
        end = t0 + 10
        while i not in seen and time.monotonic() < end:
            time.sleep(0.005)
        if i not in seen:
            raise SystemExit("polling: message %d missing" % i)
        lat.append(seen[i] - t0)
        time.sleep(random.uniform(0.05, 0.25))
    stop.set()
    t.join()
    return lat


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p * (len(v) - 1))))]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    if os.getuid() != 0:
        raise SystemExit("run as root (users, namespaces, Elasticsearch)")
    wt.es_url = progtest.start_elasticsearch(wt.ES_DIR, "web_live_bench")
    try:
        progtest.ensure_user(wt.SERVE_AS, system=True)
        progtest.ensure_user(wt.A4, system=True)
        for name in ("tlog-access", "tlog_web_sessions"):
            with open(os.path.join(TOP, "contrib", "elasticsearch",
                                   name + "-template.json")) as f:
                progtest.es_request(wt.es_url, "PUT",
                                    "/_index_template/" + name, json.load(f))
        wt.web = wt.Web("bench")
        token, _ = wt.web.login(wt.A4)
        live = run_live(token, n)
        ref = run_polling(token, n)
        for name, lat in (("live", live), ("polling /messages", ref)):
            print("%-18s %d messages: p50 %.3f s, p95 %.3f s, max %.3f s"
                  % (name, len(lat), pct(lat, 0.5), pct(lat, 0.95),
                     max(lat)))
        print("ratio live / polling: p50 %.2f, p95 %.2f" % (
            pct(live, 0.5) / pct(ref, 0.5), pct(live, 0.95) / pct(ref, 0.95)))
        wt.web.stop()
    finally:
        if wt.web is not None and wt.web.proc.poll() is None:
            wt.web.proc.terminate()
            wt.web.proc.wait(timeout=30)
        progtest.stop_elasticsearch(wt.ES_DIR)


if __name__ == "__main__":
    main()
