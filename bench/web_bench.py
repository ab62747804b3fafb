#!/usr/bin/env python3
"""tlog-web against a real Elasticsearch: random-access playback of a long
recording and a filtered search over many recordings.

sudo top_builddir=BUILD_DIR python3 bench/web_bench.py [VIEW_SECONDS]

Starts a private Elasticsearch (tests/es/start) and tlog-web as root with
pam_wrapper users (as tests/web_test.py does), then:
1. bulk-loads one recording of 50,000 messages (about 100 MB of terminal
   output in colour: listings, cursor motion, full-screen redraws; an end
   message last) and measures:
   - the first screen: from the first GET .../segments of a fresh server
     to having segment 0;
   - the snapshot index's build rate: output bytes / time until
     .../segments says complete;
   - .../seek?t=T at 50 random points, p50/p95, against the replay from
     the start that tlog-play does for the same points (it is timed
     until it has written all the output up to T);
   - the server's VmHWM/VmRSS with one viewer, then while 20 viewers
     (own sessions, own threads) seek at random for VIEW_SECONDS (20).
2. bulk-loads 10,000 small recordings of 50 users on 20 hosts and times
   GET /api/recordings?user=U&shown=WORD (first page), 20 runs.
WEB_BENCH_MESSAGES and WEB_BENCH_RECS change the sizes.
"""
import http.client
import json
import os
import random
import select
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
import web_test  # noqa: E402
from progtest import (ensure_user, es_request, start_elasticsearch,  # noqa
                      stop_elasticsearch, tmp)

BUILD = web_test.BUILD
PLAY = os.path.join(BUILD, "play", "tlog-play")
AUDITOR = "tlogwbench"
VIEWERS = 20
NMSGS = int(os.environ.get("WEB_BENCH_MESSAGES", "50000"))
NRECS = int(os.environ.get("WEB_BENCH_RECS", "10000"))
STEP_MS = 20                  # one message every 20 ms of the recording
DAY = time.strftime("%Y.%m.%d", time.gmtime())
BIG_INDEX = "tlog-%s-bench-big" % DAY
MANY_INDEX = "tlog-%s-bench-many" % DAY
BULK_BYTES = 8 << 20
rng = random.Random(int(os.environ.get("WEB_BENCH_SEED", "1")))

WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet "
         "kilo lima mike november oscar papa quebec romeo sierra tango "
         "uniform victor whiskey xray yankee zulu backup deploy restart "
         "kernel module config passwd shadow sudoers crontab iptables nginx "
         "postgres docker systemctl journalctl rsync tarball firewall "
         "certificate").split()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def rec_id():
    return "%032x-%x-%x" % (rng.getrandbits(128), rng.randrange(1, 1 << 22),
                            rng.randrange(1, 1 << 30))


# ---- the long recording's output -------------------------------------
COLOURS = ["\x1b[0m", "\x1b[1;34m", "\x1b[0;32m", "\x1b[1;32m",
           "\x1b[38;5;208m", "\x1b[38;2;200;120;40m", "\x1b[4m", "\x1b[7m",
           "\x1b[1;36m", "\x1b[31m"]


def listing_line(n):
    c = rng.choice(COLOURS)
    name = "%s_%s.%s" % (rng.choice(WORDS), rng.choice(WORDS),
                         rng.choice(["txt", "log", "c", "py", "tar.gz"]))
    if rng.random() < 0.1:
        name += " caf\u00e9 \u2500\u2500 \u00fc"
    return ("-rw-r--r-- 1 user%02d staff %8d Nov %2d %02d:%02d %s%s\x1b[0m"
            "\r\n" % (n % 50, rng.randrange(1 << 24), 1 + n % 28, n % 24,
                      n % 60, c, name))


def screen_redraw():
    """A full-screen program's redraw: cursor motion, erase, colours"""
    parts = ["\x1b[?1049h" if rng.random() < 0.1 else "", "\x1b[H"]
    for _ in range(12):
        row, col = rng.randrange(1, 25), rng.randrange(1, 60)
        parts.append("\x1b[%d;%dH\x1b[K%s%5.1f%% %s\x1b[0m" % (
            row, col, rng.choice(COLOURS), rng.random() * 100,
            " ".join(rng.choice(WORDS) for _ in range(3))))
    parts.append("\x1b[2;23r\x1b[23;1H\n\x1b[r")
    if rng.random() < 0.1:
        parts.append("\x1b[?1049l")
    return "".join(parts)


def make_pool(n, size=1950):
    pool = []
    for k in range(n):
        s = ""
        while len(s.encode()) < size:
            s += screen_redraw() if k % 8 == 7 else listing_line(
                rng.randrange(10000))
        pool.append(s)
    return pool


def big_messages(rec, start_time):
    """(JSON line, pos, output bytes) of each message, streamed"""
    pool = make_pool(256)
    head = {"ver": "2.3", "host": "bench-host", "rec": rec,
            "user": "bench-user", "term": "xterm", "session": 777}
    for i in range(1, NMSGS):
        pos = (i - 1) * STEP_MS
        text = "\x1b[1m%06d\x1b[0m $ ls -l\r\n" % i + rng.choice(pool)
        m = dict(head, id=i, pos=pos,
                 time=round(start_time + pos / 1000.0, 3),
                 timing="=80x24>%d" % len(text), in_txt="", in_bin=[],
                 out_txt=text, out_bin=[])
        yield (json.dumps(m, ensure_ascii=False, separators=(",", ":")),
               pos, len(text.encode()))
    pos = (NMSGS - 1) * STEP_MS
    m = dict(head, id=NMSGS, pos=pos, time=round(start_time + pos / 1e3, 3),
             timing="", in_txt="", in_bin=[], out_txt="", out_bin=[],
             x_tlog_end={"exit": 0})
    yield json.dumps(m, separators=(",", ":")), pos, 0


def many_messages(start_time):
    """Small recordings: 3 messages each, various users and hosts"""
    for r in range(NRECS):
        rec = rec_id()
        user, host = "user%02d" % (r % 50), "host%02d" % (r % 20)
        t0 = start_time - rng.randrange(20 * 86400)
        words = " ".join(rng.choice(WORDS) for _ in range(6))
        texts = ["$ echo %s\r\n" % words, "%s\r\n$ " % words, ""]
        for i, text in enumerate(texts, 1):
            m = {"ver": "2.3", "host": host, "rec": rec, "user": user,
                 "term": "xterm", "session": r, "id": i, "pos": i * 500,
                 "time": round(t0 + i * 0.5, 3),
                 "timing": ("=80x24>%d" % len(text)) if text else "",
                 "in_txt": "", "in_bin": [], "out_txt": text, "out_bin": []}
            if i == 3:
                m["x_tlog_end"] = {"exit": 0}
            yield json.dumps(m, separators=(",", ":"))


def bulk(url, index, lines):
    """Bulk-load JSON lines into index in bodies of about BULK_BYTES"""
    buf, size = [], 0

    def flush():
        r = es_request(url, "POST", "/%s/_bulk" % index,
                       "".join(buf).encode(), ndjson=True)
        if r.get("errors") or "items" not in r:
            sys.exit("web_bench: bulk load into %s failed: %s"
                     % (index, str(r)[:500]))
    for ln in lines:
        buf.append('{"index":{}}\n' + ln + "\n")
        size += len(ln) + 14
        if size >= BULK_BYTES:
            flush()
            buf, size = [], 0
    if buf:
        flush()
    es_request(url, "POST", "/%s/_refresh" % index)


# ---- talking to tlog-web ----------------------------------------------
class Client:
    """One auditor's session over one kept-alive connection"""

    def __init__(self, port):
        self.port = port
        self.conn = None
        st, hdrs, body = self.call("POST", "/api/login",
                                   {"user": AUDITOR,
                                    "password": web_test.PASSWORDS[AUDITOR]})
        if st != 200:
            sys.exit("web_bench: login: %d %r" % (st, body))
        self.cookie = hdrs.getheader("Set-Cookie").split(";")[0]

    def call(self, method, path, body=None):
        h = {}
        if body is not None:
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if getattr(self, "cookie", None):
            h["Cookie"] = self.cookie
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1",
                                                       self.port, timeout=120)
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        if r.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        try:
            data = json.loads(data)
        except ValueError:
            pass
        return r.status, r, data

    def get(self, path):
        st, _, b = self.call("GET", path)
        return st, b


def proc_mem(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            k = ln.split(":")[0]
            if k in ("VmHWM", "VmRSS"):
                out[k] = int(ln.split()[1])
    return out


def play_to(url, rec, t_ms, want_bytes):
    """Seconds tlog-play takes from its start to having written all the
    output up to t_ms (want_bytes of it), replaying from the start"""
    argv = [PLAY, "-r", "es", "--es-baseurl",
            url + "/" + BIG_INDEX + "/_search", "--es-query",
            'rec:"%s"' % rec, "--goto=%d:%02d.%03d" % (
                t_ms // 60000, t_ms // 1000 % 60, t_ms % 1000), "--paused"]
    r, w = os.pipe()
    null = os.open("/dev/null", os.O_RDONLY)
    start = time.monotonic()
    pid = os.posix_spawn(PLAY, argv, os.environ, file_actions=[
        (os.POSIX_SPAWN_DUP2, null, 0), (os.POSIX_SPAWN_DUP2, w, 1)])
    os.close(w)
    got, took = 0, None
    # the player's last few KiB may wait in its output buffer while it
    # stays paused at T: up to 8 KiB short counts as there
    want_bytes = max(0, want_bytes - 8192)
    while True:
        if not select.select([r], [], [], 120)[0]:
            break
        chunk = os.read(r, 1 << 20)
        if not chunk:
            break
        got += len(chunk)
        if got >= want_bytes and took is None:
            took = time.monotonic() - start
            break
    os.kill(pid, 15)
    os.waitpid(pid, 0)
    os.close(r)
    os.close(null)
    if took is None:
        sys.exit("web_bench: tlog-play stopped after %d bytes, not %d"
                 % (got, want_bytes))
    return took


def main():
    view_s = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
    if os.getuid() != 0:
        sys.exit("web_bench: run as root (users, namespaces, Elasticsearch)")
    es_dir = os.path.join(tmp, "es")
    url = start_elasticsearch(es_dir, "web_bench")
    web = None
    try:
        if url is None:
            return 1
        web_test.es_url = url
        web_test.PASSWORDS = {AUDITOR: "bench-pw"}
        web_test.RULES = [{"auditors": [AUDITOR],
                           "rights": ["search", "play", "input"]}]
        ensure_user(web_test.SERVE_AS, system=True)
        ensure_user(AUDITOR, system=True)
        web_test.load_templates(url)
        print("Elasticsearch %s" % es_request(url, "GET", "/")["version"]
              ["number"])

        # 1. the long recording
        rec = rec_id()
        start_time = time.time() - 7200
        cum = []              # (pos, output bytes up to and with it)
        total = [0]

        def lines():
            for ln, pos, n in big_messages(rec, start_time):
                total[0] += n
                cum.append((pos, total[0]))
                yield ln
        t = time.monotonic()
        bulk(url, BIG_INDEX, lines())
        out_bytes = total[0]
        duration = cum[-1][0]
        print("recording %s: %d messages, %.1f MB of output, %d s; loaded"
              " in %.0f s" % (rec, NMSGS, out_bytes / 1e6, duration // 1000,
                              time.monotonic() - t))
        t = time.monotonic()
        bulk(url, MANY_INDEX, many_messages(time.time()))
        print("%d small recordings loaded in %.0f s" %
              (NRECS, time.monotonic() - t))

        # what Elasticsearch alone takes for the pages the server asks
        # first: the first 1000 messages (the reader's first page), and
        # the few of segment 0
        for size in (1000, 10):
            q = {"query": {"bool": {"filter": [
                {"term": {"rec": rec}}, {"term": {"host": "bench-host"}}]}},
                "sort": ["id"], "size": size}
            took = []
            for _ in range(5):
                t = time.monotonic()
                es_request(url, "POST", "/tlog-2*/_search", q)
                took.append((time.monotonic() - t) * 1e3)
            print("Elasticsearch alone, the recording's first %d messages"
                  " sorted by id: best %.0f ms, median %.0f ms of 5"
                  % (size, min(took), pct(took, 50)))

        web = web_test.Web("web")
        pid = web.proc.pid
        c = Client(web.port)
        base = "/api/recordings/%s" % rec
        print("tlog-web at start: %s" % proc_mem(pid))

        # first screen, on a fresh server
        t0 = time.monotonic()
        st, idx = c.get(base + "/segments")
        t_index = time.monotonic() - t0
        if st != 200:
            sys.exit("web_bench: segments: %d %r" % (st, idx))
        while True:
            st, seg0 = c.get(base + "/segments/0")
            if st == 200:
                break
            if st != 503:
                sys.exit("web_bench: segment 0: %d %r" % (st, seg0))
            time.sleep(0.005)
        first = time.monotonic() - t0
        print("first screen: %.0f ms (GET segments answered in %.0f ms,"
              " complete=%s, %d segments so far)"
              % (first * 1e3, t_index * 1e3, idx.get("complete"),
                 len(idx.get("segments", []))))

        # the whole index
        while True:
            st, idx = c.get(base + "/segments")
            if st != 200:
                sys.exit("web_bench: segments: %d %r" % (st, idx))
            if idx.get("complete"):
                break
            if time.monotonic() - t0 > 600:
                print("index not complete after 600 s")
                break
            time.sleep(0.05)
        build = time.monotonic() - t0
        nseg = len(idx.get("segments", []))
        print("index: complete=%s after %.2f s, %d segments, %d gaps,"
              " cached=%s: %.1f MB/s of output"
              % (idx.get("complete"), build, nseg, len(idx.get("gaps", [])),
                 idx.get("cached"), out_bytes / 1e6 / build))
        st, idx2 = c.get(base + "/segments")
        print("asked again: %d complete=%s cached=%s segments=%d"
              % (st, idx2.get("complete"), idx2.get("cached"),
                 len(idx2.get("segments", []))))
        print("tlog-web after the index: %s" % proc_mem(pid))
        took = []
        for _ in range(5):
            t = time.monotonic()
            c.get(base)
            took.append((time.monotonic() - t) * 1e3)
        print("GET %s (a request with one search of its own): best %.0f ms,"
              " median %.0f ms of 5" % (base, min(took), pct(took, 50)))

        # seeks against the replay from the start
        points = [rng.randrange(duration) for _ in range(50)]
        seek_ms, statuses = [], {}
        for tp in points:
            t = time.monotonic()
            st, b = c.get(base + "/seek?t=%d" % tp)
            seek_ms.append((time.monotonic() - t) * 1e3)
            statuses[st] = statuses.get(st, 0) + 1
            if st == 200 and not (b["pos_ms"] <= tp):
                sys.exit("web_bench: seek to %d gave segment at %d"
                         % (tp, b["pos_ms"]))
        print("seek, 50 points: p50 %.1f ms, p95 %.1f ms, max %.1f ms;"
              " answers %r" % (pct(seek_ms, 50), pct(seek_ms, 95),
                               max(seek_ms), statuses))
        mem1 = proc_mem(pid)
        print("tlog-web with one viewer: %s" % mem1)

        import bisect
        poss = [p for p, _ in cum]

        def bytes_to(tp):
            return cum[bisect.bisect_right(poss, tp) - 1][1]
        play_s = []
        for k, tp in enumerate(points):
            play_s.append(play_to(url, rec, tp, bytes_to(tp)) * 1e3)
            if k == 9 and sum(play_s) > 60e3:
                break
        n = len(play_s)
        own = seek_ms[:n]
        print("tlog-play --goto, same %d points: p50 %.0f ms, p95 %.0f ms;"
              " seek on those: p50 %.1f ms, p95 %.1f ms; ratio p50 %.0fx,"
              " p95 %.0fx, mean %.0fx"
              % (n, pct(play_s, 50), pct(play_s, 95), pct(own, 50),
                 pct(own, 95), pct(play_s, 50) / pct(own, 50),
                 pct(play_s, 95) / pct(own, 95),
                 sum(play_s) / sum(own)))

        # 20 viewers
        lat, errs, peak = [], {}, [0]
        stop = time.monotonic() + view_s
        lock = threading.Lock()

        def viewer(k):
            r = random.Random(k)
            cl = Client(web.port)
            while time.monotonic() < stop:
                t = time.monotonic()
                st, _ = cl.get(base + "/seek?t=%d" % r.randrange(duration))
                d = (time.monotonic() - t) * 1e3
                with lock:
                    lat.append(d)
                    if st != 200:
                        errs[st] = errs.get(st, 0) + 1
        threads = [threading.Thread(target=viewer, args=(k,))
                   for k in range(VIEWERS)]
        for th in threads:
            th.start()
        while any(th.is_alive() for th in threads):
            peak[0] = max(peak[0], proc_mem(pid)["VmRSS"])
            time.sleep(0.2)
        mem20 = proc_mem(pid)
        print("%d viewers for %.0f s: %d seeks, p50 %.0f ms, p95 %.0f ms,"
              " not 200: %r; tlog-web %s, VmRSS peak sampled %d kB"
              % (VIEWERS, view_s, len(lat), pct(lat, 50), pct(lat, 95),
                 errs, mem20, peak[0]))

        # 2. search
        search_ms, totals = [], []
        for k in range(20):
            q = "/api/recordings?user=user%02d&shown=%s" % (
                rng.randrange(50), rng.choice(WORDS))
            t = time.monotonic()
            st, b = c.get(q)
            search_ms.append((time.monotonic() - t) * 1e3)
            if st != 200:
                sys.exit("web_bench: %s: %d %r" % (q, st, b))
            totals.append(b["total"])
        print("search user=U&shown=WORD over %d recordings, 20 runs:"
              " p50 %.0f ms, p95 %.0f ms (totals %d..%d)"
              % (NRECS + 1, pct(search_ms, 50), pct(search_ms, 95),
                 min(totals), max(totals)))

        print()
        print("| what | measured | target |")
        print("|---|---|---|")
        rows = [
            ("first screen (GET segments to segment 0)", "%.0f ms" %
             (first * 1e3), "< 300 ms", first * 1e3 < 300),
            ("snapshot index build", "%.1f MB/s (%.2f s)" %
             (out_bytes / 1e6 / build, build), ">= 20 MB/s",
             out_bytes / 1e6 / build >= 20 and idx.get("complete")),
            ("seek p50 / p95", "%.1f / %.1f ms" % (pct(seek_ms, 50),
                                                 pct(seek_ms, 95)),
             "p95 < 150 ms", pct(seek_ms, 95) < 150),
            ("tlog-play --goto p50 / p95 (%d points)" % n,
             "%.0f / %.0f ms" % (pct(play_s, 50), pct(play_s, 95)),
             "-", None),
            ("RSS, one viewer (VmHWM / VmRSS)", "%d / %d KiB" %
             (mem1["VmHWM"], mem1["VmRSS"]), "< 64 MB",
             mem1["VmHWM"] < 65536),
            ("RSS, %d viewers (VmHWM / VmRSS)" % VIEWERS, "%d / %d KiB" %
             (mem20["VmHWM"], mem20["VmRSS"]), "< 256 MB",
             mem20["VmHWM"] < 262144),
            ("search p50 / p95", "%.0f / %.0f ms" % (pct(search_ms, 50),
                                                   pct(search_ms, 95)),
             "< 300 ms", pct(search_ms, 95) < 300),
        ]
        for what, got, target, ok in rows:
            print("| %s | %s | %s%s |" % (what, got, target, "" if ok is None
                                          else (": met" if ok else
                                                ": NOT met")))
        return 0
    finally:
        if web is not None and web.proc.poll() is None:
            web.proc.terminate()
            web.proc.wait(timeout=30)
        stop_elasticsearch(es_dir)


if __name__ == "__main__":
    sys.exit(main())
