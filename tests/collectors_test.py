#!/usr/bin/env python3
"""The two-tier store, against real daemons: a recorded host's rsyslogd
(tlog.conf and tlog-relp.conf) forwards over RELP with TLS to two
collector rsyslogds (tlog-collector.conf and tlog-es.conf), which store
in a private Elasticsearch (tests/es/start) behind nginx with TLS and a
private CA.  Ten sessions are recorded through the real agent while the
first collector is killed and later started again: every recording must
arrive whole, once, and play byte-exact in ours and in the reference
tlog-play.  A peer without a permitted certificate must be refused.

Every daemon runs on 127.0.0.1 with its own configuration, work
directory, pid file and ports; the script runs again in a private mount
namespace, where the tlog configuration directory is its own.
TLOG_TEST_RSYSLOG_DIR names another directory to take the rsyslog files
from (other versions of them).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nsexec import reexec_in_namespace  # noqa: E402

if __name__ == "__main__":
    reexec_in_namespace("TLOG_COLLECTORS_TEST_NS", __file__)

import json  # noqa: E402
import pwd  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import ssl  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

from ptyterm import Term  # noqa: E402
from progtest import (AGENT_USER, REF_PLAY, SESSION, TRAILER,  # noqa: E402
                      Agent, case, check, ensure_user, es_request,
                      free_port, private_tlog_conf, run_cases,
                      start_elasticsearch, stop_elasticsearch, tmp)

TOP = os.environ.get("top_srcdir", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), ".."))
BUILD = os.environ.get("top_builddir", TOP)
PLAY = os.path.join(BUILD, "play", "tlog-play")
RSYSLOG_DIR = os.environ.get("TLOG_TEST_RSYSLOG_DIR",
                             os.path.join(TOP, "contrib", "rsyslog"))
ES_DIR = os.path.join(tmp, "es")
CERTS = os.path.join(tmp, "certs")
CONF_DIR = os.path.join(tmp, "etc-tlog")
RECORDED = "tlogrecorded"
FORGER = "tlogtest"
SESSIONS = 10
es_url = None
daemons = []


def es(method, path, body=None):
    return es_request(es_url, method, path, body)


def count(query, index="tlog-*"):
    es("POST", "/%s/_refresh" % index)
    r = es("POST", "/%s/_count" % index,
           {"query": {"query_string": {"query": query}}})
    return r.get("count", 0)


def ossl(*args):
    p = subprocess.run(["openssl"] + list(args), capture_output=True,
                       cwd=CERTS)
    check(p.returncode == 0, "openssl %s: %r" % (args[0], p.stderr))


def make_certs():
    """A private CA; certificates it signs for the two collectors, the
    host, a host nobody permitted and the Elasticsearch front; and an
    impostor: the host's name, signed by a CA of its own."""
    os.makedirs(CERTS)
    os.chmod(CERTS, 0o755)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
          "-nodes"]
    for ca, cn in (("ca", "tlog test CA"), ("other-ca", "another CA")):
        ossl("req", "-x509", *ec, "-keyout", ca + ".key", "-out",
             ca + ".pem", "-days", "2", "-subj", "/CN=" + cn)
    for name, ca, san in (
            ("collector1", "ca", "DNS:collector1.tlog.test"),
            ("collector2", "ca", "DNS:collector2.tlog.test"),
            ("host1", "ca", "DNS:host1.tlog.test"),
            ("rogue", "ca", "DNS:rogue.tlog.test"),
            ("impostor", "other-ca", "DNS:host1.tlog.test"),
            ("es", "ca", "IP:127.0.0.1")):
        with open(os.path.join(CERTS, name + ".ext"), "w") as f:
            f.write("subjectAltName=%s\n" % san)
        ossl("req", *ec, "-keyout", name + ".key", "-out", name + ".csr",
             "-subj", "/CN=" + san.split(":", 1)[1])
        ossl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem",
             "-CAkey", ca + ".key", "-CAcreateserial", "-days", "2",
             "-extfile", name + ".ext", "-out", name + ".pem")


def cert(name):
    return os.path.join(CERTS, name + ".pem"), os.path.join(CERTS,
                                                            name + ".key")


class Nginx:
    """TLS in front of Elasticsearch: the private CA's server
    certificate, and a client certificate of that CA required."""

    def __init__(self):
        d = self.dir = os.path.join(tmp, "nginx")
        os.makedirs(d)
        os.chmod(d, 0o755)
        self.port = free_port()
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write("""worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log;
events {}
http {
    access_log off;
    client_body_temp_path %(d)s/body;
    proxy_temp_path %(d)s/proxy;
    fastcgi_temp_path %(d)s/fcgi;
    uwsgi_temp_path %(d)s/uwsgi;
    scgi_temp_path %(d)s/scgi;
    client_max_body_size 100m;
    server {
        listen 127.0.0.1:%(p)d ssl;
        ssl_certificate %(c)s/es.pem;
        ssl_certificate_key %(c)s/es.key;
        ssl_client_certificate %(c)s/ca.pem;
        ssl_verify_client on;
        location / { proxy_pass http://127.0.0.1:%(e)s; }
    }
}
""" % {"d": d, "p": self.port, "c": CERTS,
       "e": es_url.rsplit(":", 1)[1]})
        self.proc = subprocess.Popen(["nginx", "-p", d, "-e",
                                      os.path.join(d, "error.log"), "-c",
                                      os.path.join(d, "nginx.conf"), "-g",
                                      "daemon off;"])
        wait_port(self.port, self.proc, "nginx")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=30)


def wait_port(port, proc, what, timeout=30):
    end = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            check(proc.poll() is None, "%s exited at start" % what)
            check(time.monotonic() < end, "%s did not listen" % what)
            time.sleep(0.1)


def project_file(name, replace):
    """contrib/rsyslog/name with each (old, new) of replace applied;
    every old must occur, so that a changed file fails loudly here"""
    with open(os.path.join(RSYSLOG_DIR, name)) as f:
        text = f.read()
    for old, new in replace:
        check(old in text, "%s no longer holds %r" % (name, old))
        text = text.replace(old, new)
    return text


class Rsyslogd:
    """One rsyslogd of the test: a directory of its own holding its
    configuration, work files, pid file and internal log."""

    def __init__(self, name, files, head):
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir)
        includes = ""
        for fname, text in files:
            with open(os.path.join(self.dir, fname), "w") as f:
                f.write(text)
            includes += 'include(file="%s/%s")\n' % (self.dir, fname)
        self.conf = os.path.join(self.dir, "main.conf")
        with open(self.conf, "w") as f:
            f.write('global(workDirectory="%s" maxMessageSize="64k")\n'
                    % self.dir + head + includes +
                    'action(type="omfile" file="%s/rsyslogd.log")\n'
                    % self.dir)
        self.pid = os.path.join(self.dir, "pid")
        self.proc = None
        daemons.append(self)

    def start(self):
        if os.path.exists(self.pid):
            os.unlink(self.pid)     # left by a kill
        self.proc = subprocess.Popen(["rsyslogd", "-n", "-f", self.conf,
                                      "-i", self.pid])
        return self

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=60)

    def log(self):
        p = os.path.join(self.dir, "rsyslogd.log")
        return open(p, errors="replace").read()[-1500:] \
            if os.path.exists(p) else ""


def collector(n, nginx):
    port = free_port()
    ca = os.path.join(CERTS, "ca.pem")
    pem, key = cert("collector%d" % n)
    d = os.path.join(tmp, "collector%d" % n)
    es_conf = project_file("tlog-es.conf", [
        ('server="localhost"', 'server="https://127.0.0.1" '
         'tls.cacert="%s" tls.mycert="%s" tls.myprivkey="%s"'
         % (ca, pem, key)),
        ('serverport="9200"', 'serverport="%d"' % nginx.port),
        ("/var/log/rsyslog-tlog-errors.json", d + "/tlog-err")])
    coll_conf = project_file("tlog-collector.conf", [
        ('port="2514"', 'port="%d" address="127.0.0.1"' % port),
        ("example.com", "tlog.test"),
        ("/etc/tlog/relp/ca.pem", ca),
        ("/etc/tlog/relp/collector.pem", pem),
        ("/etc/tlog/relp/collector.key", key)])
    rs = Rsyslogd("collector%d" % n, [("tlog-es.conf", es_conf),
                                      ("tlog-collector.conf", coll_conf)],
                  "")
    rs.port = port
    rs.start()
    wait_port(port, rs.proc, "collector %d" % n)
    return rs


def host(c1, c2):
    ensure_user(AGENT_USER, system=True)
    pem, key = cert("host1")
    relp = project_file("tlog-relp.conf", [
        ('target="collector1.example.com" port="2514"',
         'target="127.0.0.1" port="%d"' % c1.port),
        ('target="collector2.example.com" port="2514"',
         'target="127.0.0.1" port="%d"' % c2.port),
        ("example.com", "tlog.test"),
        ("/etc/tlog/relp/ca.pem", os.path.join(CERTS, "ca.pem")),
        ("/etc/tlog/relp/host.pem", pem),
        ("/etc/tlog/relp/host.key", key)])
    claim = project_file("tlog.conf", [
        ("@TLOG_RECD_UID@", str(pwd.getpwnam(AGENT_USER).pw_uid))])
    sock = os.path.join(tmp, "host", "log.sock")
    rs = Rsyslogd("host", [("tlog-relp.conf", relp), ("tlog.conf", claim)],
                  'module(load="imuxsock" SysSock.Use="off")\n'
                  'input(type="imuxsock" Socket="%s" RateLimit.Interval="0"'
                  ' Annotate="on" ParseTrusted="on")\n' % sock)
    rs.sock = sock
    rs.start()
    end = time.monotonic() + 10
    while not os.path.exists(sock):
        check(rs.proc.poll() is None and time.monotonic() < end,
              "the host's rsyslogd did not start: %s" % rs.log())
        time.sleep(0.05)
    return rs


def relp_frame(txnr, command, data=b""):
    return b"%d %s %d%s\n" % (txnr, command, len(data),
                              b" " + data if data else b"")


def relp_send(port, name, messages):
    """Talk RELP over TLS to a collector as a peer with certificate name
    (None: none): open a session, send messages, wait for their acks.
    Returns everything the collector answered, b"" if it refused."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.load_verify_locations(os.path.join(CERTS, "ca.pem"))
    if name is not None:
        ctx.load_cert_chain(*cert(name))
    got = b""
    try:
        with socket.create_connection(("127.0.0.1", port), 5) as raw:
            with ctx.wrap_socket(raw) as s:
                s.settimeout(5)
                s.sendall(relp_frame(1, b"open", b"relp_version=0\n"
                                     b"relp_software=collectors_test\n"
                                     b"commands=syslog"))
                for i, m in enumerate(messages):
                    s.sendall(relp_frame(i + 2, b"syslog", m))
                want = b"%d rsp " % (len(messages) + 1)
                while want not in got:
                    data = s.recv(65536)
                    if not data:
                        break
                    got += data
    except (OSError, ssl.SSLError):
        pass
    return got


def doc_message(rec, text, tag="tlog-doc"):
    doc = {"ver": "2.3", "host": "direct.tlog.test", "rec": rec,
           "user": RECORDED, "term": "xterm", "session": 1, "id": 1,
           "pos": 0, "time": round(time.time(), 3),
           "timing": ">%d" % len(text), "in_txt": "", "in_bin": [],
           "out_txt": text, "out_bin": []}
    return ("<86>1 %s direct.tlog.test %s - - - %s" % (
        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), tag,
        json.dumps(doc))).encode()


@case("a collector refuses a peer without a permitted certificate")
def refused():
    port = coll[1].port
    # a permitted host is taken: its message is acknowledged and stored
    got = relp_send(port, "host1", [doc_message("direct-permitted", "ok")])
    check(b"1 rsp" in got and b"200 OK" in got and b"2 rsp 6 200 OK" in got,
          "the permitted host was not served: %r" % got)
    for name in ("rogue", "impostor", None):
        got = relp_send(port, name, [doc_message("direct-" + str(name),
                                                 "forged")])
        check(b"200 OK" not in got, "peer %s was served: %r" % (name, got))
    end = time.monotonic() + 60
    while count('rec:"direct-permitted"') != 1:
        check(time.monotonic() < end, "the permitted host's message "
              "never reached Elasticsearch: %s" % coll[1].log())
        time.sleep(0.5)
    # nothing of the refused peers got anywhere
    time.sleep(3)
    for name in ("rogue", "impostor", None):
        check(count('rec:"direct-%s"' % name) == 0,
              "a message of peer %s was stored" % name)


def session_script(k):
    """What session k runs for some 45 seconds: lines, a burst, text in
    several scripts, control sequences, bytes that are not UTF-8"""
    return ("echo mark-k%d-begin; for i in $(seq 1 40); do "
            "echo k%d-line-$i; printf 'caf\\303\\251 \\342\\202\\254 "
            "\\033[1mbold\\033[0m tab\\there del\\177 bad\\377\\376\\n'; "
            "if [ $((i %% 10)) -eq %d ]; then seq 1 3000; fi; "
            "sleep 1; done; echo mark-k%d-end" % (k, k, k % 10, k))


def rec_with(marker, timeout):
    end = time.monotonic() + timeout
    while True:
        es("POST", "/tlog-*/_refresh")
        r = es("POST", "/tlog-*/_search", {"size": 1, "query": {
            "match_phrase": {"out_txt": marker}}})
        hits = r.get("hits", {}).get("hits", [])
        if hits:
            return hits[0]["_source"]["rec"], hits[0]["_index"]
        if time.monotonic() > end:
            return None, None
        time.sleep(0.5)


def play_ours(rec):
    p = subprocess.run([PLAY, "-r", "es", "--es-baseurl",
                        es_url + "/tlog-*/_search", "--es-query",
                        'rec:"%s"' % rec, "-g", "end"], capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=300)
    return p.stdout if p.returncode == 0 else None


def play_error(rec):
    """Why our tlog-play does not play rec, and its message ids"""
    p = subprocess.run([PLAY, "-r", "es", "--es-baseurl",
                        es_url + "/tlog-*/_search", "--es-query",
                        'rec:"%s"' % rec, "-g", "end"], capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=300)
    r = es("POST", "/tlog-*/_search", {
        "size": 10000, "_source": ["id"],
        "query": {"query_string": {"query": 'rec:"%s"' % rec}}})
    ids = sorted(h["_source"]["id"] for h in r["hits"]["hits"])
    missing = sorted(set(range(1, ids[-1] + 1)) - set(ids)) if ids else []
    return "%s (%d messages, last id %s, missing %r)" % (
        p.stderr.decode(errors="replace").strip()[-300:], len(ids),
        ids[-1] if ids else None, missing[:20])


def play_reference(rec, index):
    r, w = os.pipe()
    try:
        p = subprocess.run([REF_PLAY, "-r", "es", "--es-baseurl",
                            "%s/%s/_search" % (es_url, index), "--es-query",
                            'rec:"%s"' % rec, "-g", "end"], stdin=r,
                           capture_output=True, timeout=600)
    finally:
        os.close(r)
        os.close(w)
    check(p.returncode == 0 and p.stdout.endswith(TRAILER),
          "the reference tlog-play -r es failed: %r" % p.stderr[-300:])
    return p.stdout[:-len(TRAILER)]


def differ(got, want):
    at = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
              min(len(got), len(want)))
    return "at byte %d of %d/%d: %r vs %r" % (at, len(got), len(want),
                                              got[at:at + 40],
                                              want[at:at + 40])


@case("ten sessions, collector 1 killed mid-run: all stored once, "
      "byte-exact")
def failover():
    ensure_user(RECORDED)
    agent = Agent("agent", ["--writer", "syslog", "--syslog-socket",
                            host_rs.sock, "--latency", "1", "--payload",
                            "1024"], file_writer=False).start()
    try:
        with open(os.path.join(CONF_DIR, "tlog-rec-session.conf"),
                  "w") as f:
            json.dump({"notice": "", "shell": "/bin/sh",
                       "agent": {"socket": agent.sock}}, f)
        terms = [Term([SESSION, "-c", session_script(k)], user=RECORDED)
                 for k in range(SESSIONS)]
        status = [None] * SESSIONS

        def run(k):
            status[k] = terms[k].finish(timeout=240)
        threads = [threading.Thread(target=run, args=(k,))
                   for k in range(SESSIONS)]
        for t in threads:
            t.start()
        # collector 1 takes the traffic until it is killed
        end = time.monotonic() + 60
        while count("*") < 200:
            check(time.monotonic() < end, "nothing arrived through "
                  "collector 1: %s %s" % (host_rs.log(), coll[1].log()))
            time.sleep(0.5)
        coll[1].kill()
        killed = count("*")
        # collector 2 takes over
        end = time.monotonic() + 60
        while count("*") < killed + 200:
            check(time.monotonic() < end, "nothing arrived through "
                  "collector 2 after collector 1 was killed: %s %s"
                  % (host_rs.log(), coll[2].log()))
            time.sleep(0.5)
        time.sleep(10)
        coll[1].start()
        wait_port(coll[1].port, coll[1].proc, "collector 1 again")
        for t in threads:
            t.join()
        check(status == [0] * SESSIONS, "sessions ended with %r" % status)
        # the agent runs on, as it would on a host: what rsyslogd could
        # not take at once waits in its spool and goes out after the
        # sessions' end
        all_arrive(terms)
    finally:
        agent.stop()


def all_arrive(terms):
    """Every recording of terms arrives whole, once, and plays byte-exact
    in ours and in the reference tlog-play"""
    recs = []
    for k in range(SESSIONS):
        rec, index = rec_with("mark-k%d-begin" % k, 60)
        check(rec is not None, "session %d never arrived" % k)
        recs.append((rec, index))
    end = time.monotonic() + 180
    pending = list(range(SESSIONS))
    while pending:
        pending = [k for k in pending
                   if play_ours(recs[k][0]) != terms[k].screen]
        if pending and time.monotonic() > end:
            k = pending[0]
            got = play_ours(recs[k][0])
            check(False, "%d recordings differ from their screens, "
                  "session %d %s" % (len(pending), k, differ(
                      got, terms[k].screen) if got is not None else
                      "does not play: %s" % play_error(recs[k][0])))
        time.sleep(1)
    for k, (rec, index) in enumerate(recs):
        es("POST", "/tlog-*/_refresh")
        r = es("POST", "/tlog-*/_search", {
            "size": 10000, "sort": [{"id": "asc"}],
            "query": {"query_string": {"query": 'rec:"%s"' % rec}}})
        msgs = [h["_source"] for h in r["hits"]["hits"]]
        ids = [m["id"] for m in msgs]
        check(len(ids) > 40 and ids == list(range(1, len(ids) + 1)),
              "session %d: ids not 1..N: %r" % (
                  k, [i for a, i in zip(ids, ids[1:]) if i != a + 1][:5]))
        # each host/rec/id once: as many documents as ids
        check(count('rec:"%s"' % rec) == len(ids),
              "session %d: %d documents for %d ids" % (
                  k, count('rec:"%s"' % rec), len(ids)))
        check("x_tlog_end" in msgs[-1], "session %d: the last message "
              "is no end message: %r" % (k, sorted(msgs[-1])))
        check(all(m.get("x_tlog_sender", {}).get("uid") ==
                  pwd.getpwnam(AGENT_USER).pw_uid for m in msgs),
              "session %d: x_tlog_sender lost on the way" % k)
        got = play_reference(rec, index)
        check(got == terms[k].screen, "session %d: the reference "
              "tlog-play differs from the screen %s" % (
                  k, differ(got, terms[k].screen)))
        p = subprocess.run([PLAY, "-r", "es", "--es-baseurl",
                            es_url + "/tlog-*/_search", "--es-query",
                            'rec:"%s"' % rec, "--list"],
                           capture_output=True, timeout=60)
        out = p.stdout.decode(errors="replace")
        check(p.returncode == 0 and out.startswith(rec) and
              "cut short" not in out, "session %d: --list said %r"
              % (k, out))


@case("a forgery on the host becomes an event through the collectors")
def forgery():
    ensure_user(FORGER)
    claim = json.dumps({"ver": "2.3", "host": socket.gethostname(),
                        "rec": "forged-through-relp", "user": RECORDED,
                        "id": 1})
    p = subprocess.run(["runuser", "-u", FORGER, "--", "logger", "-u",
                        host_rs.sock, "-t", "tlog-rec-session", claim],
                       capture_output=True, timeout=30)
    check(p.returncode == 0, "logger: %r" % p.stderr)
    end = time.monotonic() + 60
    while count('claimed.rec:"forged-through-relp"', "tlog_forgery-*") != 1:
        check(time.monotonic() < end, "no forgery event arrived")
        time.sleep(0.5)
    check(count('rec:"forged-through-relp"') == 0,
          "the forgery was stored as a recording")
    r = es("POST", "/tlog_forgery-*/_search", {"query": {"query_string": {
        "query": 'claimed.rec:"forged-through-relp"'}}})
    ev = r["hits"]["hits"][0]["_source"]
    check(ev.get("reason") == "not-agent" and ev.get("sender", {}).get(
        "uid") == pwd.getpwnam(FORGER).pw_uid, "the event: %r" % ev)


coll = {}
host_rs = None


def main():
    global es_url, host_rs
    if os.getuid() != 0:
        print("FAIL setup: run as root (starts Elasticsearch and rsyslogd)")
        return 1
    es_url = start_elasticsearch(ES_DIR, "collectors")
    if es_url is None:
        stop_elasticsearch(ES_DIR)
        return 1
    nginx = None
    try:
        make_certs()
        nginx = Nginx()
        coll[1] = collector(1, nginx)
        coll[2] = collector(2, nginx)
        host_rs = host(coll[1], coll[2])
        private_tlog_conf(CONF_DIR)
        return run_cases("collectors", sys.argv[1:])
    except Exception as e:
        print("FAIL setup: %s" % e)
        print("collectors: 0 passed, 1 failed")
        return 1
    finally:
        for d in daemons:
            try:
                d.stop()
            except Exception:
                pass
        if nginx is not None:
            nginx.stop()
        stop_elasticsearch(ES_DIR)


if __name__ == "__main__":
    sys.exit(main())
