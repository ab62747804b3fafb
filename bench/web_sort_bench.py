#!/usr/bin/env python3
"""The recordings search sorted and filtered by the server, against the
default order, in the same run.

sudo top_builddir=BUILD_DIR python3 bench/web_sort_bench.py [RUNS]

Starts a private Elasticsearch and tlog-web (as bench/web_bench.py does)
and bulk-loads its 10,000 small recordings (WEB_BENCH_RECS), then asks
GET /api/recordings for the first page (20) in the default order (the
newest first: Elasticsearch orders and pages) and sorted by the server
(the newest 1000 that match, their facts, sorted and paged by tlog-web):
by duration, by user, by gaps, a late page by user, and the running ones
only.  The queries take turns, RUNS (20) rounds; each one's p50 and p95,
and its p50 over the default's.
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
import web_bench as wb  # noqa: E402
from progtest import (ensure_user, es_request, start_elasticsearch,  # noqa
                      stop_elasticsearch, tmp)

QUERIES = [
    ("newest first (the reference)", "/api/recordings"),
    ("sort=-duration", "/api/recordings?sort=-duration"),
    ("sort=user", "/api/recordings?sort=user"),
    ("sort=-gaps", "/api/recordings?sort=-gaps"),
    ("sort=user, offset 980", "/api/recordings?sort=user&offset=980"),
    ("live=1", "/api/recordings?live=1"),
]


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    if os.getuid() != 0:
        sys.exit("web_sort_bench: run as root (users, namespaces,"
                 " Elasticsearch)")
    es_dir = os.path.join(tmp, "es")
    url = start_elasticsearch(es_dir, "web_sort_bench")
    web = None
    try:
        if url is None:
            return 1
        wt = wb.web_test
        wt.es_url = url
        wt.PASSWORDS = {wb.AUDITOR: "bench-pw"}
        wt.RULES = [{"auditors": [wb.AUDITOR], "rights": ["search"]}]
        ensure_user(wt.SERVE_AS, system=True)
        ensure_user(wb.AUDITOR, system=True)
        wt.load_templates(url)
        print("Elasticsearch %s" % es_request(url, "GET", "/")["version"]
              ["number"])
        t = time.monotonic()
        wb.bulk(url, wb.MANY_INDEX, wb.many_messages(time.time()))
        es_request(url, "POST", "/%s/_forcemerge?max_num_segments=1"
                   % wb.MANY_INDEX)
        print("%d small recordings loaded in %.0f s" %
              (wb.NRECS, time.monotonic() - t))
        web = wt.Web("web")
        c = wb.Client(web.port)
        took = {q: [] for _, q in QUERIES}
        for k in range(runs + 1):
            for _, q in QUERIES:
                t = time.monotonic()
                st, b = c.get(q)
                ms = (time.monotonic() - t) * 1e3
                if st != 200:
                    sys.exit("web_sort_bench: %s: %d %r" % (q, st, b))
                if k > 0:           # the first round warms up
                    took[q].append(ms)
        ref = wb.pct(took[QUERIES[0][1]], 50)
        print()
        print("| query (first page of 20 unless said) | p50 | p95 |"
              " p50 / reference |")
        print("|---|---|---|---|")
        for name, q in QUERIES:
            print("| %s | %.1f ms | %.1f ms | %.2f |" % (
                name, wb.pct(took[q], 50), wb.pct(took[q], 95),
                wb.pct(took[q], 50) / ref))
        return 0
    finally:
        if web is not None and web.proc.poll() is None:
            web.proc.terminate()
            web.proc.wait(timeout=30)
        stop_elasticsearch(es_dir)


if __name__ == "__main__":
    sys.exit(main())
