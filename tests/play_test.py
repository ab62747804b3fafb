#!/usr/bin/env python3
"""Integration tests of tlog-play.

Recordings with exact timing are made by tests/codec from packet
scripts; the player runs under a real PTY (ptyterm.Term) for every key,
follow mode, seeks, search, max-idle, speed and the safety filter, and
to files and pipes for dumps, listings and exports.
"""
import json
import os
import pwd
import subprocess
import sys
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nsexec import reexec_in_namespace  # noqa: E402

# The journal cases start a journal of their own: as root, the script
# runs again in a private mount namespace, where it may
if os.getuid() == 0:
    reexec_in_namespace("TLOG_PLAY_TEST_NS", __file__)

from ptyterm import Term  # noqa: E402
from progtest import (AGENT_USER, BUILD, CODEC, CUT_SHORT, REC,  # noqa
                      case, check, decode, end_message, ensure_user, has_end,
                      messages, path_for, run_cases, tmp)
from privjournal import PrivateJournald, journal_send_as  # noqa: E402

PLAY = os.path.join(BUILD, "play", "tlog-play")


def make(name, packets, payload=2048):
    """A recording from (ms, kind, data) packets: kind o, i or w."""
    lines = []
    for ms, kind, data in packets:
        if kind == "w":
            lines.append("w %d %d %d" % (ms, data[0], data[1]))
        else:
            lines.append("%s %d %s" % (kind, ms, data.hex()))
    lines.append("e %d" % (packets[-1][0] + 1))
    path = path_for(name)
    p = subprocess.run([CODEC, "encode", "-p", str(payload), "-o", path],
                       input="\n".join(lines).encode() + b"\n",
                       capture_output=True)
    check(p.returncode == 0, "codec: %r" % p.stderr)
    # ended as the recorders end a recording, so that it plays complete
    if not has_end(messages(path)):
        end_message(path)
    return path


def ticks(name, count, step_ms, size=(80, 24)):
    """A recording showing "tick N" every step_ms."""
    pk = [(0, "w", size)]
    pk += [(i * step_ms, "o", b"tick %d\r\n" % i) for i in range(count)]
    return make(name, pk)


def play(args, **kw):
    return Term([PLAY] + args, **kw)


def shown_at(t, text, timeout=10):
    """Seconds until text shows on t's screen."""
    start = time.monotonic()
    check(t.wait_for(text, timeout), "%r never shown" % text)
    return time.monotonic() - start


def quit_ok(t):
    t.send(b"q")
    st = t.finish(timeout=10)
    check(st == 0, "exit status %r" % st)
    check(t.termios()[3] & termios.ECHO, "terminal not restored")


@case("dump to a file: exactly the recorded bytes, stdin at its end")
def dump():
    rec = make("dump", [(0, "w", (80, 24)), (5, "o", b"a\x1b[6nb\xff\r\n"),
                        (3000, "o", b"later\r\n")])
    start = time.monotonic()
    p = subprocess.run([PLAY, "--goto=end", "-i", rec], capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=20)
    check(p.returncode == 0, "exit %d %r" % (p.returncode, p.stderr))
    check(p.stdout == b"a\x1b[6nb\xff\r\nlater\r\n", "dump %r" % p.stdout)
    check(time.monotonic() - start < 2, "the dump waited")
    # without --goto it keeps the recorded time, and reads nothing
    start = time.monotonic()
    p = subprocess.run([PLAY, "-i", rec], capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=20)
    took = time.monotonic() - start
    check(p.stdout == b"a\x1b[6nb\xff\r\nlater\r\n", "play %r" % p.stdout)
    check(2.5 < took < 6, "played in %.1f s, recorded 3 s" % took)


@case("to a terminal: the recorded bytes exactly, then a reset")
def terminal_exact():
    data = b"plain \x1b[1mbold\x1b[0m caf\xc3\xa9 \xff\r\nline\n\tend\r\n"
    rec = make("exact", [(0, "w", (80, 24)), (5, "o", data)])
    t = play(["-i", rec])
    st = t.finish(timeout=10)
    check(st == 0, "exit status %r" % st)
    check(t.screen == data + b"\x1b[0m\x1b[?25h\r\n",
          "the screen got %r" % t.screen)


@case("several recordings: an error listing them, -m picks, --list")
def several():
    path = path_for("several")
    for word in ("first", "second"):
        subprocess.run([REC, "-o", path, "echo", word], check=True,
                       stdin=subprocess.DEVNULL, capture_output=True)
    p = subprocess.run([PLAY, "-i", path], capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=20)
    check(p.returncode == 1 and b"holds 2 recordings" in p.stderr,
          "no listing error: %r" % p.stderr)
    every = [json.loads(ln)["rec"] for ln in open(path)]
    recs = list(dict.fromkeys(every))
    check(all(r.encode() in p.stderr for r in recs), "ids not listed")
    p = subprocess.run([PLAY, "--list", "-i", path], capture_output=True,
                       timeout=20)
    lines = p.stdout.decode().splitlines()
    check(len(lines) == 2 and all(ln.startswith(r) and "messages %d  end "
                                  "exit 0" % every.count(r) in ln
                                  for r, ln in zip(recs, lines)),
          "--list %r" % lines)
    p = subprocess.run([PLAY, "-g", "end", "-m", recs[1], "-i", path],
                       capture_output=True, stdin=subprocess.DEVNULL,
                       timeout=20)
    check(p.stdout == b"second\n", "-m played %r" % p.stdout)
    p = subprocess.run([PLAY, "-m", "nosuch", "-i", path],
                       capture_output=True, timeout=20)
    check(p.returncode == 1 and b"no recording nosuch" in p.stderr,
          "bad -m %r" % p.stderr)


@case("errors: a malformed recording names the line and field")
def malformed():
    rec = ticks("bad", 3, 10)
    lines = open(rec).read().splitlines()
    m = json.loads(lines[0])
    m["timing"] = m["timing"] + ">99"
    path = path_for("bad2")
    with open(path, "w") as f:
        f.write(json.dumps(m) + "\n")
    p = subprocess.run([PLAY, "-g", "end", "-i", path], capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=20)
    check(p.returncode == 1 and b"line 1: field \"timing\"" in p.stderr and
          b"more characters than out_txt holds" in p.stderr,
          "said %r" % p.stderr)
    # a gap: strict refuses with the hint, --lax plays on
    pk = [(0, "w", (80, 24))] + [(i, "o", b"m%03d " % i) for i in range(60)]
    rec = make("gap", pk, payload=40)
    lines = open(rec).read().splitlines()
    check(len(lines) > 10, "setup: %d messages" % len(lines))
    path = path_for("gap2")
    with open(path, "w") as f:
        f.write("\n".join(lines[:4] + lines[6:]) + "\n")
    p = subprocess.run([PLAY, "-g", "end", "-i", path], capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=20)
    check(p.returncode == 1 and b"line 5: message id 7 follows id 4 (2"
          b" messages missing; --lax plays on)" in p.stderr,
          "strict said %r" % p.stderr)
    p = subprocess.run([PLAY, "--lax", "-g", "end", "-i", path],
                       capture_output=True, stdin=subprocess.DEVNULL,
                       timeout=20)
    check(p.stdout.endswith(b"m059 "), "--lax played %r" % p.stdout[-40:])
    check(p.returncode == CUT_SHORT and b"is cut short: messages are missing"
          b" after message 4" in p.stderr, "--lax exit %d %r"
          % (p.returncode, p.stderr))


@case("speed: -s 4 plays 4 s in about 1 s; } doubles, backspace resets")
def speed():
    rec = ticks("speed", 9, 500)
    t = play(["-s", "4", "-i", rec])
    took = shown_at(t, b"tick 8")
    check(0.6 < took < 2.0, "took %.2f s at 4x for 4 s" % took)
    quit_ok(t)
    t = play(["-i", rec])
    t.wait_for(b"tick 0")
    t.send(b"}}}")         # 8x
    took = shown_at(t, b"tick 8")
    check(took < 1.5, "took %.2f s after }}}" % took)
    quit_ok(t)
    t = play(["-i", rec])
    t.wait_for(b"tick 0")
    t.send(b"}}}\x7f")     # back to 1x
    took = shown_at(t, b"tick 4")
    check(took > 1.5, "backspace did not reset the speed (%.2f s)" % took)
    quit_ok(t)


@case("pause: -p waits; space plays; . steps; { halves")
def pause():
    rec = ticks("pause", 5, 300)
    t = play(["-p", "-i", rec])
    t.pump(1.0)
    check(b"tick 0" not in t.screen, "played while paused")
    t.send(b".")
    check(t.wait_for(b"tick 0", 2), "step did not play a packet")
    t.pump(0.8)
    check(b"tick 1" not in t.screen, "played on after a step")
    t.send(b" ")
    check(t.wait_for(b"tick 2", 3), "space did not resume")
    t.send(b"p")
    t.pump(1.0)
    check(b"tick 4" not in t.screen, "p did not pause")
    t.send(b"{p")           # half speed: 300 ms steps take 600 ms
    took = shown_at(t, b"tick 4")
    check(took > 0.4, "{ did not slow down (%.2f s)" % took)
    quit_ok(t)


@case("goto: G to the end, 3G to 3 s, --goto on the command line")
def goto():
    rec = ticks("goto", 20, 1000)
    t = play(["-i", rec])
    t.wait_for(b"tick 0")
    t.send(b"3G")
    check(t.wait_for(b"tick 3", 1.5), "3G did not go to 3 s")
    t.pump(0.3)
    check(b"tick 5" not in t.screen, "3G went too far")
    t.send(b"G")
    check(t.wait_for(b"tick 19", 1.5), "G did not go to the end")
    st = t.finish(timeout=5)
    check(st == 0, "did not end after G: %r" % st)
    t = play(["-g", "0:05", "-i", rec])
    check(t.wait_for(b"tick 5", 1.5), "--goto 0:05")
    quit_ok(t)


@case("seek: right arrow 10 s forward, left arrow back (replay)")
def seek():
    rec = ticks("seek", 40, 1000)
    t = play(["-i", rec])
    t.wait_for(b"tick 0")
    t.send(b"\x1b[C")
    check(t.wait_for(b"tick 10", 1.5), "right arrow")
    t.pump(0.2)
    check(b"tick 12" not in t.screen, "went past 10 s")
    t.send(b"\x1b[C")
    check(t.wait_for(b"tick 20", 1.5), "second right arrow")
    mark = len(t.screen)
    t.send(b"\x1b[D")
    check(t.wait_for(b"\x1bc", 1.5), "no screen reset for the replay")
    t.pump(0.5)
    after = t.screen[mark:]
    check(b"tick 10" in after and b"tick 13" not in after,
          "left arrow replayed %r" % after[-60:])
    quit_ok(t)


@case("search: / jumps to the next hit and pauses; not found goes back")
def search():
    pk = [(0, "w", (80, 24))]
    pk += [(i * 1000, "o", b"line %d\r\n" % i) for i in range(30)]
    pk[18] = (17 * 1000, "o", b"the nee")      # the hit spans two packets
    pk.insert(19, (17 * 1000 + 500, "o", b"dle is here\r\n"))
    rec = make("search", pk)
    t = play(["-i", rec])
    t.wait_for(b"line 0")
    t.send(b"/needle\r")
    check(t.wait_for(b"dle is here", 2), "search did not reach the hit")
    t.pump(1.0)
    check(b"line 19" not in t.screen, "did not pause at the hit")
    mark = len(t.screen)
    t.send(b"/nowhere\r")
    check(t.wait_for(b"not found: nowhere", 3), "no not-found message")
    check(b"\x1bc" in t.screen[mark:], "did not go back after a miss")
    quit_ok(t)


@case("max-idle: a 30 s pause plays as 1 s")
def max_idle():
    rec = make("idle", [(0, "w", (80, 24)), (0, "o", b"before\r\n"),
                        (30000, "o", b"after\r\n")])
    t = play(["--max-idle=1", "-i", rec])
    t.wait_for(b"before")
    took = shown_at(t, b"after")
    check(0.6 < took < 2.5, "the pause took %.1f s" % took)
    t.finish(timeout=5)


@case("follow: new messages play as the file grows")
def follow():
    rec = path_for("follow")
    writer = subprocess.Popen([REC, "--latency=1", "-o", rec, "sh", "-c",
                               "echo early; sleep 2; echo late; sleep 1"],
                              stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL)
    end = time.monotonic() + 5
    while (not os.path.exists(rec) or os.path.getsize(rec) == 0) and \
            time.monotonic() < end:
        time.sleep(0.05)
    t = play(["-f", "-i", rec])
    check(t.wait_for(b"early", 3), "no early output")
    check(t.wait_for(b"late", 6), "followed output never came")
    writer.wait(timeout=10)
    quit_ok(t)


HOSTILE = (b"start "
           b"\x1b[6n"            # DSR: cursor position report
           b"\x1b[c\x1b[>c"      # DA1, DA2
           b"\x1b[21t\x1b[14t"   # title and window size reports
           b"\x1b]52;c;aGVsbG8=\x07"          # OSC 52: set the clipboard
           b"\x1b]52;c;?\x1b\\"               # OSC 52: read the clipboard
           b"\x1bP$qm\x1b\\"     # DECRQSS
           b"\x1bP+q544e\x1b\\"  # XTGETTCAP
           b"\x1b]11;?\x07"      # background colour query
           b"\x05"               # ENQ: answerback
           b"\x1bZ"              # DECID
           b"\xc2\x9b6n"         # DSR with a UTF-8 C1 CSI
           b"\x1b[?1$p"          # DECRQM
           b"\x1b[1;31mred\x1b[0m \x1b]0;a title\x07"
           b"caf\xc3\xa9 end\r\n")


@case("safety: a hostile recording gets no answer-back through")
def safety():
    # the queries split across packets, to test the filter's state
    pk = [(0, "w", (80, 24))]
    pk += [(10 + i, "o", HOSTILE[i * 7:(i + 1) * 7])
           for i in range((len(HOSTILE) + 6) // 7)]
    rec = make("hostile", pk)
    t = play(["-i", rec])
    check(t.wait_for(b" end\r\n", 5), "the recording did not play")
    quit_ok(t)
    bad = [b"\x1b[6n", b"\x1b[c", b"\x1b[>c", b"\x1b[21t", b"\x1b[14t",
           b"\x1b]52", b"\x1bP", b"\x1b]11;?", b"\x05", b"\x1bZ",
           b"\xc2\x9b", b"$p"]
    for b in bad:
        check(b not in t.screen, "%r reached the terminal" % b)
    for good in (b"start ", b"\x1b[1;31mred\x1b[0m", b"\x1b]0;a title\x07",
                 b"caf\xc3\xa9 end"):
        check(good in t.screen, "%r was lost" % good)
    # --raw passes everything
    t = play(["--raw", "-i", rec])
    check(t.wait_for(b" end\r\n", 5), "raw: did not play")
    quit_ok(t)
    check(HOSTILE in t.screen, "--raw changed the output")


@case("window size differing from the terminal is said once")
def window_notice():
    rec = make("bigwin", [(0, "w", (132, 43)), (5, "o", b"wide\r\n"),
                          (10, "w", (100, 40)), (15, "o", b"again\r\n")])
    t = play(["-i", rec], cols=80, rows=24)
    check(t.wait_for(b"again", 3), "did not play")
    t.send(b"q")
    t.finish(timeout=5)
    check(t.screen.count(b"recorded on a 132x43 terminal, playing on 80x24")
          == 1, "no notice, or more than one: %r" % t.screen)


@case("help line with ?, and q quits; --persist ignores q")
def keys_help():
    rec = ticks("help", 50, 1000)
    t = play(["-i", rec])
    t.wait_for(b"tick 0")
    t.send(b"?")
    check(t.wait_for(b"space/p pause", 2), "no help line")
    quit_ok(t)
    t = play(["--persist", "-i", rec])
    t.wait_for(b"tick 0")
    t.send(b"q\x03")
    t.pump(0.8)
    check(t.poll() is None, "--persist quit on q")
    t.send(b"G")
    st = t.finish(timeout=5)
    check(st == 0, "did not end: %r" % st)


@case("export: asciicast parsed back event by event; asciinema plays it")
def export_asciicast():
    pk = [(0, "w", (100, 30)), (10, "o", b"hello \xe2\x82\xac\r\n"),
          (500, "i", b"ls\r"), (700, "w", (120, 40)),
          (1200, "o", b"\x1b[1mbold\x1b[0m done\r\n")]
    rec = make("cast", pk)
    p = subprocess.run([PLAY, "--export=asciicast", "-i", rec],
                       capture_output=True, timeout=20)
    check(p.returncode == 0, "exit %d %r" % (p.returncode, p.stderr))
    lines = p.stdout.decode().splitlines()
    head = json.loads(lines[0])
    check(head["version"] == 2 and head["width"] == 100 and
          head["height"] == 30 and head["env"]["TERM"] == "xterm",
          "header %r" % head)
    events = [json.loads(ln) for ln in lines[1:]]
    want = [[0.01, "o", "hello \u20ac\r\n"], [0.5, "i", "ls\r"],
            [0.7, "r", "120x40"], [1.2, "o", "\x1b[1mbold\x1b[0m done\r\n"]]
    check(len(events) == len(want), "events %r" % events)
    for got, w in zip(events, want):
        check(abs(got[0] - w[0]) < 0.0015 and got[1:] == w[1:],
              "event %r, want %r" % (got, w))
    cast = os.path.join(tmp, "rec.cast")
    with open(cast, "wb") as f:
        f.write(p.stdout)
    # asciinema wants a terminal; it sets it raw, so bytes pass as they are
    a = Term(["asciinema", "cat", cast])
    check(a.finish(timeout=30) == 0, "asciinema failed: %r" % a.screen)
    check(a.screen == decode(rec), "asciinema played %r" % a.screen)


@case("export: text without escape sequences")
def export_text():
    rec = make("text", [(0, "w", (80, 24)),
                        (5, "o", b"\x1b[1;32mgreen\x1b[0m text\r\n"),
                        (6, "o", b"\x1b]0;title\x07line two\r\n")])
    p = subprocess.run([PLAY, "--export=text", "-i", rec],
                       capture_output=True, timeout=20)
    check(p.stdout == b"green text\nline two\n", "text %r" % p.stdout)


journald = PrivateJournald()


def journal_rec(argv, user=AGENT_USER):
    """Record argv to the journal under a PTY, as user (by default the
    recording agent's, whose entries the player takes); (recording id,
    screen)."""
    journald.start()
    ensure_user(user, system=True)
    t = Term([REC, "-w", "journal", "--latency=1"] + argv, user=user)
    st = t.finish(timeout=20)
    check(st == 0, "recording failed: %r" % st)
    p = subprocess.run(["journalctl", "-o", "json", "--no-pager", "-n", "1",
                        "SYSLOG_IDENTIFIER=tlog-rec"], capture_output=True,
                       text=True)
    return json.loads(p.stdout.splitlines()[-1])["TLOG_REC"], t.screen


@case("journal: -r journal -M TLOG_REC=... plays the recording exactly")
def journal_play():
    rec, screen = journal_rec(["sh", "-c", "printf 'from the journal "
                               "caf\\303\\251\\n'; seq 1 500"])
    p = subprocess.run([PLAY, "-r", "journal", "-M", "TLOG_REC=" + rec,
                        "-g", "end"], capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=30)
    check(p.returncode == 0, "exit %d %r" % (p.returncode, p.stderr))
    check(p.stdout == screen, "played %r" % p.stdout[-80:])
    p = subprocess.run([PLAY, "-r", "journal", "--list", "-M",
                        "TLOG_REC=" + rec], capture_output=True, timeout=30)
    check(p.stdout.decode().startswith(rec + "  user "), "list %r" % p.stdout)


@case("journal: several recordings matching (OR) are listed, not mixed")
def journal_several():
    a, _ = journal_rec(["echo", "one"])
    b, _ = journal_rec(["echo", "two"])
    p = subprocess.run([PLAY, "-r", "journal", "-M", "TLOG_REC=" + a, "-M",
                        "OR", "-M", "TLOG_REC=" + b], capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=30)
    check(p.returncode == 1 and b"holds 2 recordings" in p.stderr and
          a.encode() in p.stderr and b.encode() in p.stderr and
          b"-M TLOG_REC=ID" in p.stderr, "said %r" % p.stderr)
    p = subprocess.run([PLAY, "-r", "journal", "-M", "nofield"],
                       capture_output=True, timeout=30)
    check(p.returncode == 1 and b"FIELD=VALUE" in p.stderr,
          "bad match said %r" % p.stderr)


@case("journal: follow plays new entries as they are written")
def journal_follow():
    journald.start()
    ensure_user(AGENT_USER, system=True)
    recorder = Term([REC, "-w", "journal", "--latency=1", "sh", "-c",
                     "echo early; sleep 2.5; echo late"], user=AGENT_USER)
    check(recorder.wait_for(b"early", 5), "recorder did not start")
    rec = None
    end = time.monotonic() + 5
    while rec is None and time.monotonic() < end:
        p = subprocess.run(["journalctl", "-o", "json", "--no-pager", "-n",
                            "1", "SYSLOG_IDENTIFIER=tlog-rec"],
                           capture_output=True, text=True)
        for line in p.stdout.splitlines():
            e = json.loads(line)
            if "early" in e.get("MESSAGE", ""):
                rec = e["TLOG_REC"]
        time.sleep(0.1)
    check(rec is not None, "the first message never reached the journal")
    t = play(["-r", "journal", "-f", "-M", "TLOG_REC=" + rec])
    check(t.wait_for(b"early", 5), "no early output")
    check(t.wait_for(b"late", 8), "followed output never came")
    recorder.finish(timeout=10)
    quit_ok(t)


FORGER = "tlogtest"


def journal_forge(rec, msg_id, pos, text, ident="tlog-recd"):
    """As FORGER, add to the journal a message of recording rec with id
    msg_id at pos ms showing text, with the fields the writer gives its
    entries"""
    m = {"ver": "2.3", "host": os.uname().nodename, "rec": rec,
         "user": AGENT_USER, "term": "xterm", "session": 4294967295,
         "id": msg_id, "pos": pos, "time": time.time(), "timing": ">%d" %
         len(text), "in_txt": "", "in_bin": [], "out_txt": text,
         "out_bin": []}
    journal_send_as(FORGER, {
        "MESSAGE": json.dumps(m), "SYSLOG_IDENTIFIER": ident,
        "PRIORITY": "6", "TLOG_REC": rec, "TLOG_USER": AGENT_USER,
        "TLOG_SESSION": "4294967295", "TLOG_ID": str(msg_id),
        # not the sender's to set: journald keeps its own
        "_UID": str(pwd.getpwnam(AGENT_USER).pw_uid)})


@case("journal: entries of another uid are ignored, counted and said")
def journal_foreign():
    ensure_user(FORGER)
    rec, screen = journal_rec(["sh", "-c", "echo genuine one; sleep 1.5; "
                               "echo genuine two"])
    got = journald.entries("TLOG_REC=" + rec, 2)
    last = max(int(e["TLOG_ID"]) for e in got)
    check(last >= 2, "only %d messages: nothing to forge between" % last)
    end = max(json.loads(e["MESSAGE"])["pos"] for e in got) + 100
    forger = pwd.getpwnam(FORGER).pw_uid

    def plays_genuine(forged):
        p = subprocess.run([PLAY, "-r", "journal", "-M", "TLOG_REC=" + rec],
                           capture_output=True, stdin=subprocess.DEVNULL,
                           timeout=30)
        check(p.returncode == 0, "exit %d %r" % (p.returncode, p.stderr))
        check(p.stdout == screen, "played %r, not %r" % (p.stdout, screen))
        check(("%s for this recording came from uid %d, not the recording "
               "agent: ignored" % ("1 journal entry" if forged == 1 else
                                   "%d journal entries" % forged, forger))
              .encode() in p.stderr, "said %r" % p.stderr)
    # the next message
    journal_forge(rec, last + 1, end, "FORGED next\r\n")
    check(len(journald.entries("TLOG_REC=" + rec, last + 1)) == last + 1,
          "the forged entry is not in the journal")
    plays_genuine(1)
    # and one with an id already there
    journal_forge(rec, 1, 0, "FORGED first\r\n")
    check(len(journald.entries("TLOG_REC=" + rec, last + 2)) == last + 2,
          "the forged entry is not in the journal")
    plays_genuine(2)
    # --list counts only the agent's messages
    p = subprocess.run([PLAY, "-r", "journal", "--list", "-M",
                        "TLOG_REC=" + rec], capture_output=True, timeout=30)
    check(p.returncode == 0 and ("messages %d  end " % last).encode() in
          p.stdout, "listed %r %r" % (p.stdout, p.stderr))


@case("journal: --journal-sender names the user whose entries to play")
def journal_sender():
    rec, screen = journal_rec(["echo", "recorded by root"], user="root")
    p = subprocess.run([PLAY, "-r", "journal", "-M", "TLOG_REC=" + rec],
                       capture_output=True, stdin=subprocess.DEVNULL,
                       timeout=30)
    check(p.returncode == 1 and p.stdout == b"" and
          b"no entries from the recording agent" in p.stderr and
          b"came from uid 0" in p.stderr, "root's recording: %d %r"
          % (p.returncode, p.stderr))
    for args in (["--journal-sender", "root"], ["--journal-sender=0"]):
        p = subprocess.run([PLAY, "-r", "journal", "-M", "TLOG_REC=" + rec]
                           + args, capture_output=True,
                           stdin=subprocess.DEVNULL, timeout=30)
        check(p.returncode == 0 and p.stdout == screen and p.stderr == b"",
              "%s: %d %r %r" % (args, p.returncode, p.stdout, p.stderr))
    p = subprocess.run([PLAY, "-r", "journal", "-M", "TLOG_REC=" + rec,
                        "--journal-sender", "no-such-user"],
                       capture_output=True, timeout=30)
    check(p.returncode == 1 and b"no-such-user" in p.stderr,
          "an unknown user: %d %r" % (p.returncode, p.stderr))
    env = dict(os.environ, TLOG_PLAY_CONF_TEXT=json.dumps(
        {"journal": {"sender": "root"}}))
    p = subprocess.run([PLAY, "-r", "journal", "-M", "TLOG_REC=" + rec],
                       capture_output=True, stdin=subprocess.DEVNULL,
                       env=env, timeout=30)
    check(p.returncode == 0 and p.stdout == screen,
          "journal.sender in the configuration: %r" % p.stderr)


def main():
    try:
        return run_cases("play", sys.argv[1:])
    finally:
        journald.stop()


if __name__ == "__main__":
    sys.exit(main())
