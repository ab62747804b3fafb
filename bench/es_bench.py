#!/usr/bin/env python3
"""Dumping a recording out of Elasticsearch: ours against Elasticsearch
itself and against the reference.

bench/es_bench.py BUILD_DIR [MESSAGES] [ROUNDS]

Starts a private Elasticsearch (tests/es/start; ES_VERSION picks its
version, as there), loads the project's index template and a recording
of about MESSAGES messages (default 9000, under the reference's 10000
cap), and times, best of ROUNDS, taking turns:
- `curl` asking Elasticsearch once for all the recording's messages
  sorted by id (what Elasticsearch takes to answer, plus a process start);
- ours, `tlog-play -r es --goto=end`;
- the reference /usr/bin/tlog-play doing the same, when installed.
Both players' outputs are checked against the recorded bytes, and
curl's answer for holding every message.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

TRAILER = b"\x1b[0m\x1b[?25h\n\x00"


def spawn(argv, out):
    """Run argv with a silent stdin and stdout to out; seconds taken.

    posix_spawn, from a process holding no large data, so the time is the
    player's."""
    r, w = os.pipe()
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    start = time.monotonic()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[
        (os.POSIX_SPAWN_DUP2, r, 0), (os.POSIX_SPAWN_DUP2, fd, 1)])
    _, status = os.waitpid(pid, 0)
    took = time.monotonic() - start
    for f in (r, w, fd):
        os.close(f)
    return took if os.waitstatus_to_exitcode(status) == 0 else None


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    want_msgs = int(sys.argv[2]) if len(sys.argv) > 2 else 9000
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    tmp = tempfile.mkdtemp(prefix="es_bench.")
    os.chmod(tmp, 0o755)    # Elasticsearch runs as tlog-es
    esdir = os.path.join(tmp, "es")
    # ES_BENCH_URL: an Elasticsearch already running, left as it is but
    # for the index tlog-bench
    url = os.environ.get("ES_BENCH_URL") or subprocess.run(
        [os.path.join(top, "tests", "es", "start"), esdir],
        capture_output=True, text=True, check=True).stdout.strip()
    try:
        def es(method, path, body, kind="application/json"):
            req = urllib.request.Request(url + path, data=body, method=method)
            req.add_header("Content-Type", kind)
            with urllib.request.urlopen(req, timeout=300) as r:
                return json.loads(r.read())
        with open(os.path.join(top, "contrib", "elasticsearch",
                               "tlog-template.json"), "rb") as f:
            es("PUT", "/_index_template/tlog", f.read())
        try:
            es("DELETE", "/tlog-bench", None)
        except urllib.error.HTTPError:
            pass
        # output of ~2 KB per message (the default payload), one packet each
        script = ["w 0 80 24"]
        data = b""
        for i in range(want_msgs):
            chunk = (b"%05d " % i) + b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef" * 60 \
                + b"\r\n"
            data += chunk
            script.append("o %d %s" % (i * 10, chunk.hex()))
        script.append("e %d" % (want_msgs * 10 + 1))
        rec_file = os.path.join(tmp, "rec.json")
        subprocess.run([os.path.join(build, "tests", "codec"), "encode",
                        "-o", rec_file], input="\n".join(script).encode(),
                       check=True)
        lines = open(rec_file).read().splitlines()
        # closed as the recorders close one: an end message after the last
        last = json.loads(lines[-1])
        last.update(id=last["id"] + 1, timing="", in_txt="", in_bin=[],
                    out_txt="", out_bin=[], x_tlog_end={"exit": 0})
        lines.append(json.dumps(last, separators=(",", ":")))
        nmsgs = len(lines)
        rec = json.loads(lines[0])["rec"]
        for i in range(0, len(lines), 2000):
            body = "".join('{"index":{}}\n' + ln + "\n"
                           for ln in lines[i:i + 2000]).encode()
            r = es("POST", "/tlog-bench/_bulk", body, "application/x-ndjson")
            if r.get("errors"):
                sys.exit("bulk load failed")
        es("POST", "/tlog-bench/_refresh", b"")
        base = url + "/tlog-bench/_search"
        query = 'rec:"%s"' % rec
        one = json.dumps({"query": {"query_string": {"query": query}},
                          "sort": [{"id": {"order": "asc"}}],
                          "size": nmsgs, "track_total_hits": False})
        nodes = es("GET", "/_nodes?filter_path=nodes.*.version", None)
        version = list(nodes["nodes"].values())[0]["version"]
        runs = {
            "one request": (["/usr/bin/curl", "-sS", "-f", "-o", "/dev/stdout",
                             "-H", "Content-Type: application/json",
                             "--data-binary", one, base], None),
            "ours": ([os.path.join(build, "play", "tlog-play"), "-r", "es",
                      "--es-baseurl", base, "--es-query", query,
                      "--goto=end"], b""),
            "reference": (["/usr/bin/tlog-play", "-r", "es", "--es-baseurl",
                           base, "--es-query", query, "--goto=end"], TRAILER),
        }
        if not os.path.exists("/usr/bin/tlog-play"):
            del runs["reference"]
        want = os.path.join(tmp, "want")
        with open(want, "wb") as f:
            f.write(data)
        del data, lines, script
        out = os.path.join(tmp, "out")
        best = {}
        for _ in range(rounds):
            for name, (argv, extra) in runs.items():
                took = spawn(argv, out)
                got = open(out, "rb").read()
                if extra is None:
                    hits = json.loads(got)["hits"]["hits"] if took else []
                    if len(hits) != nmsgs:
                        sys.exit("%s: %d hits, not %d" % (name, len(hits),
                                                          nmsgs))
                elif took is None or got != open(want, "rb").read() + extra:
                    sys.exit("%s: output differs from the recorded bytes"
                             % name)
                best[name] = min(best.get(name, 1e9), took)
        print("recording: %d messages, %.1f MB of output, in Elasticsearch"
              " %s (index template loaded); best of %d"
              % (nmsgs, os.path.getsize(want) / 1e6, version, rounds))
        print("%-11s curl, all %d messages at once: %.3f s" %
              ("one request", nmsgs, best["one request"]))
        for name in ("ours", "reference"):
            if name in best:
                print("%-11s tlog-play -r es --goto=end: %.3f s" %
                      (name, best[name]))
        print("ours/one request: %.2fx (goal <= 2x)" %
              (best["ours"] / best["one request"]))
        if "reference" in best:
            print("reference/ours: %.1fx faster (goal >= 20x)" %
                  (best["reference"] / best["ours"]))
    finally:
        if not os.environ.get("ES_BENCH_URL"):
            subprocess.run([os.path.join(top, "tests", "es", "stop"), esdir])
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
