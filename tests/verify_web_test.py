#!/usr/bin/env python3
"""tlog-web's verification states, end to end: a real Elasticsearch, the
real tlog-seal signing checkpoints of recordings into it, and tlog-web
(as web_test.py starts it, with real PAM through pam_wrapper) given the
sealer's public key.

Recordings are sealed untouched, then changed in Elasticsearch the way
someone with write access to the store could (a message's text edited,
one deleted, the end message dropped, messages added past the last
checkpoint), and the API must name each state and the message concerned:
in the recording's own answer, in /seal, and in the list's rows once
checked.  A row is "pending" until its recording is checked, and again
once the recording changes under it; a tlog-web without keys says "not
checked" rather than failing.
"""
import json
import os
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import progtest  # noqa: E402
_own = len(progtest.CASES)
import web_test  # noqa: E402
del progtest.CASES[_own:]
from nsexec import skip_unless_root  # noqa: E402
from progtest import (case, check, ensure_user, es_request,  # noqa: E402
                      run_cases, start_elasticsearch, stop_elasticsearch,
                      tmp)

TOP = os.environ.get("top_srcdir", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), ".."))
BUILD = os.environ.get("top_builddir", TOP)
SEAL = os.path.join(BUILD, "seal", "tlog-seal")
ES_DIR = os.path.join(tmp, "es")
HOST = "sealed.example"
INDEX = "tlog-" + time.strftime("%Y.%m.%d", time.gmtime())
# messages of each recording before its end message, and the sealer's
# checkpoint period
MESSAGES = 40
EVERY = 10
AUDITOR = web_test.A2
# the recordings' start, an hour ago (the same message is made twice the
# same)
T0 = round(time.time() - 3600)

es_url = None
web = None
bare = None
key_prefix = os.path.join(tmp, "keys", "seal")


def es(method, path, body=None):
    return es_request(es_url, method, path, body)


def rec_id(name):
    return "vw-%s-%d" % (name, os.getpid())


def message(rec, msg_id, text, end=False):
    m = {"ver": "2.3", "host": HOST, "rec": rec, "user": "someone",
         "term": "xterm", "session": 7, "id": msg_id, "pos": msg_id * 100,
         "time": T0 + msg_id / 10,
         "timing": "=80x24>%d" % len(text), "in_txt": "", "in_bin": [],
         "out_txt": text, "out_bin": []}
    if end:
        m["x_tlog_end"] = {"exit": 0}
    return json.dumps(m, separators=(",", ":"))


def lines_of(name, first, last, end=False):
    rec = rec_id(name)
    out = [message(rec, i, "%s line %d: $ echo %d\r\n" % (name, i, i * i))
           for i in range(first, last + 1)]
    if end:
        out.append(message(rec, last + 1, "", end=True))
    return out


def store(lines):
    body = "".join('{"index":{}}\n' + ln + "\n" for ln in lines)
    r = es_request(es_url, "POST", "/%s/_bulk?refresh=true" % INDEX,
                   body.encode(), ndjson=True)
    check(not r.get("errors"), "bulk: %r" % str(r)[:300])


def seal(lines, state):
    """The real tlog-seal over lines, its checkpoints into Elasticsearch"""
    p = subprocess.run([SEAL, "--key", key_prefix + ".key", "--state-dir",
                        os.path.join(tmp, state), "--every", str(EVERY),
                        "--es-baseurl", es_url + "/_bulk"],
                       input="".join(ln + "\n" for ln in lines), text=True,
                       capture_output=True, timeout=120)
    check(p.returncode == 0, "tlog-seal: %s" % p.stderr)
    es("POST", "/tlog_seal-*/_refresh")


def docs(rec, **terms):
    f = [{"term": {"rec": rec}}] + [{"term": {k: v}}
                                    for k, v in terms.items()]
    es("POST", "/%s/_refresh" % INDEX)
    r = es("POST", "/%s/_search" % INDEX,
           {"size": 10000, "query": {"bool": {"filter": f}},
            "sort": [{"id": "asc"}]})
    return r["hits"]["hits"]


def put(hit, source):
    r = es("PUT", "/%s/_doc/%s?refresh=true" % (hit["_index"], hit["_id"]),
           source)
    check(r.get("result") in ("updated", "created"), "put: %r" % r)


def delete(hit):
    r = es("DELETE", "/%s/_doc/%s?refresh=true" % (hit["_index"],
                                                   hit["_id"]))
    check(r.get("result") == "deleted", "delete: %r" % r)


def get(w, path):
    token, _ = w.login(AUDITOR)
    st, _, body = w.request("GET", path, cookie=token)
    check(st == 200, "GET %s: %d %r" % (path, st, body))
    return body


def seal_of(name, w=None):
    """/seal of the recording: its state"""
    return get(w or web, "/api/recordings/%s/seal?host=%s" %
               (rec_id(name), HOST))


def row_of(name, w=None):
    """The recording's row in the list: its "seal" """
    body = get(w or web, "/api/recordings?host=%s&user=someone&size=100" %
               urllib.parse.quote(HOST))
    rows = [r for r in body["recordings"] if r["rec"] == rec_id(name)]
    check(len(rows) == 1, "%s not in the list: %r" % (name, body))
    return rows[0]["seal"]


def facts_of(name):
    return get(web, "/api/recordings/%s?host=%s" % (rec_id(name),
                                                    HOST))["seal"]


def expect(name, state, msg_id, summary):
    s = seal_of(name)
    check((s["state"], s["id"], s["summary"]) == (state, msg_id, summary),
          "%s: expected %s at %d (%r), got %r" % (name, state, msg_id,
                                                  summary, s))
    # now cached: the list and the recording's facts say the same
    for where, got in (("list", row_of(name)), ("facts", facts_of(name))):
        check(got == s, "%s: the %s says %r, /seal %r" % (name, where, got,
                                                          s))
    return s


@case("clean: a sealed recording is pending, then sealed and complete")
def clean():
    check(row_of("clean")["state"] == "pending",
          "a row checked before it was asked for: %r" % row_of("clean"))
    check(facts_of("clean")["state"] == "pending", "the facts: %r" %
          facts_of("clean"))
    s = expect("clean", "clean", 0, "Sealed and complete")
    check(s["status"] == 0 and s["messages"] == MESSAGES + 1 and
          s["checkpoints"] == MESSAGES // EVERY + 1 and
          s["upto"] == MESSAGES + 1, "counts: %r" % s)


@case("edit: one message's text changed is altered at its id, and the"
      " cached state goes")
def edit():
    expect("edit", "clean", 0, "Sealed and complete")
    h = docs(rec_id("edit"), id=17)[0]
    h["_source"]["out_txt"] = h["_source"]["out_txt"].replace("17", "71")
    put(h, h["_source"])
    check(row_of("edit")["state"] == "pending",
          "the list kept the state of the recording before it changed: %r"
          % row_of("edit"))
    s = expect("edit", "altered", 17, "Altered at message 17")
    check(s["status"] == 5 and "17" in s["detail"], "%r" % s)


@case("delete: one message deleted is missing at its id")
def delete_one():
    delete(docs(rec_id("delete"), id=23)[0])
    s = expect("delete", "missing", 23, "Message 23 missing")
    check(s["status"] == 5, "%r" % s)


@case("noend: the end message dropped is cut short after the last one")
def noend():
    delete(docs(rec_id("noend"), id=MESSAGES + 1)[0])
    s = expect("noend", "cut-short", MESSAGES + 1,
               "Cut short after message %d" % MESSAGES)
    check(s["status"] == 3 and s["upto"] == MESSAGES, "%r" % s)


@case("tail: messages after the last checkpoint are an unsealed tail,"
      " sealed and complete once sealed")
def tail():
    s = expect("tail", "unsealed-tail", 31, "Unsealed tail after message 30")
    check(s["status"] == 4, "%r" % s)
    # the recording goes on: its end comes, and is sealed
    more = lines_of("tail", 31, MESSAGES, end=True)
    store(more[-1:])
    seal(more, "tail.st")
    check(row_of("tail")["state"] == "pending", "a grown recording kept"
          " its old state: %r" % row_of("tail"))
    expect("tail", "clean", 0, "Sealed and complete")


@case("nokeys: without keys every state is \"not checked\"")
def nokeys():
    global bare
    bare = web_test.Web("web-bare")
    for s in (seal_of("clean", bare), row_of("clean", bare)):
        check(s["state"] == "not-checked" and s["summary"] == "Not checked",
              "%r" % s)
    bare.stop()
    bare = None


@case("hidden: a recording the auditor may not search has no state")
def hidden():
    token, _ = web.login(web_test.A1)
    st, _, body = web.request("GET", "/api/recordings/%s/seal?host=%s" %
                              (rec_id("clean"), HOST), cookie=token)
    check(st == 404, "seal of a hidden recording: %d %r" % (st, body))


def setup():
    global web
    web_test.es_url = es_url
    ensure_user(web_test.SERVE_AS, system=True)
    for u in (web_test.A1, web_test.A2):
        ensure_user(u, system=True)
    web_test.load_templates(es_url)
    with open(os.path.join(TOP, "contrib", "elasticsearch",
                           "tlog-seal-template.json")) as f:
        r = es("PUT", "/_index_template/tlog-seal", json.load(f))
    check(r.get("acknowledged"), "seal template: %r" % r)
    os.makedirs(os.path.dirname(key_prefix), exist_ok=True)
    p = subprocess.run([SEAL, "--generate-key", key_prefix],
                       capture_output=True, text=True)
    check(p.returncode == 0, "key: %s" % p.stderr)
    for name in ("clean", "edit", "delete", "noend"):
        lines = lines_of(name, 1, MESSAGES, end=True)
        store(lines)
        seal(lines, name + ".st")
    # sealed to 30, then 10 more in the store only (the sealer has not
    # made their checkpoint yet)
    lines = lines_of("tail", 1, 30)
    store(lines)
    seal(lines, "tail.st")
    store(lines_of("tail", 31, MESSAGES))
    web = web_test.Web("web", conf={"seal": {"keys": [key_prefix + ".pub"]}})


def main():
    global es_url
    skip_unless_root("users, namespaces, Elasticsearch")
    for f in (web_test.PAM_WRAPPER, web_test.PAM_MATRIX):
        if not os.path.exists(f):
            print("FAIL setup: %s missing: install libpam-wrapper" % f)
            return 1
    es_url = start_elasticsearch(ES_DIR, "verify_web")
    if es_url is None:
        stop_elasticsearch(ES_DIR)
        return 1
    try:
        try:
            setup()
        except Exception as e:
            print("FAIL setup: %s" % e)
            print("verify_web: 0 passed, 1 failed")
            return 1
        return run_cases("verify_web", sys.argv[1:])
    finally:
        for w in (web, bare):
            if w is not None and w.proc.poll() is None:
                w.proc.terminate()
                w.proc.wait(timeout=30)
        stop_elasticsearch(ES_DIR)


if __name__ == "__main__":
    sys.exit(main())
