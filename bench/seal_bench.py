#!/usr/bin/env python3
"""Sealing and verifying speed, against the time to read the same
messages.

Usage: python3 bench/seal_bench.py BUILD [MESSAGES] [ROUNDS]

Writes one recording of MESSAGES messages (default 50,000; about 1.1 KB
each, text and a few invalid bytes, an end message last) and times, best
of ROUNDS (default 5), each program pinned to one core:
- reference: tlog-play --export text of the file (reads, parses and
  decodes every message once);
- tlog-seal over the file on standard input, checkpoints to a file
  (every 100 messages), state saved after every message as rsyslog's
  omprog action has it, OK written for each;
- tlog-verify of the file against those checkpoints.
Wall time and CPU (user + system); messages per second of CPU for the
sealer.  The verification must be clean, or the run fails.

Then, once, the path rsyslog takes (run as root): a private rsyslogd
reads the messages from its socket and hands them to tlog-seal through
contrib/rsyslog/tlog-seal.conf (omprog, one message and its OK at a
time, the action's disk queue); timed from the first message sent to the
end message's checkpoint written.  Reference in the same run: the same
rsyslogd writing the same messages to a file through an action with the
same disk queue.
"""
import json
import os
import socket
import resource
import shutil
import subprocess
import sys
import tempfile
import time


def run(cmd, stdin=None, stdout=subprocess.DEVNULL):
    """Wall and CPU seconds of cmd, pinned to core 0"""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(["taskset", "-c", "0"] + cmd, stdin=stdin,
                       stdout=stdout, stderr=subprocess.PIPE)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit("%s: exit %d: %s" % (cmd[0], p.returncode,
                                      p.stderr.decode()))
    cpu = (after.ru_utime - before.ru_utime) + \
          (after.ru_stime - before.ru_stime)
    return wall, cpu


TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

MAIN_CONF = """
global(workDirectory="%(d)s" maxMessageSize="64k")
main_queue(queue.type="Direct")
module(load="imuxsock" SysSock.Use="off")
module(load="mmjsonparse")
input(type="imuxsock" Socket="%(d)s/log.sock" RateLimit.Interval="0"
      ruleset="in")
ruleset(name="in") {
    action(type="mmjsonparse" cookie="" container="$.tlog!msg")
    call tlog-seal
}
"""


def tail_has(path, what):
    """Whether the last 4 KB of the file at path hold what"""
    with open(path, "rb") as f:
        f.seek(max(0, os.path.getsize(path) - 4096))
        return what in f.read()


def through_rsyslog(d, lines, seal_cmd, plain, cps_size=0, memory=False):
    """Seconds from the first message sent to rsyslogd until its action
    has them all: tlog-seal's end checkpoint written, or (plain) the
    file holding every message"""
    w = os.path.join(d, "rsyslog-%s-%s" % ("plain" if plain else "seal",
                                          "mem" if memory else "disk"))
    os.makedirs(w)
    with open(os.path.join(TOP, "contrib", "rsyslog", "tlog-seal.conf")) as f:
        conf = f.read()
    conf = conf.replace('binary="/usr/sbin/tlog-seal"',
                        'binary="%s"' % seal_cmd)
    conf = conf.replace("/var/log/tlog-seal.log",
                        os.path.join(w, "seal.log"))
    out = os.path.join(w, "out")
    if memory:
        conf = conf.replace('queue.type="Disk"', 'queue.type="LinkedList"')
    if plain:
        conf = conf.replace('type="omprog"', 'type="omfile" file="%s"' % out)
        for opt in ('binary=', 'confirmMessages=', 'killUnresponsive=',
                    'output='):
            conf = "\n".join(ln for ln in conf.split("\n")
                             if not ln.strip().startswith(opt))
    with open(os.path.join(w, "tlog-seal.conf"), "w") as f:
        f.write(conf)
    with open(os.path.join(w, "main.conf"), "w") as f:
        f.write(MAIN_CONF % {"d": w} +
                'include(file="%s/tlog-seal.conf")\n' % w)
    p = subprocess.Popen(["taskset", "-c", "1", "rsyslogd", "-n", "-f",
                          os.path.join(w, "main.conf"), "-i",
                          os.path.join(w, "pid")],
                         stderr=open(os.path.join(w, "stderr"), "w"))
    sock = os.path.join(w, "log.sock")
    while not os.path.exists(sock):
        time.sleep(0.05)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    t0 = time.monotonic()
    for ln in lines:
        s.sendto(b"<86>tlog-recd: " + ln, sock)
    while True:
        if plain and os.path.exists(out) and tail_has(out, b"x_tlog_end"):
            break
        if not plain and os.path.exists(seal_cmd.split()[-1]) and \
                os.path.getsize(seal_cmd.split()[-1]) >= cps_size:
            break
        if time.monotonic() - t0 > 600:
            sys.exit("rsyslogd did not pass every message in 600 s")
        time.sleep(0.05)
    took = time.monotonic() - t0
    p.terminate()
    p.wait()
    return took


def main():
    build = os.path.abspath(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 50000
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    d = tempfile.mkdtemp(prefix="seal_bench.")
    seal = os.path.join(build, "seal", "tlog-seal")
    verify = os.path.join(build, "seal", "tlog-verify")
    play = os.path.join(build, "play", "tlog-play")
    try:
        rec = os.path.join(d, "rec.json")
        text = "".join("%04d: the quick brown fox jumps over the lazy dog\r\n"
                       % i for i in range(20))
        with open(rec, "w") as f:
            for i in range(1, n + 1):
                m = {"ver": "2.3", "host": "bench.example",
                     "rec": "bench-rec", "user": "someone", "term": "xterm",
                     "session": 7, "id": i, "pos": i * 10,
                     "time": 1795321501.554 + i / 100,
                     "timing": "=80x24>%d]1/2" % len(text), "in_txt": "",
                     "in_bin": [], "out_txt": text + "\ufffd",
                     "out_bin": [255, 254],
                     "x_tlog_sender": {"uid": 999, "gid": 999,
                                       "pid": 1234,
                                       "exe": "/usr/sbin/tlog-recd"}}
                if i == n:
                    m["x_tlog_end"] = {"exit": 0}
                    m["timing"], m["out_txt"], m["out_bin"] = "", "", []
                f.write(json.dumps(m, separators=(",", ":")) + "\n")
        size = os.path.getsize(rec)
        key = os.path.join(d, "seal")
        subprocess.run([seal, "--generate-key", key], check=True,
                       stdout=subprocess.DEVNULL)
        best = {}

        def keep(name, r):
            if name not in best or r[0] < best[name][0]:
                best[name] = r

        for _ in range(rounds):
            keep("read", run([play, "-r", "file", "-i", rec, "--export",
                              "text"]))
            state = os.path.join(d, "state")
            cps = os.path.join(d, "cps.json")
            shutil.rmtree(state, ignore_errors=True)
            if os.path.exists(cps):
                os.unlink(cps)
            with open(rec) as f:
                keep("seal", run([seal, "--key", key + ".key",
                                  "--state-dir", state, "--every", "100",
                                  "--checkpoint-file", cps], stdin=f))
            out = os.path.join(d, "verdict")
            with open(out, "w") as f:
                keep("verify", run([verify, "-i", rec, "-c", cps, "-k",
                                    key + ".pub"], stdout=f))
            with open(out) as f:
                verdict = f.read()
            if ": clean:" not in verdict:
                sys.exit("not clean: " + verdict)
        print("%d messages, %.1f MB, best of %d, one core" %
              (n, size / 1e6, rounds))
        print("| what | wall | CPU | messages/s (CPU) | vs reading |")
        print("|---|---|---|---|---|")
        ref = best["read"][0]
        for name, what in (("read", "read and decode (`tlog-play"
                            " --export text`), reference"),
                           ("seal", "seal (`tlog-seal`, checkpoint every"
                            " 100)"),
                           ("verify", "verify (`tlog-verify`)")):
            wall, cpu = best[name]
            print("| %s | %.3f s | %.3f s | %.0f | %.2fx |" %
                  (what, wall, cpu, n / cpu if cpu else 0, wall / ref))
        if os.getuid() == 0:
            with open(rec, "rb") as f:
                lines = f.read().splitlines()
            print()
            print("| through rsyslogd (rsyslogd on core 1) | wall |"
                  " messages/s | vs plain |")
            print("|---|---|---|---|")
            for memory in (False, True):
                queue = "queue in memory (LinkedList)" if memory else \
                    "the contrib file's disk queue"
                plain = through_rsyslog(d, lines, "", True, memory=memory)
                cmd = "%s --key %s --state-dir %s --every 100" \
                      " --checkpoint-file %s" % \
                      (seal, key + ".key", os.path.join(d, "st-%d" % memory),
                       os.path.join(d, "cps-%d" % memory))
                # every checkpoint of the direct run has the same size but
                # for its time: all written when the file is that size
                sealed = through_rsyslog(d, lines, cmd, False,
                                         os.path.getsize(cps), memory)
                print("| to a file (omfile), %s, reference | %.3f s | %.0f |"
                      " 1.00x |" % (queue, plain, n / plain))
                print("| to tlog-seal (omprog, confirmMessages), %s | %.3f s"
                      " | %.0f | %.2fx |" % (queue, sealed, n / sealed,
                                             sealed / plain))
    finally:
        shutil.rmtree(d)


if __name__ == "__main__":
    main()
