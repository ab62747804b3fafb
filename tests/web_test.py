#!/usr/bin/env python3
"""tlog-web end to end: a real Elasticsearch holding recordings made by
tlog-rec, real PAM through pam_wrapper (a private service file using
pam_matrix, nothing in /etc/pam.d), and tlog-web started as root so that
it forks its PAM process and drops to an unprivileged user.  Its syslog
lines go to a private /dev/log in a mount namespace of its own.

Checks login and its answers, throttling, cookies, CSRF, logout, the
idle timeout, the access rules (what an auditor may not see is a 404
like a recording that does not exist), typed input hidden without the
input right, and the access events in syslog and Elasticsearch.

The search sorted by the server (user, host, start, duration, gaps,
live) with pages that follow one order, and the running recordings
picked by the server.

Random-access playback: a full-screen recording's segments (snapshot
plus events) give in pyte, at every segment boundary and at random
times, the screen that all its output up to then gives; the index's
activity is the output's bytes per stretch of time; each segment comes
with what was typed before it; gaps, the cache, the rules and the input
right apply to them too.
"""
import base64
import hashlib
import http.client
import json
import os
import pwd
import random
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nsexec import skip_unless_root  # noqa: E402
from ptyterm import Term  # noqa: E402
import progtest  # noqa: E402
_own_cases = len(progtest.CASES)
# vt_test's pyte screen and its comparison; its cases are its own
import vt_test  # noqa: E402
del progtest.CASES[_own_cases:]
from progtest import (REC, case, check, ensure_user, es_request,  # noqa
                      free_port, messages, path_for, run_cases,
                      start_elasticsearch, stop_elasticsearch, tmp)

TOP = os.environ.get("top_srcdir", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), ".."))
BUILD = os.environ.get("top_builddir", TOP)
WEB = os.path.join(BUILD, "web", "tlog-web")
ES_DIR = os.path.join(tmp, "es")
SERVE_AS = "tlogweb"
# auditors: A1 by group (alice on host1, no input), A2 by name (all,
# with input), A3 for the throttling case, A4 (alice on host1, live and
# export, no input), A5 (dave on host4, the last SPAN_DAYS days, every
# right but input)
A1, A1_GROUP, A2, A3 = "tlogwa1", "tlogwgrp1", "tlogwa2", "tlogwa3"
A4, A5 = "tlogwa4", "tlogwa5"
PASSWORDS = {A1: "pw-one", A2: "pw-two", A3: "pw-three", A4: "pw-four",
             A5: "pw-five"}
SPAN_DAYS = 10
INDEX = "tlog-" + time.strftime("%Y.%m.%d", time.gmtime())
RULES = [
    {"groups": [A1_GROUP], "users": ["alice"], "hosts": ["host1"],
     "days": 30, "rights": ["search", "play"]},
    {"auditors": [A2], "rights": ["search", "play", "input", "live",
                                  "export"]},
    {"auditors": [A4], "users": ["alice"], "hosts": ["host1"],
     "rights": ["search", "play", "live", "export"]},
    {"auditors": [A5], "users": ["dave"], "hosts": ["host4"],
     "days": SPAN_DAYS, "rights": ["search", "play", "live", "export"]},
]
PAM_WRAPPER = "/usr/lib/x86_64-linux-gnu/libpam_wrapper.so"
PAM_MATRIX = "/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_matrix.so"

# tlog-web's own mount namespace: a /dev of its own whose log is the
# test's socket (glibc's syslog() knows no other place)
WITH_DEV_LOG = """
set -e
old=$(mktemp -d)
mount --rbind /dev "$old"
mount -t tmpfs -o mode=755 tlog-web-test-dev /dev
for n in null zero full random urandom tty; do
    touch /dev/$n
    mount --bind "$old/$n" /dev/$n
done
umount -l "$old"
touch /dev/log
mount --bind "$1" /dev/log
shift
if [ -n "$TLOG_WEB_TEST_PAM_DIR" ]; then
    mount --bind "$TLOG_WEB_TEST_PAM_DIR" /etc/pam.d
fi
exec env LD_PRELOAD="$TLOG_WEB_TEST_PRELOAD" "$@"
"""
# With TLOG_WEB_TEST_PAM=bind, the private PAM service directory is bound
# over /etc/pam.d in tlog-web's namespace instead of pam_wrapper's
# LD_PRELOAD, which sanitizer runtimes refuse (it loads libpam with
# RTLD_DEEPBIND); pam_matrix checks the passwords either way.
PAM_BIND = os.environ.get("TLOG_WEB_TEST_PAM") == "bind"

es_url = None
recs = {}
# the recording files, by name
rec_files = {}
# the random times of the playback case (WEB_TEST_SEED replays a run)
SEED = (int(os.environ.get("WEB_TEST_SEED", "0")) or
        random.randrange(1, 1 << 30))
live_msgs = {}


class Syslog:
    """A datagram socket standing for /dev/log; keeps what it gets"""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)
        self.lines = []
        t = threading.Thread(target=self.take, daemon=True)
        t.start()

    def take(self):
        while True:
            self.lines.append(self.sock.recv(65536).decode(errors="replace"))

    def events(self):
        """The JSON events of tlog-web's lines"""
        out = []
        for ln in list(self.lines):
            if "tlog-web[" in ln and "{" in ln:
                out.append(json.loads(ln[ln.index("{"):]))
        return out


class Web:
    """tlog-web as root in its namespace, with pam_wrapper"""

    def __init__(self, name, conf=None, tls=False):
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.tls = tls
        pam_dir = os.path.join(self.dir, "pam.d")
        os.makedirs(pam_dir, exist_ok=True)
        passdb = os.path.join(self.dir, "passdb")
        with open(passdb, "w") as f:
            for u, p in PASSWORDS.items():
                f.write("%s:%s:tlog-web\n" % (u, p))
        # root's only: a login that works was checked by the root process
        os.chmod(passdb, 0o600)
        with open(os.path.join(pam_dir, "tlog-web"), "w") as f:
            for kind in ("auth", "account"):
                f.write("%s required %s passdb=%s\n" % (kind, PAM_MATRIX,
                                                        passdb))
        c = {"listen": {"address": "127.0.0.1", "port": self.port},
             "es": {"urls": [es_url]}, "user": SERVE_AS, "rules": RULES,
             "login": {"free_failures": 3, "max_delay": 60},
             "session": {"cache": 1}}
        if tls:
            cert = os.path.join(self.dir, "cert.pem")
            key = os.path.join(self.dir, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey",
                            "rsa:2048", "-nodes", "-keyout", key, "-out",
                            cert, "-days", "2", "-subj", "/CN=localhost"],
                           check=True, capture_output=True)
            c["tls"] = {"cert": cert, "key": key}
        for k, v in (conf or {}).items():
            c[k] = v
        self.conf = os.path.join(self.dir, "tlog-web.conf")
        with open(self.conf, "w") as f:
            f.write("// written by the test\n" + json.dumps(c))
        self.syslog = Syslog(os.path.join(self.dir, "log.sock"))
        if PAM_BIND:
            env = dict(os.environ, TLOG_WEB_CONF_FILE=self.conf,
                       TLOG_WEB_TEST_PAM_DIR=pam_dir,
                       TLOG_WEB_TEST_PRELOAD="")
        else:
            env = dict(os.environ, TLOG_WEB_CONF_FILE=self.conf,
                       PAM_WRAPPER="1", PAM_WRAPPER_SERVICE_DIR=pam_dir,
                       TLOG_WEB_TEST_PRELOAD=PAM_WRAPPER)
        self.err = open(os.path.join(self.dir, "stderr"), "w+")
        self.proc = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c",
             WITH_DEV_LOG, "sh", self.syslog.path, WEB], env=env,
            stdout=subprocess.DEVNULL, stderr=self.err)
        end = time.monotonic() + 30
        while time.monotonic() < end:
            with open(self.err.name) as f:
                if "serving" in f.read():
                    return
            check(self.proc.poll() is None, "tlog-web ended: %s" %
                  self.stderr())
            time.sleep(0.1)
        raise AssertionError("tlog-web did not start: %s" % self.stderr())

    def stderr(self):
        with open(self.err.name) as f:
            return f.read()

    def stop(self):
        """End it with SIGTERM: it must exit 0 (no sanitizer report)"""
        self.proc.terminate()
        st = self.proc.wait(timeout=30)
        check(st == 0, "tlog-web exited %r: %s" % (st, self.stderr()[-2000:]))

    def request(self, method, path, body=None, cookie=None, csrf=None,
                src="127.0.0.1", headers=None, ctype="application/json"):
        """(status, headers, JSON body) of one request from address src"""
        if self.tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=60, context=ctx,
                source_address=(src, 0))
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                              timeout=60,
                                              source_address=(src, 0))
        h = dict(headers or {})
        if body is not None:
            h["Content-Type"] = ctype
            if not isinstance(body, bytes):
                body = json.dumps(body).encode()
        if cookie:
            h["Cookie"] = "tlog_web_session=" + cookie
        if csrf:
            h["X-CSRF-Token"] = csrf
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        try:
            parsed = json.loads(data)
        except ValueError:
            parsed = data
        return r.status, r, parsed

    def login(self, user, password=None, src="127.0.0.1"):
        """(token, csrf) of a new session of user"""
        st, r, b = self.request("POST", "/api/login",
                                {"user": user,
                                 "password": password or PASSWORDS[user]},
                                src=src)
        check(st == 200, "login of %s: %d %r" % (user, st, b))
        cookie = r.getheader("Set-Cookie")
        token = cookie.split(";")[0].split("=", 1)[1]
        return token, b["csrf"]


web = None


def record(name, user, host, script, typed=None, days_ago=0, session=None,
           index=True):
    """A recording made by tlog-rec, as user on host (days_ago days
    earlier, in audit session session if given), into ES unless not
    index (then its messages are kept in live_msgs[name]); typed is
    typed after half a second, or is a list of (text shown, what is typed
    once it is shown)"""
    out = path_for(name)
    argv = [REC, "--log-input", "--latency=1", "-o", out, "sh", "-c", script]
    t = Term(argv)
    if isinstance(typed, list):
        for shown, keys in typed:
            check(t.wait_for(shown, 30), "%s: no %r" % (name, shown))
            t.send(keys)
    elif typed is not None:
        t.pump(0.5)
        t.send(typed)
    st = t.finish(timeout=30)
    check(st == 0, "tlog-rec: %r %r" % (st, t.screen[-200:]))
    lines = []
    for m in messages(out):
        m["user"], m["host"] = user, host
        if session is not None:
            m["session"] = session
        m["time"] = round(m["time"] - days_ago * 86400, 3)
        lines.append('{"index":{}}\n' + json.dumps(m) + "\n")
    if not index:
        live_msgs[name] = [json.loads(ln.split("\n")[1]) for ln in lines]
        recs[name] = live_msgs[name][0]["rec"]
        return
    r = es_request(es_url, "POST", "/%s/_bulk" % INDEX,
                   "".join(lines).encode(), ndjson=True)
    check(not r.get("errors"), "bulk load failed: %r" % str(r)[:300])
    recs[name] = messages(out)[0]["rec"]
    rec_files[name] = out


def load_templates(url):
    """tlog-web's index templates (access events, sessions) into the
    Elasticsearch of url"""
    for name in ("tlog-access", "tlog_web_sessions"):
        with open(os.path.join(TOP, "contrib", "elasticsearch",
                               name + "-template.json")) as f:
            r = es_request(url, "PUT", "/_index_template/" + name,
                           json.load(f))
        check(r.get("acknowledged"), "template %s not loaded: %r"
              % (name, r))


def auditors():
    """tlog-web's user, the auditors and their group"""
    ensure_user(SERVE_AS, system=True)
    if subprocess.run(["getent", "group", A1_GROUP],
                      capture_output=True).returncode != 0:
        subprocess.run(["groupadd", "-r", A1_GROUP], check=True)
    for u in (A1, A2, A3, A4, A5):
        ensure_user(u, system=True)
    subprocess.run(["usermod", "-a", "-G", A1_GROUP, A1], check=True)


def setup():
    global web
    auditors()
    load_templates(es_url)
    record("alice", "alice", "host1",
           "read x; echo alice-shown-text", typed=b"alice-typed-secret\r",
           session=4242)
    record("bob", "bob", "host2", "echo bob-shown-text", session=4343)
    # to be indexed one message at a time while followed live
    record("live", "alice", "host1", "for i in 1 2 3 4 5; do echo"
           " live-line-$i; sleep 1.1; done", typed=b"live-typed\r",
           index=False)
    # outside A1's 30 days
    record("alice-old", "alice", "host1", "echo alice-old-text",
           days_ago=40)
    es_request(es_url, "POST", "/%s/_refresh" % INDEX)
    web = Web("web")


def access_events(action=None):
    """The access events stored in ES (refreshed first)"""
    es_request(es_url, "POST", "/tlog-access-*/_refresh")
    r = es_request(es_url, "POST", "/tlog-access-*/_search",
                   {"size": 1000, "query": {"match_all": {}}})
    docs = [h["_source"] for h in r.get("hits", {}).get("hits", [])]
    return [d for d in docs if action is None or d.get("action") == action]


@case("the PAM process stays root while the server runs as its user")
def privsep():
    pid = web.proc.pid

    def uid(p):
        with open("/proc/%d/status" % p) as f:
            for ln in f:
                if ln.startswith("Uid:"):
                    return [int(x) for x in ln.split()[1:]]
    served = pwd.getpwnam(SERVE_AS).pw_uid
    check(uid(pid) == [served] * 4, "the server's uids: %r" % uid(pid))
    kids = children(pid)
    check(len(kids) == 1, "children of the server: %r" % kids)
    check(uid(kids[0])[0] == 0, "the PAM process's uids: %r" % uid(kids[0]))
    # the server itself cannot read the PAM service's password file, so
    # a login that works was checked by the PAM process
    token, _ = web.login(A1)
    check(len(token) >= 32, "token %r" % token)


@case("login: the session cookie is HttpOnly, SameSite=Strict, random")
def login_ok():
    st, r, b = web.request("POST", "/api/login",
                           {"user": A1, "password": PASSWORDS[A1]})
    check(st == 200, "login: %d %r" % (st, b))
    cookie = r.getheader("Set-Cookie")
    parts = [p.strip() for p in cookie.split(";")]
    check("HttpOnly" in parts and "SameSite=Strict" in parts,
          "cookie flags: %r" % cookie)
    check("Secure" not in parts, "Secure over plain HTTP: %r" % cookie)
    token = parts[0].split("=", 1)[1]
    check(len(token) == 64 and int(token, 16) >= 0, "token %r" % token)
    check(b["user"] == A1 and A1_GROUP in b["groups"], "answer %r" % b)
    check(sorted(b["rights"]) == ["play", "search"], "rights %r" % b)
    check(len(b["csrf"]) == 64 and b["csrf"] != token, "csrf %r" % b)
    st, _, s = web.request("GET", "/api/session", cookie=token)
    check(st == 200 and s["csrf"] == b["csrf"], "session: %d %r" % (st, s))
    _, r2, _ = web.request("POST", "/api/login",
                           {"user": A1, "password": PASSWORDS[A1]})
    check(r2.getheader("Set-Cookie") != cookie, "the same token twice")


@case("a wrong password and an unknown user get the same answer")
def same_answer():
    st1, r1, b1 = web.request("POST", "/api/login",
                              {"user": A2, "password": "wrong"},
                              src="127.0.0.11")
    st2, r2, b2 = web.request("POST", "/api/login",
                              {"user": "nosuchauditor", "password": "x"},
                              src="127.0.0.12")
    check(st1 == 401 and st2 == 401, "statuses %d %d" % (st1, st2))
    check(b1 == b2, "answers differ: %r %r" % (b1, b2))
    check(r1.getheader("Set-Cookie") is None and
          r2.getheader("Set-Cookie") is None, "a cookie after a failure")


@case("failed logins are slowed per user and per address (429)")
def throttled():
    src = "127.0.0.21"
    for i in range(4):
        st, _, b = web.request("POST", "/api/login",
                               {"user": A3, "password": "wrong%d" % i},
                               src=src)
        check(st == 401, "attempt %d: %d %r" % (i + 1, st, b))
    # the right password now waits too
    st, r, b = web.request("POST", "/api/login",
                           {"user": A3, "password": PASSWORDS[A3]}, src=src)
    check(st == 429, "after 4 failures: %d %r" % (st, b))
    wait = int(r.getheader("Retry-After"))
    check(1 <= wait <= 60, "Retry-After %r" % wait)
    check("try again" in b["error"], "answer %r" % b)
    # the user from elsewhere, and another user from there, wait as well
    st, _, _ = web.request("POST", "/api/login",
                           {"user": A3, "password": PASSWORDS[A3]},
                           src="127.0.0.22")
    check(st == 429, "the user from another address: %d" % st)
    st, _, _ = web.request("POST", "/api/login",
                           {"user": A2, "password": PASSWORDS[A2]}, src=src)
    check(st == 429, "another user from the address: %d" % st)
    time.sleep(wait + 1)
    web.login(A3, src=src)


@case("failed logins count across instances")
def throttled_shared():
    other = Web("web-other-throttle")
    try:
        user = "nosuchauditor-shared"
        for i, (w, src) in enumerate(((web, "127.0.0.51"),
                                      (other, "127.0.0.52"),
                                      (web, "127.0.0.53"),
                                      (other, "127.0.0.54"))):
            st, _, b = w.request("POST", "/api/login",
                                 {"user": user, "password": "x"}, src=src)
            check(st == 401, "attempt %d: %d %r" % (i + 1, st, b))
        for w in (web, other):
            st, _, b = w.request("POST", "/api/login",
                                 {"user": user, "password": "x"},
                                 src="127.0.0.55")
            check(st == 429, "after 4 failures on two instances: %d %r"
                  % (st, b))
    finally:
        other.stop()


@case("CSRF: a state change without the token, or a wrong one, is refused")
def csrf():
    token, tok_csrf = web.login(A1)
    st, _, b = web.request("POST", "/api/logout", cookie=token)
    check(st == 403 and "X-CSRF-Token" in b["error"], "no token: %d %r"
          % (st, b))
    st, _, b = web.request("POST", "/api/logout", cookie=token,
                           csrf="0" * 64)
    check(st == 403, "wrong token: %d %r" % (st, b))
    _, _, other = web.request("POST", "/api/login",
                              {"user": A2, "password": PASSWORDS[A2]})
    st, _, b = web.request("POST", "/api/logout", cookie=token,
                           csrf=other["csrf"])
    check(st == 403, "another session's token: %d %r" % (st, b))
    st, _, _ = web.request("GET", "/api/session", cookie=token)
    check(st == 200, "the session ended after refused logouts: %d" % st)


@case("logout ends the session")
def logout():
    token, tok_csrf = web.login(A1)
    st, r, b = web.request("POST", "/api/logout", cookie=token,
                           csrf=tok_csrf)
    check(st == 200, "logout: %d %r" % (st, b))
    check("Max-Age=0" in r.getheader("Set-Cookie"), "cookie not cleared")
    for path in ("/api/session", "/api/recordings"):
        st, _, b = web.request("GET", path, cookie=token)
        check(st == 401, "%s after logout: %d %r" % (path, st, b))


@case("sessions are shared by instances, kept under the token's hash")
def shared_sessions():
    other = Web("web-other")
    try:
        token, tok_csrf = web.login(A1)
        st, _, b = other.request("GET", "/api/session", cookie=token)
        check(st == 200 and b["user"] == A1 and b["csrf"] == tok_csrf,
              "the other instance: %d %r" % (st, b))
        digest = hashlib.sha256(token.encode()).hexdigest()
        r = es_request(es_url, "GET", "/tlog_web_sessions/_doc/" + digest)
        check(r.get("found") and r["_source"]["user"] == A1,
              "no document under the token's hash: %r" % r)
        es_request(es_url, "POST", "/tlog_web_sessions/_refresh")
        r = es_request(es_url, "POST", "/tlog_web_sessions/_search",
                       {"query": {"query_string": {"query": '"%s"'
                                                   % token}}})
        check(r["hits"]["total"]["value"] == 0 and token not in json.dumps(r),
              "the token itself is stored: %r" % r)
        st, _, _ = other.request("POST", "/api/logout", cookie=token,
                                 csrf=tok_csrf)
        check(st == 200, "logout on the other instance: %d" % st)
        r = es_request(es_url, "GET", "/tlog_web_sessions/_doc/" + digest)
        check(r.get("found") is False, "still stored after logout: %r" % r)
        # the first instance trusts what it read for session.cache (1 s)
        time.sleep(1.5)
        st, _, b = web.request("GET", "/api/session", cookie=token)
        check(st == 401, "after a logout elsewhere: %d %r" % (st, b))
    finally:
        other.stop()


def children(pid):
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read()
            except OSError:
                continue
            if int(st[st.rindex(")") + 2:].split()[1]) == pid:
                kids.append(int(d))
    return kids


@case("without its PAM process the server refuses logins and ends")
def pam_process_gone():
    w = Web("web-nopam")
    try:
        kids = children(w.proc.pid)
        check(len(kids) == 1, "children %r" % kids)
        os.kill(kids[0], 9)
        time.sleep(0.5)
        st, _, b = w.request("POST", "/api/login",
                             {"user": A1, "password": PASSWORDS[A1]})
        check(st == 503 and "not available" in b["error"], "login: %d %r"
              % (st, b))
        check(w.proc.wait(timeout=20) == 1, "exit status %r"
              % w.proc.returncode)
        check("PAM process has ended" in w.stderr(), w.stderr())
    finally:
        if w.proc.poll() is None:
            w.stop()


@case("a session ends after its idle time")
def idle():
    # times are whole seconds: uses 1 s apart are at most 2 s apart
    # an index of its own: its clean-up goes by its own idle time
    index = "tlog_web_sessions_idle"
    w = Web("web-idle", {"session": {"idle": 3, "absolute": 60,
                                     "cache": 1, "index": index}})
    try:
        token, _ = w.login(A1)
        for _ in range(3):
            time.sleep(1)
            st, _, _ = w.request("GET", "/api/session", cookie=token)
            check(st == 200, "used within its idle time: %d" % st)
        time.sleep(4)
        st, _, b = w.request("GET", "/api/session", cookie=token)
        check(st == 401, "idle for 4 s: %d %r" % (st, b))
        # the next login clears ended sessions out of the store
        digest = hashlib.sha256(token.encode()).hexdigest()
        es_request(es_url, "POST", "/%s/_refresh" % index)
        w.login(A1)
        r = es_request(es_url, "GET", "/%s/_doc/%s" % (index, digest))
        check(r.get("found") is False, "an ended session stays: %r" % r)
    finally:
        w.stop()


@case("rules: bob's recording, and alice's past the rule's days, are"
      " invisible to alice's auditor, as absent ones")
def rules():
    token, _ = web.login(A1)
    st, _, b = web.request("GET", "/api/recordings", cookie=token)
    check(st == 200, "search: %d %r" % (st, b))
    seen = [r["rec"] for r in b["recordings"]]
    check(seen == [recs["alice"]], "A1 sees %r" % seen)
    a = b["recordings"][0]
    check(a["user"] == "alice" and a["host"] == "host1" and
          a["messages"] >= 1 and a["complete"] and a["input"],
          "alice's recording: %r" % a)
    st, _, b = web.request("GET", "/api/recordings?shown=bob-shown-text",
                           cookie=token)
    check(st == 200 and b["recordings"] == [], "text search: %r" % b)
    missing = {}
    for name, rec in (("bob", recs["bob"]), ("old", recs["alice-old"]),
                      ("none", "0123456789abcdef-1-2")):
        for suffix in ("", "/messages"):
            missing[name, suffix] = web.request(
                "GET", "/api/recordings/%s%s" % (rec, suffix),
                cookie=token)
    for suffix in ("", "/messages"):
        sn, _, bn = missing["none", suffix]
        for name in ("bob", "old"):
            sb, _, bb = missing[name, suffix]
            check(sb == 404 and sn == 404 and bb == bn,
                  "%s: %s's %d %r, none's %d %r" % (suffix, name, sb, bb,
                                                    sn, bn))
    # the one it may see plays
    st, _, b = web.request("GET", "/api/recordings/%s/messages"
                           % recs["alice"], cookie=token)
    check(st == 200 and len(b["messages"]) >= 1, "alice's: %d %r"
          % (st, b))
    out = "".join(m["out_txt"] for m in b["messages"])
    check("alice-shown-text" in out, "output %r" % out)
    # an auditor of everything sees both
    t2, _ = web.login(A2)
    _, _, b = web.request("GET", "/api/recordings?order=oldest", cookie=t2)
    check([r["rec"] for r in b["recordings"]] ==
          [recs["alice-old"], recs["alice"], recs["bob"]],
          "A2 sees, oldest first, %r" % b)
    # a recording id is unique on its host only: host narrows it
    for host, want in (("host1", 200), ("host2", 404)):
        for suffix in ("", "/messages"):
            st, _, b = web.request("GET", "/api/recordings/%s%s?host=%s"
                                   % (recs["alice"], suffix, host), cookie=t2)
            check(st == want, "alice's%s on %s: %d %r" % (suffix, host, st,
                                                          b))
    _, _, b = web.request("GET", "/api/recordings?size=1&offset=2",
                          cookie=t2)
    check([r["rec"] for r in b["recordings"]] == [recs["alice-old"]] and
          b["total"] == 3, "the third newest of A2's: %r" % b)


def aushape_event(log, kind):
    """The first event of kind aushape makes of the audit log log"""
    p = subprocess.run([os.path.join(BUILD, "aushape", "aushape"),
                        "--events-per-doc=none", os.path.join(TOP, log)],
                       capture_output=True, text=True, check=True)
    for ln in p.stdout.splitlines():
        e = json.loads(ln)
        if kind in e.get("data", {}):
            return e
    check(False, "no %s event in %s" % (kind, log))


def iso_ms(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + \
        ".%03d+00:00" % (ms % 1000)


@case("audit events: a recording's commands and the failed logins before"
      " it, with offsets; none of a recording outside the rules")
def audit_events():
    t1, _ = web.login(A1)
    _, _, a = web.request("GET", "/api/recordings/%s" % recs["alice"],
                          cookie=t1)
    start = a["start_ms"]
    docs = []
    # what aushape makes of real audit records, moved to the recordings'
    # hosts, sessions and times
    for host, ses, user, rec_start, argv in (
            ("host1", "4242", "alice", start, ["ls", "/etc/alice-dir"]),
            ("host2", "4343", "bob", start, ["cat", "/etc/bob-file"])):
        e = aushape_event("tests/aushape/real.log", "execve")
        e["host"], e["time"] = host, iso_ms(rec_start + 150)
        e["data"]["syscall"]["ses"] = [ses, ses]
        e["data"]["syscall"]["auid"] = [user, "1000"]
        e["data"]["execve"] = argv
        e["data"].pop("proctitle", None)
        docs.append(e)
        f = aushape_event("tests/audit/login.log", "user_auth")
        f["host"], f["time"] = host, iso_ms(rec_start - 60000)
        f["data"]["user_auth"]["acct"] = [user]
        f["data"]["user_auth"]["res"] = ["failed"]
        docs.append(f)
    es_request(es_url, "POST", "/aushape-test/_bulk",
               "".join('{"index":{}}\n' + json.dumps(d) + "\n"
                       for d in docs).encode(), ndjson=True)
    es_request(es_url, "POST", "/aushape-test/_refresh")
    st, _, b = web.request("GET", "/api/recordings/%s/audit" % recs["alice"],
                           cookie=t1)
    check(st == 200, "alice's audit events: %d %r" % (st, b))
    cmds = [e for e in b["events"] if e["kind"] == "command"]
    check([e.get("argv") for e in cmds] == [["ls", "/etc/alice-dir"]] and
          cmds[0]["offset"] == 150, "commands %r" % cmds)
    auth = [e for e in b["events"] if e["kind"] == "auth"]
    check(len(auth) == 1 and auth[0]["result"] == "failed" and
          auth[0]["offset"] == -60000, "failed logins %r" % auth)
    # bob's is not A1's to see: the same answer as none at all
    sb, _, bb = web.request("GET", "/api/recordings/%s/audit" % recs["bob"],
                            cookie=t1)
    sn, _, bn = web.request("GET", "/api/recordings/0123-1-2/audit",
                            cookie=t1)
    check(sb == 404 and bb == bn and sn == 404,
          "bob's: %d %r; none: %d %r" % (sb, bb, sn, bn))
    check(any(e.get("rec") == recs["alice"] for e in access_events("audit")),
          "no access event of the audit view")


@case("typed input is left out without the input right")
def input_right():
    t1, _ = web.login(A1)
    t2, _ = web.login(A2)
    path = "/api/recordings/%s/messages" % recs["alice"]
    _, _, b1 = web.request("GET", path, cookie=t1)
    _, _, b2 = web.request("GET", path, cookie=t2)
    check(all("in_txt" not in m and "in_bin" not in m
              for m in b1["messages"]), "A1 got input: %r" % b1)
    typed = "".join(m.get("in_txt", "") for m in b2["messages"])
    check("alice-typed-secret" in typed, "A2's input %r" % typed)
    st, _, b = web.request("GET", "/api/recordings?typed=alice-typed-secret",
                           cookie=t1)
    check(st == 403, "typed search without the right: %d %r" % (st, b))
    st, _, b = web.request("GET", "/api/recordings?typed=alice-typed-secret",
                           cookie=t2)
    check(st == 200 and [r["rec"] for r in b["recordings"]] ==
          [recs["alice"]], "typed search with the right: %d %r" % (st, b))


@case("bad parameters get a JSON error saying what to do (400)")
def bad_input():
    token, _ = web.login(A1)
    for path in ("/api/recordings?size=100000", "/api/recordings?color=red",
                 "/api/recordings?from=yesterday",
                 "/api/recordings/bad%20id",
                 "/api/recordings/%s/messages?from_id=0" % recs["alice"],
                 "/api/recordings?user=" + "x" * 300):
        st, _, b = web.request("GET", path, cookie=token)
        check(st == 400 and isinstance(b, dict) and b.get("error"),
              "%s: %d %r" % (path, st, b))
    st, _, b = web.request("POST", "/api/login", b"{\"user\": ",
                           src="127.0.0.31")
    check(st == 400 and "JSON" in b["error"], "broken JSON: %d %r"
          % (st, b))
    st, _, b = web.request("POST", "/api/login", b"user=a&password=b",
                           src="127.0.0.31",
                           ctype="application/x-www-form-urlencoded")
    check(st == 400, "a form post: %d %r" % (st, b))
    st, _, b = web.request("POST", "/api/login",
                           {"user": A1, "password": "x" * 5000},
                           src="127.0.0.31")
    check(st == 400, "a huge body: %d %r" % (st, b))


def bulk(msgs):
    """The messages msgs into today's index, refreshed"""
    r = es_request(es_url, "POST", "/%s/_bulk?refresh=true" % INDEX,
                   "".join('{"index":{}}\n' + json.dumps(m) + "\n"
                           for m in msgs).encode(), ndjson=True)
    check(not r.get("errors"), "bulk load failed: %r" % str(r)[:300])


def sort_recs():
    """Five recordings of users sortu-*: two whole (a long and a short
    one), one running (no end message, its last message just now), one
    without its end message an hour ago, one with its first message
    missing"""
    if "sort-a" in recs:
        return
    record("sort-a", "sortu-b", "sort-h2", "sleep 0.8; echo sort-a")
    record("sort-b", "sortu-c", "sort-h1", "echo sort-b")
    for name, user, host, script in (
            ("sort-c", "sortu-a", "sort-h3", "sleep 0.4; echo sort-c"),
            ("sort-d", "sortu-d", "sort-h4", "sleep 0.2; echo sort-d"),
            ("sort-e", "sortu-e", "sort-h0", "echo sort-e; sleep 0.3")):
        record(name, user, host, script, index=False)
    msgs = live_msgs["sort-c"][:-1]
    shift = time.time() - msgs[-1]["time"]
    bulk([dict(m, time=round(m["time"] + shift - 1, 3)) for m in msgs])
    bulk([dict(m, time=round(m["time"] - 3600, 3))
          for m in live_msgs["sort-d"][:-1]])
    bulk(live_msgs["sort-e"][1:])


def sort_key(r, key):
    """What a recording's facts sort by, as the server documents it"""
    if key == "gaps":
        return 2 if not r["complete"] else int(r["end"] is None and
                                               not r["live"])
    if key == "duration":
        return r["duration_ms"]
    if key == "live":
        return int(r["live"])
    return r[key] if key in ("user", "host") else r["start_ms"]


@case("search: sorted by the server (user, host, duration, gaps), pages"
      " following one order; running ones only by the server")
def search_sorted():
    sort_recs()
    token, _ = web.login(A2)
    path = "/api/recordings?user=sortu-*&size=%d"
    st, _, b = web.request("GET", path % 100, cookie=token)
    check(st == 200 and b["total"] == 5, "all five: %d %r" % (st, b))
    facts = {r["rec"]: r for r in b["recordings"]}
    check([r["live"] for r in b["recordings"]].count(True) == 1 and
          facts[recs["sort-c"]]["live"], "running: %r" %
          [(r["user"], r["live"]) for r in b["recordings"]])
    for key in ("user", "host", "start", "duration", "gaps", "live"):
        for down in (False, True):
            want = sorted(facts.values(), key=lambda r: r["rec"])
            want.sort(key=lambda r: -r["start_ms"])
            want.sort(key=lambda r: sort_key(r, key), reverse=down)
            got, offset = [], 0
            while offset < 5:
                st, _, p = web.request("GET", (path % 2) + "&sort=%s%s"
                                       "&offset=%d" % ("-" if down else "",
                                                       key, offset),
                                       cookie=token)
                check(st == 200 and p["total"] == 5 and
                      len(p["recordings"]) == min(2, 5 - offset),
                      "sort=%s offset %d: %d %r" % (key, offset, st, p))
                got += [r["rec"] for r in p["recordings"]]
                offset += 2
            check(got == [r["rec"] for r in want], "sort=%s%s: %r, want %r"
                  % ("-" if down else "", key,
                     [facts[r][key if key in ("user", "host") else "user"]
                      for r in got], [r["user"] for r in want]))
    # with a criterion on the messages (the keys asked for apart): the
    # same order
    for key in ("-duration", "user", "-gaps"):
        st, _, p = web.request("GET", path % 5 + "&sort=%s" % key,
                               cookie=token)
        st2, _, p2 = web.request("GET", path % 5 + "&from=1&sort=%s" %
                                 key, cookie=token)
        check(st2 == 200 and p2["recordings"] == p["recordings"],
              "sort=%s with from: %r, without %r" % (
                  key, [r["user"] for r in p2.get("recordings", [])],
                  [r["user"] for r in p["recordings"]]))
    # what the five were made to be
    st, _, p = web.request("GET", path % 5 + "&sort=user", cookie=token)
    check([r["user"] for r in p["recordings"]] ==
          ["sortu-%s" % c for c in "abcde"], "by user: %r" % p)
    st, _, p = web.request("GET", path % 2 + "&sort=-gaps", cookie=token)
    check([r["rec"] for r in p["recordings"]] ==
          [recs["sort-e"], recs["sort-d"]], "gaps first: %r" % p)
    st, _, p = web.request("GET", path % 1 + "&sort=-duration",
                           cookie=token)
    check(p["recordings"][0]["rec"] == recs["sort-a"], "longest: %r" % p)
    # running ones only: the one without its end whose last message is
    # recent, not the one an hour old
    st, _, p = web.request("GET", path % 20 + "&live=1", cookie=token)
    check(st == 200 and p["total"] == 1 and [r["rec"] for r in
          p["recordings"]] == [recs["sort-c"]], "live=1: %d %r" % (st, p))
    st, _, p = web.request("GET", path % 20 + "&live=0", cookie=token)
    check(st == 200 and p["total"] == 5, "live=0: %d %r" % (st, p))
    for bad, says in (("sort=color", "sort"), ("sort=--user", "sort"),
                      ("sort=-", "sort"), ("sort=user&order=newest",
                                           "not both"),
                      ("live=yes", "live")):
        st, _, p = web.request("GET", "/api/recordings?" + bad,
                               cookie=token)
        check(st == 400 and says in p.get("error", "") and
              "duration" in p["error"], "%s: %d %r" % (bad, st, p))


@case("every action leaves an access event in syslog and Elasticsearch")
def access():
    token, tok_csrf = web.login(A1)
    web.request("POST", "/api/login", {"user": A1, "password": "nope"},
                src="127.0.0.41")
    web.request("GET", "/api/recordings?user=ali*", cookie=token)
    web.request("GET", "/api/recordings/%s/messages" % recs["alice"],
                cookie=token)
    web.request("GET", "/api/recordings/%s" % recs["bob"], cookie=token)
    web.request("GET", "/api/recordings", cookie="f" * 64)
    web.request("POST", "/api/logout", cookie=token, csrf=tok_csrf)
    want = [("login", A1, None, "ok"), ("login-failed", A1, None, "denied"),
            ("search", A1, None, "ok"), ("play", A1, recs["alice"], "ok"),
            ("view", A1, recs["bob"], "not-found"),
            ("denied", None, None, "no-session"),
            ("logout", A1, None, "ok")]
    end = time.monotonic() + 20
    while True:
        stored, logged = access_events(), web.syslog.events()
        missing = []
        for action, user, rec, result in want:
            for where, evs in (("es", stored), ("syslog", logged)):
                if not any(e.get("action") == action and
                           e.get("user") == user and e.get("result") == result
                           and (rec is None or e.get("rec") == rec)
                           and e.get("addr") and e.get("@timestamp")
                           for e in evs):
                    missing.append((where, action, result))
        if not missing or time.monotonic() > end:
            break
        time.sleep(1)
    check(not missing, "no event for %r" % missing)
    search = [e for e in stored if e["action"] == "search" and
              e.get("query") == "user=ali*"]
    check(search, "the search's query not kept")
    check(any("tlog-web[" in ln and ln.startswith("<86>")
              for ln in web.syslog.lines),
          "no authpriv.info line: %r" % web.syslog.lines[:3])


@case("HTTPS: the cookie is also Secure")
def https():
    w = Web("web-tls", tls=True)
    try:
        st, r, b = w.request("POST", "/api/login",
                             {"user": A1, "password": PASSWORDS[A1]})
        check(st == 200, "login over HTTPS: %d %r" % (st, b))
        parts = [p.strip() for p in r.getheader("Set-Cookie").split(";")]
        check("Secure" in parts, "cookie %r" % parts)
        check("max-age" in (r.getheader("Strict-Transport-Security") or ""),
              "no HSTS header")
        # TLS 1.1 is refused
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        # the client's own floor lowered, so that only the server says no
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        try:
            with socket.create_connection(("127.0.0.1", w.port), 10) as raw:
                with ctx.wrap_socket(raw) as t:
                    old = t.version()
        except (ssl.SSLError, OSError):
            old = None
        check(old is None, "a TLS 1.1 handshake went through: %r" % old)
    finally:
        w.stop()


@case("plain HTTP on a non-loopback address is refused at start")
def no_plain_http():
    conf = os.path.join(tmp, "public.conf")
    with open(conf, "w") as f:
        json.dump({"listen": {"address": "0.0.0.0", "port": free_port()}},
                  f)
    p = subprocess.run([WEB], env=dict(os.environ, TLOG_WEB_CONF_FILE=conf),
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 1 and "loopback" in p.stderr and
          "tls.cert" in p.stderr, "%d %r" % (p.returncode, p.stderr))


# A full-screen-ish program for the playback cases: colours, cursor
# motion, erasing, a scroll region, and over 100 KiB of output so that
# the index has snapshots at several 16 KiB marks
FULL_SCREEN = r'''
import sys, time
w = sys.stdout.write
w("\033[2J\033[H\033[1;38;5;208mtlog playback test\033[0m")
for k in range(150):
    if k % 25 == 0:
        w("\033[2J")
    if k == 60:
        w("\033[5;20r\033[20;1H")
    if 60 <= k < 90:
        w("\033[20;1Hscrolled line %d \033[4munder\033[24m\r\n" % k)
    for r in range(2, 24):
        w("\033[%d;%dH\033[3%d;4%dm row %d of frame %d %s\033[0m\033[K"
          % (r, (k * 3) % 30 + 1, k % 8, (k + r) % 8, r, k, "=" * (k % 17)))
    if k == 90:
        w("\033[r")
    w("\033[%d;%dH\033[7mframe-%03d\033[27m" % (k % 23 + 1, 60, k))
    sys.stdout.flush()
    time.sleep(0.02)
w("\033[12;30H\033[1;32mPLAYBACK-DONE\033[0m\033[24;1H")
sys.stdout.flush()
'''
FIND_TEXT = "PLAYBACK-DONE"


def file_events(path):
    """The events of a recording file, decoded here from each message's
    timing, text and bytes: ("o"|"i", ms, bytes), ("w", ms, rows, cols)"""
    return file_events_of(messages(path))


def file_events_of(msgs):
    """The events of the messages msgs, as file_events() gives them"""
    events = []
    for m in msgs:
        pos = m["pos"]
        streams = {">": [m.get("out_txt", ""), 0, m.get("out_bin", []), 0],
                   "<": [m.get("in_txt", ""), 0, m.get("in_bin", []), 0]}
        for tok in re.findall(r"\+\d+|[<>]\d+|[\[\]]\d+/\d+|=\d+x\d+",
                              m["timing"]):
            if tok[0] == "+":
                pos += int(tok[1:])
            elif tok[0] == "=":
                c, r = tok[1:].split("x")
                events.append(("w", pos, int(r), int(c)))
            elif tok[0] in "<>":
                s = streams[tok[0]]
                n = int(tok[1:])
                events.append(("o" if tok[0] == ">" else "i", pos,
                               s[0][s[1]:s[1] + n].encode()))
                s[1] += n
            else:
                s = streams[">" if tok[0] == "]" else "<"]
                r, b = (int(x) for x in tok[1:].split("/"))
                s[1] += r
                events.append(("o" if tok[0] == "]" else "i", pos,
                               bytes(s[2][s[3]:s[3] + b])))
                s[3] += b
    return events


def api_events(events):
    """A segment's events as file_events() gives them"""
    out = []
    for pos, kind, data in events:
        if kind == "r":
            c, r = data.split("x")
            out.append(("w", pos, int(r), int(c)))
        else:
            out.append((kind, pos, base64.b64decode(data)))
    return out


def screen_at(start, events, t):
    """pyte's state after the events up to t, from start: (cols, rows,
    snapshot text) or None for the blank 80 x 24 screen"""
    scr, st = vt_test.new_screen(*(start[:2] if start else (80, 24)))
    if start:
        st.feed(start[2].encode())
    for e in events:
        if e[1] > t:
            break
        if e[0] == "o":
            st.feed(e[2])
        elif e[0] == "w" and (e[2], e[3]) != (scr.lines, scr.columns):
            scr.resize(e[2], e[3])
    return vt_test.state(scr)


def play_index(token, rec, timeout=60):
    """The segment index of rec once complete, and the first answer"""
    path = "/api/recordings/%s/segments" % rec
    first = None
    end = time.monotonic() + timeout
    while True:
        st, _, b = web.request("GET", path, cookie=token)
        check(st == 200, "%s: %d %r" % (path, st, b))
        first = first or b
        if b["complete"] or time.monotonic() > end:
            return b, first
        time.sleep(0.2)


def full_screen_rec():
    """The id of carol's recording of FULL_SCREEN on host3, made on first
    use (only A2's rule shows it)"""
    if "carol" not in recs:
        script = os.path.join(tmp, "full_screen.py")
        with open(script, "w") as f:
            f.write(FULL_SCREEN)
        record("carol", "carol", "host3", "python3 " + script)
        es_request(es_url, "POST", "/%s/_refresh" % INDEX)
    return recs["carol"]


@case("random-access playback: each segment's snapshot and events up to"
      " T give the screen of all output up to T; the segments hold every"
      " event once; seek and find")
def segments():
    rec = full_screen_rec()
    events = file_events(rec_files["carol"])
    out = b"".join(e[2] for e in events if e[0] == "o")
    check(len(out) > 64 * 1024, "only %d bytes of output" % len(out))
    token, _ = web.login(A2)
    idx, first = play_index(token, rec)
    check(first["cached"] is False, "a first index answer marked cached")
    check(idx["complete"], "index not complete: %r" % idx)
    segs = idx["segments"]
    check(len(segs) >= 4, "only %d segments for %d bytes: %r"
          % (len(segs), len(out), segs))
    check(segs[0]["pos_ms"] == 0 and [s["i"] for s in segs] ==
          list(range(len(segs))), "segments %r" % segs)
    check(idx["duration_ms"] == max(e[1] for e in events),
          "duration %r, the file's last event at %d" %
          (idx["duration_ms"], max(e[1] for e in events)))
    check(not any(g["kind"] != "cut-short" for g in idx["gaps"]),
          "gaps in a whole recording: %r" % idx["gaps"])
    # the heatmap's activity: each bucket holds the bytes of output of
    # its stretch of time
    act = idx["activity"]
    width = act["bucket_ms"]
    want = [0] * (idx["duration_ms"] // width + 1)
    for e in events:
        if e[0] == "o":
            want[e[1] // width] += len(e[2])
    while want and want[-1] == 0:
        want.pop()
    check(act["bytes"] == want, "activity in %d ms buckets: %r, want %r" %
          (width, act["bytes"][:20], want[:20]))
    got = []
    for s in segs:
        st, _, b = web.request("GET", "/api/recordings/%s/segments/%d"
                               % (rec, s["i"]), cookie=token)
        check(st == 200 and b["i"] == s["i"] and b["pos_ms"] == s["pos_ms"],
              "segment %d: %d %r" % (s["i"], st, str(b)[:300]))
        got.append(b)
    joined = [e for b in got for e in api_events(b["events"])]
    check(joined == events, "the segments' events differ from the"
          " file's: %d vs %d events" % (len(joined), len(events)))
    rnd = random.Random(SEED)
    end = idx["duration_ms"]
    times = sorted(set([s["pos_ms"] for s in segs] +
                       [rnd.randrange(0, end + 1) for _ in range(10)]))
    for t in times:
        i = max(s["i"] for s in segs if s["pos_ms"] <= t)
        b = got[i]
        st, _, sk = web.request("GET", "/api/recordings/%s/seek?t=%d"
                                % (rec, t), cookie=token)
        check(st == 200 and sk["i"] == i and sk["events"] == b["events"],
              "seek to %d: %d, segment %r, want %d" % (t, st, sk.get("i"), i))
        whole = screen_at(None, events, t)
        sought = screen_at((b["cols"], b["rows"], b["snapshot"]),
                           api_events(b["events"]), t)
        check(whole == sought, "at %d ms from segment %d (at %d ms; seed"
              " %d): %s" % (t, i, b["pos_ms"], SEED,
                            vt_test.differences(whole, sought)))
    st, _, b = web.request("GET", "/api/recordings/%s/find?text=%s"
                           % (rec, FIND_TEXT), cookie=token)
    check(st == 200 and b["matches"] and
          all(m["pos_ms"] >= segs[-1]["pos_ms"] for m in b["matches"]),
          "find %s: %d %r" % (FIND_TEXT, st, b))
    st, _, b = web.request("GET", "/api/recordings/%s/find?text=frame-149x"
                           % rec, cookie=token)
    check(st == 200 and b["matches"] == [], "find of absent text: %d %r"
          % (st, b))


def index_copy(rec, msgs):
    """Index msgs as the recording rec of carol on host3"""
    r = es_request(es_url, "POST", "/%s/_bulk?refresh=true" % INDEX,
                   "".join('{"index":{}}\n' +
                           json.dumps(dict(m, rec=rec, user="carol",
                                           host="host3")) + "\n"
                           for m in msgs).encode(), ndjson=True)
    check(not r.get("errors"), "bulk load failed: %r" % str(r)[:300])


@case("playback index served from the cache on a second request")
def segments_cached():
    rec = full_screen_rec() + "-cache"
    index_copy(rec, messages(rec_files["carol"]))
    token, _ = web.login(A2)
    idx, first = play_index(token, rec)
    st, _, b = web.request("GET", "/api/recordings/%s/segments" % rec,
                           cookie=token)
    check(first["cached"] is False and idx["complete"], "first index"
          " request: %r" % str(first)[:200])
    check(st == 200 and b["cached"] is True and b == dict(idx, cached=True),
          "second index request: %d %r" % (st, str(b)[:200]))


@case("playback of a recording the rules hide is a 404 like one that"
      " does not exist")
def segments_hidden():
    rec = full_screen_rec()
    token, _ = web.login(A1)
    for tail in ("segments", "segments/0", "seek?t=0", "find?text=x"):
        st1, _, b1 = web.request("GET", "/api/recordings/%s/%s"
                                 % (rec, tail), cookie=token)
        st2, _, b2 = web.request("GET", "/api/recordings/nosuchrec-1/%s"
                                 % tail, cookie=token)
        check(st1 == 404 and (st1, b1) == (st2, b2), "%s: hidden %d %r,"
              " absent %d %r" % (tail, st1, b1, st2, b2))
    ev = [e for e in access_events() if e.get("rec") == rec]
    check(any(e.get("result") == "not-found" for e in ev),
          "no access event of the refused playback: %r" % ev[-3:])


@case("playback parameters out of range get a 400 JSON error")
def segments_bad_input():
    rec = full_screen_rec()
    token, _ = web.login(A2)
    for tail in ("segments/x", "segments/-1", "segments/1000000000",
                 "segments?color=red", "seek", "seek?t=soon",
                 "find", "find?text=" + "x" * 257):
        st, _, b = web.request("GET", "/api/recordings/%s/%s" % (rec, tail),
                               cookie=token)
        check(st == 400 and isinstance(b, dict) and b.get("error"),
              "%s: %d %r" % (tail, st, b))
    st, _, b = web.request("GET", "/api/recordings/%s/segments/100000"
                           % rec, cookie=token)
    check(st == 404 and "segment" in b.get("error", ""),
          "a segment past the end: %d %r" % (st, b))


@case("playback gaps: missing ids, a drop note and a cut-short end are"
      " reported where they occur")
def segments_gaps():
    msgs = messages(rec_files["carol"])
    rec = full_screen_rec() + "-gaps"
    check(len(msgs) > 6 and "x_tlog_end" in msgs[-1],
          "carol's recording: %d messages, last %r" % (len(msgs),
                                                       msgs[-1].keys()))
    kept = []
    for m in msgs[:-1]:
        m = dict(m, rec=rec, user="carol", host="host3")
        if m["id"] == 3:
            continue
        if m["id"] == 4:
            m["x_tlog_drop"] = {"messages": 1, "bytes": 1234}
        kept.append(m)
    r = es_request(es_url, "POST", "/%s/_bulk?refresh=true" % INDEX,
                   "".join('{"index":{}}\n' + json.dumps(m) + "\n"
                           for m in kept).encode(), ndjson=True)
    check(not r.get("errors"), "bulk load failed: %r" % str(r)[:300])
    token, _ = web.login(A2)
    idx, _ = play_index(token, rec)
    pos4 = [m["pos"] for m in kept if m["id"] == 4][0]
    gaps = sorted((g["kind"], g["pos_ms"]) for g in idx["gaps"])
    check(idx["complete"] and
          gaps == sorted([("drop", pos4), ("missing-ids", pos4),
                          ("cut-short", idx["duration_ms"])]),
          "gaps %r, want drop and missing ids at %d, cut short at the end"
          % (idx["gaps"], pos4))
    g = [g for g in idx["gaps"] if g["kind"] == "missing-ids"][0]
    check((g["after_id"], g["next_id"]) == (2, 4), "missing ids %r" % g)
    g = [g for g in idx["gaps"] if g["kind"] == "drop"][0]
    check((g["messages"], g["bytes"]) == (1, 1234), "drop %r" % g)


@case("playback: typed input only with the input right")
def segments_input():
    rec = recs["alice"]
    typed = {}
    for who in (A1, A2):
        token, _ = web.login(who)
        idx, _ = play_index(token, rec)
        evs = []
        for s in idx["segments"]:
            st, _, b = web.request("GET", "/api/recordings/%s/segments/%d"
                                   % (rec, s["i"]), cookie=token)
            check(st == 200, "%s: segment %d: %d %r" % (who, s["i"], st, b))
            evs += api_events(b["events"])
        typed[who] = b"".join(e[2] for e in evs if e[0] == "i")
        check(b"alice-shown-text" in b"".join(e[2] for e in evs
                                               if e[0] == "o"),
              "%s: the output is missing" % who)
    check(typed[A1] == b"" and b"alice-typed-secret" in typed[A2],
          "typed input: without the right %r, with it %r"
          % (typed[A1], typed[A2]))


# typed, then over 64 KiB of output (several segments), typed again
TYPED_LONG = ("echo ask-a; read a; seq 1 20000; echo ask-b; read b;"
              " echo typed-end", [(b"ask-a", b"first-word\r"),
                                  (b"ask-b", b"second-word\r")])


@case("playback: each segment comes with what was typed before it, with"
      " the input right only")
def segments_input_before():
    if "typed-long" not in recs:
        record("typed-long", "alice", "host1", *TYPED_LONG)
        es_request(es_url, "POST", "/%s/_refresh" % INDEX)
    rec = recs["typed-long"]
    for who in (A1, A2):
        token, _ = web.login(who)
        idx, _ = play_index(token, rec)
        segs = idx["segments"]
        check(len(segs) >= 3, "%d segments" % len(segs))
        typed = b""
        seen = []
        for s in segs:
            st, _, b = web.request("GET", "/api/recordings/%s/segments/%d"
                                   % (rec, s["i"]), cookie=token)
            check(st == 200, "%s: segment %d: %d" % (who, s["i"], st))
            if who == A1:
                check("input_before" not in b, "input before segment %d"
                      " without the right" % s["i"])
                continue
            before = base64.b64decode(b["input_before"])
            check(before == typed[-4096:] and b["input_before_cut"] ==
                  (len(typed) > 4096), "segment %d: typed before it %r,"
                  " the segments before typed %r" % (s["i"], before, typed))
            seen.append(before)
            typed += b"".join(e[2] for e in api_events(b["events"])
                              if e[0] == "i")
        if who == A2:
            check(typed.replace(b"\r", b"") == b"first-wordsecond-word",
                  "typed in all: %r" % typed)
            # a segment after the first word's, before the second's, has
            # it from before
            check(any(b"first-word" in x and b"second" not in x
                      for x in seen[1:]), "no segment with only the first"
                  " word before it: %r" % seen)


@case("playback of a recording whose time goes back: indexed and played"
      " up to there, the gap reported")
def segments_time_back():
    msgs = messages(rec_files["carol"])
    rec = full_screen_rec() + "-back"
    back = msgs[len(msgs) // 2]
    docs = []
    for m in msgs:
        m = dict(m, rec=rec, user="carol", host="host3")
        if m["id"] == back["id"]:
            m["pos"] = 0
        docs.append(m)
    r = es_request(es_url, "POST", "/%s/_bulk?refresh=true" % INDEX,
                   "".join('{"index":{}}\n' + json.dumps(m) + "\n"
                           for m in docs).encode(), ndjson=True)
    check(not r.get("errors"), "bulk load failed: %r" % str(r)[:300])
    token, _ = web.login(A2)
    idx, _ = play_index(token, rec)
    kinds = [g["kind"] for g in idx["gaps"]]
    check(idx["complete"] and kinds == ["time-back"] and
          "time goes back" in idx["gaps"][0]["note"] and
          idx["duration_ms"] <= back["pos"],
          "index %r" % {k: idx[k] for k in ("complete", "gaps",
                                            "duration_ms")})
    got = []
    for s in idx["segments"]:
        st, _, b = web.request("GET", "/api/recordings/%s/segments/%d"
                               % (rec, s["i"]), cookie=token)
        check(st == 200, "segment %d: %d %r" % (s["i"], st, b))
        got += api_events(b["events"])
    want = file_events_of([m for m in msgs if m["id"] < back["id"]])
    check(got == want, "the segments hold %d events, the messages before"
          " the step back %d" % (len(got), len(want)))


class Live:
    """A live stream read in a thread: its events, each with the
    monotonic time it arrived"""

    def __init__(self, path, token, server=None):
        self.conn = http.client.HTTPConnection(
            "127.0.0.1", (server or web).port, timeout=60)
        self.conn.request("GET", path, headers={
            "Cookie": "tlog_web_session=" + token})
        self.sock = self.conn.sock
        self.resp = self.conn.getresponse()
        self.events = []
        self.comments = 0
        self.cond = threading.Condition()
        if self.resp.status == 200:
            threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        ev = {}
        try:
            for raw in self.resp:
                ln = raw.decode().rstrip("\n")
                if ln.startswith(":"):
                    self.comments += 1
                elif ln == "":
                    if ev:
                        with self.cond:
                            self.events.append((time.monotonic(), ev))
                            self.cond.notify_all()
                    ev = {}
                else:
                    k, _, v = ln.partition(":")
                    ev[k] = v[1:] if v.startswith(" ") else v
        except (OSError, ValueError, AttributeError,
                http.client.HTTPException):
            # closed under the reading thread
            pass
        with self.cond:
            self.events.append((time.monotonic(), None))
            self.cond.notify_all()

    def wait(self, n, timeout):
        """The first n events (fewer once timeout seconds passed)"""
        end = time.monotonic() + timeout
        with self.cond:
            while len(self.events) < n and time.monotonic() < end:
                self.cond.wait(end - time.monotonic())
            return list(self.events[:n])

    def close(self):
        """Close now: a shutdown ends the reading thread's blocked read
        (closing alone waits for it)"""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()


def put_by_id(index, m):
    """Index message m in index under the document id HOST/REC/ID, as
    rsyslog does"""
    r = es_request(es_url, "PUT", "/%s/_doc/%s" % (
        index, urllib.parse.quote("%s/%s/%d" % (m["host"], m["rec"],
                                                m["id"]), safe="")), m)
    check(r.get("result") == "created", "indexing: %r" % r)


def p95(values):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(0.95 * (len(v) - 1))))]


@case("live: each message indexed reaches the stream in order, within"
      " 1 s (p95), then the end; typed input left out without the right")
def live():
    msgs = live_msgs["live"]
    check(len(msgs) >= 4 and "x_tlog_end" in msgs[-1],
          "the recording to follow: %r" % msgs)
    rec = recs["live"]

    def put(m):
        put_by_id(INDEX, m)
    # the first message makes the recording known (searchable)
    put(msgs[0])
    es_request(es_url, "POST", "/%s/_refresh" % INDEX)
    token, _ = web.login(A4)
    lv = Live("/api/recordings/%s/live?from_id=2" % rec, token)
    check(lv.resp.status == 200, "live: %d" % lv.resp.status)
    ctype = lv.resp.getheader("Content-Type")
    check(ctype.startswith("text/event-stream") and
          lv.resp.getheader("Cache-Control") == "no-store",
          "headers: %r" % lv.resp.getheaders())
    time.sleep(0.5)
    check(lv.wait(1, 0) == [], "events before any message: %r" % lv.events)
    lat = []
    for i, m in enumerate(msgs[1:]):
        put(m)
        t0 = time.monotonic()
        got = lv.wait(i + 1, 5)
        check(len(got) == i + 1 and got[i][1] is not None,
              "message %d not streamed within 5 s: %r (tlog-web: %s)"
              % (m["id"], got, web.stderr()[-1000:]))
        lat.append(got[i][0] - t0)
        ev = json.loads(got[i][1]["data"])
        check(got[i][1].get("id") == str(m["id"]) and ev["id"] == m["id"]
              and ev["out_txt"] == m["out_txt"] and "in_txt" not in ev,
              "event %d: %r for %r" % (i, got[i][1], m))
        time.sleep(0.3)
    got = lv.wait(len(msgs), 5)
    check(len(got) == len(msgs) and got[-1][1] is not None and
          got[-1][1].get("event") == "end", "the end event: %r" % got[-2:])
    # and the stream ends there
    got = lv.wait(len(msgs) + 1, 5)
    check(len(got) == len(msgs) + 1 and got[-1][1] is None,
          "the stream went on after the end: %r" % got[-2:])
    lv.close()
    # the latency is bench/web_live_bench.py's to measure: here only
    # shown
    print("  live latencies (s): %s; p95 %.3f" % (
        " ".join("%.3f" % x for x in lat), p95(lat)))
    # with the input right, typed input is there
    es_request(es_url, "POST", "/%s/_refresh" % INDEX)
    t2, _ = web.login(A2)
    lv = Live("/api/recordings/%s/live?from_id=1" % rec, t2)
    got = lv.wait(len(msgs) + 2, 10)
    lv.close()
    check(len(got) == len(msgs) + 2 and
          [e[1].get("id") for e in got[:len(msgs)]] ==
          [str(m["id"]) for m in msgs] and
          got[len(msgs)][1].get("event") == "end" and got[-1][1] is None,
          "A2's replay of the whole: %r" % got)
    typed = "".join(json.loads(e[1]["data"]).get("in_txt", "")
                    for e in got[:len(msgs)])
    check("live-typed" in typed, "A2's input %r" % typed)
    ev = [e for e in access_events("live") if e.get("rec") == rec]
    check(len(ev) >= 2 and all(e["result"] == "ok" for e in ev),
          "live access events: %r" % ev)

@case("live: with es.index naming one index, no date in its name, each"
      " message indexed reaches the stream within 1 s (p95)")
def live_one_index():
    index = "tlog-single"
    rec = recs["live"] + "-single"
    msgs = [dict(m, rec=rec) for m in live_msgs["live"]]

    def put(m):
        put_by_id(index, m)
    put(msgs[0])
    es_request(es_url, "POST", "/%s/_refresh" % index)
    w = Web("web-single", conf={"es": {"urls": [es_url], "index": index}})
    try:
        token, _ = w.login(A4)
        lv = Live("/api/recordings/%s/live?from_id=2" % rec, token, w)
        check(lv.resp.status == 200, "live: %d" % lv.resp.status)
        time.sleep(0.5)
        lat = []
        for i, m in enumerate(msgs[1:]):
            put(m)
            t0 = time.monotonic()
            got = lv.wait(i + 1, 5)
            check(len(got) == i + 1 and got[i][1] is not None and
                  got[i][1].get("id") == str(m["id"]),
                  "message %d not streamed within 5 s: %r" % (m["id"], got))
            lat.append(got[i][0] - t0)
            time.sleep(0.3)
        got = lv.wait(len(msgs), 5)
        lv.close()
        check(got[-1][1] is not None and got[-1][1].get("event") == "end",
              "the end event: %r" % got[-2:])
        print("  live latencies (s): %s; p95 %.3f" % (
            " ".join("%.3f" % x for x in lat), p95(lat)))
    finally:
        w.stop()


@case("live and export: no right is 403, outside the rules is 404 as a"
      " recording that does not exist")
def live_export_denied():
    t1, _ = web.login(A1)
    t4, _ = web.login(A4)
    for suffix in ("live", "export"):
        st, _, b = web.request("GET", "/api/recordings/%s/%s"
                               % (recs["alice"], suffix), cookie=t1)
        check(st == 403 and suffix in b["error"], "A1's %s: %d %r"
              % (suffix, st, b))
        _, _, none = web.request("GET", "/api/recordings/0123456789abcdef-1-2"
                                 "/%s" % suffix, cookie=t4)
        st, _, b = web.request("GET", "/api/recordings/%s/%s"
                               % (recs["bob"], suffix), cookie=t4)
        check(st == 404 and b == none, "A4's %s of bob's: %d %r, none's %r"
              % (suffix, st, b, none))
    ev = access_events("export")
    check(any(e["result"] == "denied" and e.get("user") == A1 for e in ev),
          "no denied export event: %r" % ev)


@case("export: asciicast has the recording's output, json every message,"
      " text the shown text; typed input only with the right")
def export():
    rec = recs["alice"]
    t2, _ = web.login(A2)
    t4, _ = web.login(A4)
    _, _, whole = web.request("GET", "/api/recordings/%s/messages" % rec,
                              cookie=t2)
    msgs = whole["messages"]
    output = "".join(m["out_txt"] for m in msgs)
    for token, with_input in ((t2, True), (t4, False)):
        st, r, b = web.request("GET", "/api/recordings/%s/export?format="
                               "asciicast" % rec, cookie=token)
        check(st == 200 and r.getheader("Content-Disposition") ==
              'attachment; filename="%s.cast"' % rec,
              "asciicast: %d %r" % (st, r.getheaders()))
        lines = b.decode().splitlines()
        head = json.loads(lines[0])
        events = [json.loads(ln) for ln in lines[1:]]
        check(head["version"] == 2, "header %r" % head)
        out = "".join(e[2] for e in events if e[1] == "o")
        check(out == output, "asciicast output %r, recorded %r"
              % (out, output))
        typed = "".join(e[2] for e in events if e[1] == "i")
        check(("alice-typed-secret" in typed) == with_input,
              "asciicast input (right: %r): %r" % (with_input, typed))
        st, r, b = web.request("GET", "/api/recordings/%s/export?format=json"
                               % rec, cookie=token)
        lines = [json.loads(ln) for ln in b.decode().splitlines()]
        check(st == 200 and [m["id"] for m in lines] ==
              [m["id"] for m in msgs], "json export: %d %r" % (st, lines))
        check(all(("in_txt" in m) == with_input for m in lines),
              "json export input (right: %r): %r" % (with_input, lines))
    st, r, b = web.request("GET", "/api/recordings/%s/export?format=text"
                           % rec, cookie=t4)
    check(st == 200 and r.getheader("Content-Type").startswith("text/plain")
          and b"alice-shown-text" in b and b"\x1b" not in b,
          "text export: %d %r" % (st, b))
    st, _, b = web.request("GET", "/api/recordings/%s/export?format=pdf"
                           % rec, cookie=t4)
    check(st == 400, "unknown format: %d %r" % (st, b))
    ev = [e for e in access_events("export") if e.get("rec") == rec and
          e["result"] == "ok"]
    check(len(ev) >= 5, "export access events: %r" % ev)

def span_rec():
    """dave's recording on host4 (audit session 4545) that began twice
    SPAN_DAYS days ago and goes on today: its first messages (the text
    span-old-text) are stamped then, the others (span-new-text) now, at
    positions that many days on.  Indexed under the document ids
    HOST/REC/ID, as live streams read them.  Its id, its old and its new
    messages."""
    if "span" not in recs:
        record("span", "dave", "host4", "echo span-old-text; sleep 2.5;"
               " echo span-new-text", session=4545, index=False)
        msgs = live_msgs["span"]
        k = next(i for i, m in enumerate(msgs)
                 if "span-new-text" in m.get("out_txt", ""))
        check(k > 0 and "span-old-text" in "".join(
            m.get("out_txt", "") for m in msgs[:k]) and "span-old-text"
            not in "".join(m.get("out_txt", "") for m in msgs[k:]),
            "the recording's halves: %r" % msgs)
        back = 2 * SPAN_DAYS * 86400
        for m in msgs[:k]:
            m["time"] = round(m["time"] - back, 3)
        for m in msgs[k:]:
            m["pos"] += back * 1000
        body = "".join(json.dumps({"index": {"_id": "host4/%s/%d" % (
            m["rec"], m["id"])}}) + "\n" + json.dumps(m) + "\n"
            for m in msgs)
        r = es_request(es_url, "POST", "/%s/_bulk?refresh=true" % INDEX,
                       body.encode(), ndjson=True)
        check(not r.get("errors"), "bulk load failed: %r" % str(r)[:300])
        recs["span_split"] = k
    msgs = live_msgs["span"]
    k = recs["span_split"]
    return recs["span"], msgs[:k], msgs[k:]


@case("rules' days: of a recording begun before the window, every"
      " endpoint and export format gives the messages inside it only")
def rules_days():
    rec, old, new = span_rec()
    new_ids = [m["id"] for m in new]
    token, _ = web.login(A5)
    st, _, b = web.request("GET", "/api/recordings?user=dave", cookie=token)
    check(st == 200 and [(r["rec"], r["messages"]) for r in
                         b["recordings"]] == [(rec, len(new))],
          "search: %d %r" % (st, b))
    st, _, b = web.request("GET", "/api/recordings/%s" % rec, cookie=token)
    check(st == 200 and b["messages"] == len(new), "facts: %d %r" % (st, b))
    st, _, b = web.request("GET", "/api/recordings/%s/messages" % rec,
                           cookie=token)
    check(st == 200 and [m["id"] for m in b["messages"]] == new_ids,
          "messages: %d %r" % (st, b))
    # each export format
    st, _, b = web.request("GET", "/api/recordings/%s/export?format=json"
                           % rec, cookie=token)
    check(st == 200 and [json.loads(ln)["id"] for ln in
                         b.decode().splitlines()] == new_ids,
          "json export: %d %r" % (st, b))
    for fmt in ("asciicast", "text"):
        st, _, b = web.request("GET", "/api/recordings/%s/export?format=%s"
                               % (rec, fmt), cookie=token)
        check(st == 200 and b"span-new-text" in b and
              b"span-old-text" not in b,
              "%s export (%d) holds the older messages: %r" % (fmt, st, b))
    # playback: the segments' events and the screens searched
    idx, _ = play_index(token, rec)
    check(idx["complete"], "index not complete: %r" % idx)
    out = b""
    for s in idx["segments"]:
        st, _, b = web.request("GET", "/api/recordings/%s/segments/%d"
                               % (rec, s["i"]), cookie=token)
        check(st == 200, "segment %d: %d %r" % (s["i"], st, b))
        out += b"".join(e[2] for e in api_events(b["events"])
                        if e[0] == "o")
    check(b"span-new-text" in out and b"span-old-text" not in out,
          "the segments' output: %r" % out)
    for text, want in (("span-old-text", False), ("span-new-text", True)):
        st, _, b = web.request("GET", "/api/recordings/%s/find?text=%s"
                               % (rec, text), cookie=token)
        check(st == 200 and bool(b["matches"]) == want,
              "find %s: %d %r" % (text, st, b))
    # an auditor of everything plays it whole, from its own index
    t2, _ = web.login(A2)
    play_index(t2, rec)
    st, _, b = web.request("GET", "/api/recordings/%s/find?text="
                           "span-old-text" % rec, cookie=t2)
    check(st == 200 and b["matches"], "A2's find: %d %r" % (st, b))
    # live, read by document id
    lv = Live("/api/recordings/%s/live?from_id=1" % rec, token)
    got = lv.wait(len(new) + 2, 15)
    lv.close()
    check(lv.resp.status == 200 and
          [e[1].get("id") for e in got[:len(new)]] ==
          [str(i) for i in new_ids] and
          got[len(new)][1].get("event") == "end",
          "live from id 1: %r" % got)


@case("rules' days: the audit events of a recording begun before the"
      " window are those inside it only")
def rules_days_audit():
    rec, old, new = span_rec()
    t5, _ = web.login(A5)
    t2, _ = web.login(A2)
    _, _, a = web.request("GET", "/api/recordings/%s" % rec, cookie=t2)
    start = a["start_ms"]
    e = aushape_event("tests/aushape/real.log", "execve")
    e["host"], e["time"] = "host4", iso_ms(int(old[0]["time"] * 1000) + 100)
    e["data"]["syscall"]["ses"] = ["4545", "4545"]
    e["data"]["syscall"]["auid"] = ["dave", "1000"]
    e["data"]["execve"] = ["ls", "/etc/dave-old-dir"]
    e["data"].pop("proctitle", None)
    e2 = json.loads(json.dumps(e))
    e2["time"] = iso_ms(int(new[0]["time"] * 1000) + 100)
    e2["data"]["execve"] = ["ls", "/etc/dave-new-dir"]
    f = aushape_event("tests/audit/login.log", "user_auth")
    f["host"], f["time"] = "host4", iso_ms(start - 60000)
    f["data"]["user_auth"]["acct"] = ["dave"]
    f["data"]["user_auth"]["res"] = ["failed"]
    es_request(es_url, "POST", "/aushape-test/_bulk?refresh=true",
               "".join('{"index":{}}\n' + json.dumps(d) + "\n"
                       for d in (e, e2, f)).encode(), ndjson=True)
    st, _, b = web.request("GET", "/api/recordings/%s/audit" % rec,
                           cookie=t2)
    got = sorted((x["kind"], x.get("argv")) for x in b.get("events", []))
    check(st == 200 and got == [
        ("auth", None), ("command", ["ls", "/etc/dave-new-dir"]),
        ("command", ["ls", "/etc/dave-old-dir"])],
        "A2's audit events: %d %r" % (st, b))
    st, _, b = web.request("GET", "/api/recordings/%s/audit" % rec,
                           cookie=t5)
    got = [(x["kind"], x.get("argv")) for x in b.get("events", [])]
    check(st == 200 and got == [("command", ["ls", "/etc/dave-new-dir"])],
          "A5's audit events, those of its last %d days: %d %r"
          % (SPAN_DAYS, st, b))


@case("es.urls: a node that does not answer is passed over by searches,"
      " posts, access events and exports alike")
def es_failover():
    dead = "http://127.0.0.1:%d" % free_port()
    w = Web("web-failover", conf={"es": {"urls": [dead, es_url]}})
    try:
        token, _ = w.login(A2)
        st, _, b = w.request("GET", "/api/recordings?user=alice&size=100",
                             cookie=token)
        check(st == 200 and recs["alice"] in
              [r["rec"] for r in b["recordings"]], "search: %d %r" % (st, b))
        st, _, b = w.request("GET", "/api/recordings/%s/export?format=text"
                             % recs["alice"], cookie=token)
        check(st == 200 and b"alice-shown-text" in b,
              "text export: %d %r" % (st, b))
        st, _, b = w.request("GET", "/api/recordings/%s/audit"
                             % recs["alice"], cookie=token)
        check(st == 200 and "events" in b, "audit: %d %r" % (st, b))
        check(any(e.get("query") == "user=alice&size=100" and
                  e.get("result") == "ok"
                  for e in access_events("search")),
              "the search's access event not stored")
    finally:
        w.stop()


@case("live: at most 64 streams at once, the next one is 503")
def live_cap():
    token, _ = web.login(A4)
    path = "/api/recordings/%s/live?from_id=1000" % recs["live"]
    streams = [Live(path, token) for _ in range(64)]
    try:
        check(all(lv.resp.status == 200 for lv in streams),
              "statuses %r" % [lv.resp.status for lv in streams])
        st, r, b = web.request("GET", path, cookie=token)
        check(st == 503 and r.getheader("Retry-After"), "65th: %d %r"
              % (st, b))
    finally:
        for lv in streams:
            lv.close()
    # closed streams free their places (noticed at the next keep-alive
    # at the latest)
    end = time.monotonic() + 50
    while time.monotonic() < end:
        lv = Live(path, token)
        st = lv.resp.status
        lv.close()
        if st == 200:
            break
        time.sleep(1)
    check(st == 200, "no place again after closing: %d" % st)


@case("tlog-web ends cleanly on SIGTERM, ending the live streams")
def clean_end():
    global web
    token, _ = web.login(A4)
    lv = Live("/api/recordings/%s/live?from_id=1000" % recs["live"], token)
    check(lv.resp.status == 200, "live: %d" % lv.resp.status)
    time.sleep(0.5)
    w, web = web, None
    w.stop()
    got = lv.wait(2, 10)
    lv.close()
    check(len(got) == 2 and got[0][1].get("event") == "end" and
          "server-stopping" in got[0][1].get("data") and got[1][1] is None,
          "the open stream got %r" % got)


def main():
    global es_url
    skip_unless_root("users, namespaces, Elasticsearch")
    for f in (PAM_WRAPPER, PAM_MATRIX):
        if not os.path.exists(f):
            print("FAIL setup: %s missing: install libpam-wrapper" % f)
            return 1
    es_url = start_elasticsearch(ES_DIR, "web")
    if es_url is None:
        stop_elasticsearch(ES_DIR)
        return 1
    try:
        try:
            setup()
        except Exception as e:
            print("FAIL setup: %s" % e)
            print("web: 0 passed, 1 failed")
            return 1
        return run_cases("web", sys.argv[1:])
    finally:
        if web is not None and web.proc.poll() is None:
            web.proc.terminate()
            web.proc.wait(timeout=30)
        stop_elasticsearch(ES_DIR)


if __name__ == "__main__":
    sys.exit(main())
