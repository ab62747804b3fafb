#!/usr/bin/env python3
"""The console page in a real browser: Debian's chromium driven by
playwright-core (tests/ui_driver.js), against a real tlog-web serving the
built page, a real Elasticsearch, and real PAM through pam_wrapper
(web_test.py's harness).

The recordings of alice, bob and carol (and alice's ticking one, and
the login the page follows live while it runs) are made as a machine
makes them (progtest.ShippedLogins): su - into tlog-rec-session, the
agent tlog-recd (as host1), a private rsyslogd running contrib/rsyslog's
tlog.conf and tlog-es.conf into that Elasticsearch.  The screens the
page shows are compared with pyte's for the recordings' messages read
back from Elasticsearch.  Two keep tlog-rec and a bulk load, for the
form they need: the one with a message removed (gaps) and the one
printing what attacks the page (hostile); the sort case's 26 recordings are copies of the gaps one's
first messages, moved back in time; the seal cases' four are made by
tlog-rec and sealed by tlog-seal from their messages, to be stored
changed or in part.

Checks the page's headers (its Content-Security-Policy), login, search
by typed text, the screen after seeks (by the URL, a click on the seek
bar, a drag, the arrow keys) against the screen an independent emulator
(pyte) computes for the same time, speed, the in-session search, the
seek bar's heatmap (bytes of output), the typed input after a seek, a
click on an audit entry, a running recording followed live, the table
sorted by the server across pages, an auditor who sees neither a
recording outside their rules nor its URL, and the verification state
of recordings sealed by the real tlog-seal (one of them changed in the
store afterwards) in the table and the player.
Screenshots go to build/tests/ui-artifacts.

The script re-runs itself in a private mount namespace (nsexec.py),
where /etc (with the users it makes), the logins' tlog directory, PAM
directory and utmp are its own.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nsexec import reexec_in_namespace  # noqa: E402

if __name__ == "__main__":
    reexec_in_namespace("TLOG_UI_TEST_NS", __file__)

import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402

import progtest  # noqa: E402
_own_cases = len(progtest.CASES)
# web_test's harness (tlog-web, pam_wrapper, recordings); its cases and
# vt_test's are theirs
import web_test as wt  # noqa: E402
import vt_test  # noqa: E402
del progtest.CASES[_own_cases:]
from progtest import (ShippedLogins, case, check, es_request,  # noqa: E402
                      path_for, pump_all, run_cases)
from nsexec import skip_unless_root  # noqa: E402

TOP = wt.TOP
BUILD = wt.BUILD
UI_BUILD = os.path.join(BUILD, "web", "ui-build")
DIST = os.path.join(UI_BUILD, "dist")
NODE_MODULES = os.path.join(UI_BUILD, "node_modules")
DRIVER = os.path.join(TOP, "tests", "ui_driver.js")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = os.path.join(BUILD, "tests", "ui-artifacts")

web = None
base = None
browser = None


class Browser:
    """tests/ui_driver.js: one JSON command a line, one answer a line"""

    def __init__(self):
        env = dict(os.environ, NODE_PATH=NODE_MODULES, CHROMIUM=CHROMIUM,
                   PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
        self.proc = subprocess.Popen(["node", DRIVER], env=env,
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def __call__(self, op, **kw):
        kw["op"] = op
        self.proc.stdin.write(json.dumps(kw) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        check(line, "the browser driver ended (op %s)" % op)
        a = json.loads(line)
        check(a["ok"], "%s %r: %s" % (op, kw, a.get("error")))
        return a.get("value")

    def quit(self):
        try:
            self.proc.stdin.write('{"op": "quit"}\n')
            self.proc.stdin.flush()
            self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()

    def shot(self, name):
        self("screenshot", path=os.path.join(ARTIFACTS, name + ".png"))

    def login(self, user):
        """A fresh context logged in as user, on the search page"""
        self("context")
        self("goto", url=base + "/")
        self("wait", sel="#login-user")
        self("fill", sel="#login-user", value=user)
        self("fill", sel="#login-password", value=wt.PASSWORDS[user])
        self("click", sel="#login button[type=submit]")
        self("wait", sel="#results")

    def search(self):
        """Submits the search form and waits for the answer: the page
        puts a new status line in place of the old one (marked here), so
        what is read after is the new search's"""
        self("eval", expr="document.querySelector('#search-status')"
             ".dataset.old = '1'")
        self("click", sel="#search button[type=submit]")
        self("waitFn", expr="(s => s && !s.dataset.old && s.textContent &&"
             " !s.textContent.startsWith('Searching'))(document"
             ".querySelector('#search-status'))")

    def state(self):
        return self("eval", expr="window.tlog.state()")

    def settled(self, pos=None, timeout=20000):
        """The player's state once no seek is under way (at pos if
        given)"""
        cond = "window.tlog && !window.tlog.state().busy"
        if pos is not None:
            cond += " && window.tlog.state().pos === %d" % pos
        self("waitFn", expr=cond, timeout=timeout)
        # xterm.js parses what it was given before the seek resolves
        return self.state()

    def screen(self):
        return self("eval", expr="window.tlog.screen()")


def pyte_lines(events, t):
    """The screen text of all the output up to t, by pyte"""
    st = wt.screen_at(None, events, t)
    return [ln.rstrip() for ln in st["display"]]


def same_screen(events, where):
    """The page's screen equals pyte's for the page's position"""
    s = browser.state()
    got = [ln.rstrip() for ln in browser.screen()]
    want = pyte_lines(events, s["pos"])
    check(got == want, "%s: at %d ms the page shows %r, pyte %r" % (
        where, s["pos"], [ln for ln in got if ln], [ln for ln in want if ln]))
    return s


def play_url(rec, host, t=None):
    u = base + "/#/play/%s?host=%s" % (urllib.parse.quote(rec), host)
    return u + ("&t=%d" % t if t is not None else "")


@case("the page: served with its types and a strict policy, from"
      " tlog-web only")
def page_served():
    browser("context")
    r = browser("goto", url=base + "/")
    h = r["headers"]
    check(r["status"] == 200 and h["content-type"].startswith("text/html"),
          "index: %r" % r)
    csp = h.get("content-security-policy", "")
    for part in ("default-src 'self'", "script-src 'self'",
                 "object-src 'none'", "frame-ancestors 'none'"):
        check(part in csp, "policy without %s: %r" % (part, csp))
    check("unsafe" not in csp, "policy allows unsafe: %r" % csp)
    st, hd, _ = web.request("GET", "/app.js")
    check(st == 200 and hd.getheader("Content-Type").startswith(
        "text/javascript"), "app.js: %d %r" % (st, hd.getheaders()))
    st, hd, _ = web.request("GET", "/app.css")
    check(st == 200 and hd.getheader("Content-Type").startswith("text/css"),
          "app.css: %d" % st)
    for bad in ("/../etc/passwd", "/.hidden", "/nothing.js", "/x/app.js"):
        st, _, _ = web.request("GET", bad)
        check(st == 404, "%s: %d" % (bad, st))
    # the page's files are not inline: index.html has no script body
    with open(os.path.join(DIST, "index.html")) as f:
        html = f.read()
    check("<script src=" in html and "<script>" not in html and
          "style=" not in html, "inline script or style in index.html")
    # nothing in the bundle, the terminal's code included, writes HTML
    with open(os.path.join(DIST, "app.js")) as f:
        js = f.read()
    for bad in ("innerHTML", "outerHTML", "insertAdjacentHTML",
                "document.write"):
        check(bad not in js, "app.js uses %s" % bad)
    browser("wait", sel="#login-user")
    browser.shot("login")


@case("login: a wrong password is refused; the right one opens the search")
def login():
    browser("context")
    browser("goto", url=base + "/")
    browser("fill", sel="#login-user", value=wt.A2)
    browser("fill", sel="#login-password", value="wrong")
    browser("click", sel="#login button[type=submit]")
    browser("waitFn", expr="document.querySelector('#login-message')"
            ".textContent.length > 0")
    msg = browser("text", sel="#login-message")
    check("Wrong" in msg, "message %r" % msg)
    browser("fill", sel="#login-password", value=wt.PASSWORDS[wt.A2])
    browser("click", sel="#login button[type=submit]")
    browser("wait", sel="#results tbody tr")
    check(browser("text", sel="#who") == wt.A2, "not shown as logged in")
    browser.shot("search")


@case("search: by typed text, the search in the URL, the link opens the"
      " player")
def search_typed():
    browser.login(wt.A2)
    browser("fill", sel="#search-typed", value="alice-typed-secret")
    browser.search()
    browser("waitFn", expr="location.hash.includes('typed=alice-typed')"
            " && document.querySelectorAll('#results tbody tr').length"
            " === 1")
    rec = browser("attr", sel="#results tbody tr", name="data-rec")
    check(rec == wt.recs["alice"], "found %r, not alice's %r" %
          (rec, wt.recs["alice"]))
    # the URL alone reproduces the search
    url = browser("url")
    browser("goto", url=base + "/#/")
    browser("goto", url=url)
    browser("waitFn", expr="document.querySelectorAll('#results tbody tr')"
            ".length === 1")
    browser("click", sel="#results tbody tr a.open")
    browser("wait", sel="#term .xterm-screen")
    browser.settled()
    check(browser("text", sel="#meta") and wt.recs["alice"] in
          browser("text", sel="#meta"), "metadata without the id")
    # the typed input, up to the moment shown, for an auditor with the
    # right
    end = browser.state()["duration"]
    browser("eval", expr="window.tlog.seek(%d)" % end)
    browser.settled(end)
    typed = browser("text", sel="#typed")
    check(browser("visible", sel="#typed") and
          "alice-typed-secret" in typed, "typed input shown: %r" % typed)
    browser.shot("player-alice")
    browser("eval", expr="window.tlog.seek(0)")
    browser.settled(0)
    check("alice-typed-secret" not in browser("text", sel="#typed"),
          "typed input shown before it was typed")


@case("search: by a command run (from the audit events)")
def search_command():
    browser.login(wt.A2)
    for cmd, name in (("ls /etc/alice-dir", "alice"),
                      ("cat bob-file", "bob")):
        browser("fill", sel="#search-command", value=cmd)
        browser.search()
        status = browser("text", sel="#search-status")
        check(status.startswith("Recordings"), "%r: %r (tlog-web: %s)" % (
            cmd, status, web.stderr()[-600:]))
        rows = browser("eval", expr="[...document.querySelectorAll("
                       "'#results tbody tr')].map(r => r.dataset.rec)")
        check(rows == [wt.recs[name]], "%r found %r, want %s's %r" %
              (cmd, rows, name, wt.recs[name]))
    browser("fill", sel="#search-command", value="no-such-command-run")
    browser.search()
    browser("waitFn", expr="document.querySelector('#search-status')"
            ".textContent.startsWith('No recordings')")
    # the commands column counts them
    browser("fill", sel="#search-command", value="ls /etc/alice-dir")
    browser.search()
    browser("waitFn", expr="document.querySelector('#results tbody td.num"
            " + td') !== null && [...document.querySelectorAll("
            "'#results tbody td')][4].textContent === '1'")
    browser.shot("search-command")


@case("seek: by the URL, the seek bar, a drag and the arrow keys, the"
      " screen is the one pyte computes for that time")
def seek():
    rec = wt.full_screen_rec()
    events = wt.file_events(wt.rec_files["carol"])
    end = max(e[1] for e in events)
    browser.login(wt.A2)
    t = end * 2 // 3
    browser("goto", url=play_url(rec, hosts["carol"], t))
    s = browser.settled(t)
    same_screen(events, "from the URL")
    browser.shot("seek-url")
    # a click on the seek bar, forwards and back
    for f in (0.9, 0.2, 0.55):
        before = s["pos"]
        browser("clickAt", sel="canvas.timeline", fx=f, fy=0.5)
        browser("waitFn", expr="!window.tlog.state().busy && "
                "window.tlog.state().pos !== %d" % before)
        s = browser.settled()
        check(abs(s["pos"] - f * end) <= end / 100 + 2,
              "clicked at %.2f of %d ms, at %d" % (f, end, s["pos"]))
        same_screen(events, "seek bar at %.2f" % f)
    # dragging shows the screen on the way and where it stops
    browser("drag", sel="canvas.timeline", **{"from": 0.1,
                                               "through": [0.3, 0.5, 0.7]})
    s = browser.settled()
    check(abs(s["pos"] - 0.7 * end) <= end / 100 + 2, "dragged to %d" %
          s["pos"])
    same_screen(events, "after a drag")
    browser.shot("seek-drag")
    # 10 s back and forth with the keys
    browser("click", sel="h1")
    for key, d in (("ArrowLeft", -10000), ("ArrowRight", 10000)):
        p = s["pos"]
        browser("press", key=key)
        want = max(0, min(end, p + d))
        s = browser.settled(want)
        same_screen(events, key)
    # the link to this moment opens the same screen in a new page
    browser("clickAt", sel="canvas.timeline", fx=0.45, fy=0.5)
    s = browser.settled()
    browser("click", sel="#copy-link")
    link = browser("eval", expr="document.querySelector('#link').value")
    check(link.endswith("t=%d" % s["pos"]) or "t=%d&" % s["pos"] in link,
          "link %r for %d ms" % (link, s["pos"]))
    shown = browser.screen()
    browser("goto", url="about:blank")
    browser("goto", url=link)
    s2 = browser.settled(s["pos"])
    check(browser.screen() == shown, "the link shows another screen")
    same_screen(events, "link")


@case("speed: } and { change it, playing advances at that rate, space"
      " pauses")
def speed():
    browser.login(wt.A2)
    browser("goto", url=play_url(wt.recs["ticker"], hosts["ticker"], 0))
    browser.settled(0)
    browser("click", sel="h1")
    browser("fill", sel="#idle", value="0")
    browser("press", sel="#idle", key="Tab")
    browser("click", sel="h1")
    browser("press", key="}")
    browser("press", key="}")
    check(browser.state()["speed"] == 4, "speed %r" % browser.state())
    check(browser("eval", expr="document.querySelector('#speed').value")
          == "4", "the speed control does not say 4")
    browser("press", key=" ")
    t0 = time.monotonic()
    time.sleep(1.5)
    s = browser.state()
    wall = time.monotonic() - t0
    check(s["playing"], "not playing: %r" % s)
    rate = s["pos"] / (wall * 1000)
    check(2.5 < rate < 5, "played %d ms in %.2f s at 4x" % (s["pos"], wall))
    browser("press", key="p")
    # a step of the clock under way when the key came ends first
    time.sleep(0.2)
    s1 = browser.state()
    time.sleep(0.5)
    s2 = browser.state()
    check(not s2["playing"] and s2["pos"] == s1["pos"],
          "still moving after pause: %r %r" % (s1, s2))
    # . steps to the next event, paused
    p0 = s2["pos"]
    browser("press", key=".")
    browser("waitFn", expr="window.tlog.state().pos > %r" % p0)
    s3 = browser.settled()
    check(not s3["playing"] and s3["pos"] - p0 <= 1000,
          "step from %r: %r" % (p0, s3))
    browser("press", key="{")
    browser("press", key="Backspace")
    check(browser.state()["speed"] == 1, "backspace: %r" % browser.state())
    browser("press", key="?")
    check(browser("visible", sel="#help"), "? shows no help")


@case("a narrow window: the terminal scaled down, the controls reachable"
      " with the keyboard")
def narrow():
    rec = wt.full_screen_rec()
    events = wt.file_events(wt.rec_files["carol"])
    browser.login(wt.A2)
    browser("viewport", width=560, height=800)
    t = max(e[1] for e in events) // 2
    browser("goto", url=play_url(rec, hosts["carol"], t))
    browser.settled(t)
    browser("waitFn", expr="document.querySelector('.term').style"
            ".transform.startsWith('scale(0.')")
    w = browser("eval", expr="document.querySelector('.term')"
                ".getBoundingClientRect().right")
    check(w <= 560, "the terminal ends at %r px in a 560 px window" % w)
    same_screen(events, "narrow")
    # Tab reaches the play button; Enter on it plays
    names = []
    for _ in range(12):
        browser("press", key="Tab")
        names.append(browser("eval", expr="document.activeElement.id ||"
                             " document.activeElement.tagName"))
        if names[-1] == "play":
            break
    check(names[-1] == "play", "Tab went through %r" % names)
    browser("press", key="Enter")
    browser("waitFn", expr="window.tlog.state().playing")
    browser.shot("narrow")
    browser("viewport", width=1280, height=800)


@case("find in the session: the times the text was on screen; a click"
      " seeks there")
def find():
    rec = wt.full_screen_rec()
    events = wt.file_events(wt.rec_files["carol"])
    browser.login(wt.A2)
    browser("goto", url=play_url(rec, hosts["carol"], 0))
    browser.settled(0)
    browser("click", sel="h1")
    browser("press", key="/")
    check(browser("eval", expr="document.activeElement.id") == "find",
          "/ does not go to the search")
    browser("fill", sel="#find", value=wt.FIND_TEXT)
    browser("press", sel="#find", key="Enter")
    browser("wait", sel="#find-results .find-hit")
    n = browser("count", sel="#find-results .find-hit")
    pos = int(browser("attr", sel="#find-results .find-hit",
                      name="data-pos"))
    browser("click", sel="#find-results .find-hit")
    browser.settled(pos)
    lines = same_screen(events, "search hit") and browser.screen()
    check(any(wt.FIND_TEXT in ln for ln in lines),
          "%s not on the screen at the hit (%d hits)" % (wt.FIND_TEXT, n))
    check(browser("count", sel="#find-results .current") == 1,
          "the hit is not marked")
    sel = browser("eval", expr="document.querySelector('#term') && "
                  "window.tlog.screen().length")
    check(sel, "no screen")
    browser.shot("find")


@case("heatmap: the seek bar is brighter where more is output: a burst"
      " over a line, a line over a quiet stretch")
def heatmap():
    events = wt.file_events(wt.rec_files["bursty"])
    out = [e for e in events if e[0] == "o" and e[2].strip()]
    end = max(e[1] for e in events)
    calm = next(e[1] for e in out if b"calm-line" in e[2])
    burst = next(e[1] for e in out if b"10000" in e[2])
    quiet = (calm + burst) // 2
    check(burst - calm > 1500 and not any(calm < e[1] < burst - 200
                                          for e in out),
          "no quiet stretch between %d and %d: %r" % (
              calm, burst, [e[1] for e in out][:10]))
    browser.login(wt.A2)
    browser("goto", url=play_url(wt.recs["bursty"], hosts["bursty"], 0))
    browser.settled(0)

    def brightness(ms):
        """The brightest pixel of the heatmap's band within 2 columns of
        ms (the sum of its colours)"""
        return browser("eval", expr="""(c => {
            const x = Math.round(%d / %d * (c.width - 1));
            const d = c.getContext('2d').getImageData(x - 2, 18, 5, 1).data;
            let m = 0;
            for (let i = 0; i < d.length; i += 4) {
              m = Math.max(m, d[i] + d[i + 1] + d[i + 2]);
            }
            return m;
          })(document.querySelector('canvas.timeline'))""" % (ms, end))
    background = 0x20 + 0x24 + 0x2b
    browser("waitFn", expr="window.tlog.state().duration === %d" % end)
    lit = {"burst": brightness(burst), "line": brightness(calm),
           "quiet": brightness(quiet)}
    browser.shot("heatmap")
    check(lit["burst"] > lit["line"] > lit["quiet"] == background,
          "brightness %r (the background %d)" % (lit, background))


@case("typed input after a seek: all of it up to the moment, from the"
      " segments before too")
def typed_after_seek():
    rec = wt.recs["typed-long"]
    events = wt.file_events(wt.rec_files["typed-long"])
    first = next(e[1] for e in events if e[0] == "i")
    second = [e[1] for e in events if e[0] == "i"][-1]
    browser.login(wt.A2)
    end = max(e[1] for e in events)
    browser("goto", url=play_url(rec, hosts["typed-long"], 0))
    browser.settled(0)
    browser("waitFn", expr="window.tlog.state().duration === %d" % end)
    ix = browser("eval", expr="fetch('/api/recordings/%s/segments')"
                 ".then(r => r.json())" % rec)
    starts = [g["pos_ms"] for g in ix["segments"]]
    # a moment in a later segment than the first word's, before the
    # second word; and the end
    mid = next((p + 1 for p in starts if first < p < second), None)
    check(mid is not None, "no segment between the words at %d and %d:"
          " %r" % (first, second, starts))
    for t, want, not_yet in ((mid, ["first-word"], "second-word"),
                             (end, ["first-word", "second-word"],
                              None)):
        browser("eval", expr="window.tlog.seek(%d)" % t)
        browser.settled(t)
        typed = browser("text", sel="#typed")
        check(all(w in typed for w in want) and
              (not_yet is None or not_yet not in typed),
              "at %d ms (segments from %r) the typed input shown is %r" %
              (t, starts, typed))
    browser.shot("typed-after-seek")


@case("audit: the commands behind the recording; a click on one seeks"
      " to it and marks it")
def audit():
    browser.login(wt.A2)
    rec = wt.recs["alice"]
    browser("goto", url=play_url(rec, hosts["alice"], 0))
    browser.settled(0)
    browser("wait", sel=".audit-entry[data-kind=command]")
    what = browser("text", sel=".audit-entry[data-kind=command] .what")
    check("ls /etc/alice-dir" in what, "command shown as %r" % what)
    check(browser("count", sel=".audit-entry.failed") == 1,
          "the failed login before the session is not shown")
    off = int(browser("attr", sel=".audit-entry[data-kind=command]",
                      name="data-offset"))
    browser("click", sel=".audit-entry[data-kind=command]")
    s = browser.settled(off)
    check(s["pos"] == off, "at %d, not %d" % (s["pos"], off))
    check(browser("count", sel=".audit-entry.current[data-kind=command]")
          == 1, "the entry is not marked current")
    events = wt.file_events(wt.rec_files["alice"])
    same_screen(events, "audit entry")
    browser.shot("audit")


@case("live: a running login is marked live and its new output shows"
      " up")
def live():
    go = os.path.join(progtest.tmp, "ui-live-go")
    t = shipped.login("alice", "for i in 1 2 3 4; do echo ui-live-line-$i;"
                      " done; while [ ! -e %s ]; do sleep 0.2; done; for i"
                      " in 5 6 7 %d; do echo ui-live-line-$i; sleep 0.5;"
                      " done; sleep 1.2; echo %s" % (
                          go, UI_LIVE_LINES, marker("uilive")))
    check(t.wait_for(b"ui-live-line-4", 30), "the login shows %r" %
          t.screen[-300:])
    # its first lines in the store (after the agent's latency)
    end = time.monotonic() + 60
    while True:
        es_request(wt.es_url, "POST", "/tlog-*/_refresh")
        r = es_request(wt.es_url, "POST", "/tlog-*/_search", {
            "size": 1, "query": {"match_phrase": {
                "out_txt": "ui-live-line-4"}}})
        hits = r.get("hits", {}).get("hits", [])
        if hits:
            break
        check(time.monotonic() < end, "the running login's first lines"
              " never reached Elasticsearch")
        time.sleep(0.5)
    rec = hits[0]["_source"]["rec"]
    browser.login(wt.A2)
    browser("fill", sel="#search-user", value="alice")
    browser("click", sel="#search-live")
    browser.search()
    recs_shown = browser("eval", expr="[...document.querySelectorAll("
                         "'#results tbody tr')].map(r => r.dataset.rec)")
    check(recs_shown == [rec], "running ones: %r, want only %r" %
          (recs_shown, rec))
    check(browser("count", sel="#results .badge.live") == 1,
          "no live badge in the table")
    browser("click", sel="#results tbody tr a.open")
    browser("wait", sel="#live-badge")
    browser.settled()
    check(browser.state()["follow"], "not following: %r" % browser.state())
    shown = "\n".join(browser.screen())
    check("ui-live-line-4" in shown and "ui-live-line-5" not in shown,
          "before the rest: %r" % shown)
    # the rest of the session, while the page follows it
    open(go, "w").close()
    want = "ui-live-line-%d" % UI_LIVE_LINES
    browser("waitFn", expr="window.tlog.screen().join('\\n').includes(%s)"
            % json.dumps(want), timeout=60000)
    browser.shot("live")
    st = t.finish(timeout=60)
    check(st == 0, "the login ended %r" % st)
    # the end of the recording ends the stream and the badge
    browser("wait", sel="#live-badge", state="hidden", timeout=60000)


@case("rules: an auditor sees neither a recording outside their rules"
      " nor its URL")
def hidden():
    browser.login(wt.A1)
    rows = browser("eval", expr="[...document.querySelectorAll("
                   "'#results tbody tr')].map(r => r.dataset.rec)")
    check(wt.recs["alice"] in rows and wt.recs["bob"] not in rows and
          wt.recs["carol"] not in rows, "A1 sees %r" % rows)
    check(browser("count", sel="#search-typed") == 0,
          "typed-text search offered without the input right")
    browser("goto", url=play_url(wt.recs["bob"], hosts["bob"], 0))
    browser("wait", sel="#player-status.error")
    msg = browser("text", sel="#player-status")
    check("No such recording" in msg, "bob's URL: %r" % msg)
    check(browser("count", sel="#term") == 0, "a terminal for bob's")
    browser.shot("hidden")
    # alice's own: typed input not shown to A1
    browser("goto", url=play_url(wt.recs["alice"], hosts["alice"], 0))
    browser.settled(0)
    check(not browser("visible", sel="#typed"), "typed input shown to A1")


@case("a hostile recording: markup stays text, OSC 52 writes no"
      " clipboard, OSC 8 links open nothing")
def hostile():
    browser.login(wt.A2)
    browser("eval", expr="navigator.clipboard.writeText('before')")
    browser("goto", url=play_url(wt.recs["hostile"], "host1"))
    browser("wait", sel="#term .xterm-screen")
    s = browser.settled()
    browser("eval", expr="window.tlog.seek(%d)" % s["duration"])
    browser.settled(s["duration"])
    text = "\n".join(browser.screen())
    check(HOSTILE_MARKUP in text and "link-text" in text,
          "the screen: %r" % text)
    check(browser("count", sel="img, iframe, script:not([src])") == 0,
          "markup from the recording became elements")
    check(browser("eval", expr="navigator.clipboard.readText()") ==
          "before", "OSC 52 wrote the clipboard")
    # a click on the link's text opens nothing
    browser("clickAt", sel="#term .xterm-screen", fx=0.05, fy=0.02)
    check(browser("eval", expr="document.querySelectorAll("
                  "'a[href*=\"evil\"]').length") == 0,
          "a link to the recording's URL")
    reqs = [ln for ln in browser("console") if "evil.example" in ln]
    check(not reqs, "the page went to the recording's URL: %r" % reqs)
    browser.shot("hostile")


@case("gaps: a recording with a message missing shows it in the table"
      " and in its facts")
def gaps():
    browser.login(wt.A2)
    browser("fill", sel="#search-user", value="gapuser")
    browser.search()
    browser("waitFn", expr="document.querySelectorAll('#results tbody tr')"
            ".length === 1")
    cell = browser("text", sel="#results tbody td.gap")
    check(cell == "messages missing", "the table's gap cell: %r" % cell)
    browser("click", sel="#results tbody tr a.open")
    browser("wait", sel="#gaps li.gap")
    text = browser("text", sel="#gaps")
    check("messages %d to %d missing" % (GAP_ID, GAP_ID) in text,
          "the gaps shown: %r" % text)
    browser.shot("gaps")


@case("seal: the table and the player show each recording's verification"
      " state, a tampered one in red")
def seal_states():
    browser.login(wt.A2)
    browser("fill", sel="#search-user", value=SEAL_USER)
    browser.search()
    browser("waitFn", expr="document.querySelectorAll('#results tbody tr')"
            ".length === 2")
    # each row's state once checked: [rec, text, class, colour]
    rows = ("[...document.querySelectorAll('#results tbody tr')].map(r => {"
            " const c = r.querySelector('td.seal');"
            " return c && c.dataset.state !== 'pending' ? [r.dataset.rec,"
            " c.textContent, c.className, getComputedStyle(c).color] :"
            " null; })")
    browser("waitFn", expr="(%s).every(x => x !== null)" % rows)
    got = {r[0]: r[1:] for r in browser("eval", expr=rows)}
    clean = got.get(seal_recs["sealclean"])
    bad = got.get(seal_recs["sealtampered"])
    check(clean is not None and clean[0] == "Sealed and complete" and
          "seal-ok" in clean[1], "the clean row: %r" % (clean,))
    check(bad is not None and bad[0] == "Altered at message %d" %
          seal_altered[0] and "seal-bad" in bad[1] and bad[2] == RED,
          "the tampered row: %r" % (bad,))
    head = browser("text", sel="#results thead")
    check("Verification" in head, "no column: %r" % head)
    browser.shot("seal-table")
    # the player's facts
    for name, state, text, colour in (
            ("sealtampered", "altered", "Altered at message %d" %
             seal_altered[0], RED),
            ("sealclean", "clean", "Sealed and complete", GREEN)):
        browser("goto", url=play_url(seal_recs[name], SEAL_HOST))
        browser("waitFn", expr="(e => e && e.dataset.state === '%s')("
                "document.querySelector('#seal'))" % state)
        shown = browser("eval", expr="(e => [e.textContent,"
                        " getComputedStyle(e).color])(document"
                        ".querySelector('#seal'))")
        check(shown == [text, colour], "the player's facts of %s: %r" %
              (name, shown))
        meta = browser("text", sel="#meta")
        check("Verification" in meta, "no Verification line: %r" % meta)
    browser.shot("seal-player")


@case("seal: a running recording's unsealed end says running; a sealed"
      " end message gone still says cut short")
def seal_running():
    browser.login(wt.A2)
    browser("fill", sel="#search-user", value=SEAL_RUN_USER)
    browser.search()
    browser("waitFn", expr="document.querySelectorAll('#results tbody tr')"
            ".length === 2")
    rows = ("[...document.querySelectorAll('#results tbody tr')].map(r => {"
            " const c = r.querySelector('td.seal');"
            " return c && c.dataset.state !== 'pending' ? [r.dataset.rec,"
            " c.textContent, c.className, r.querySelector('.badge.live')"
            " !== null] : null; })")
    browser("waitFn", expr="(%s).every(x => x !== null)" % rows)
    got = {r[0]: r[1:] for r in browser("eval", expr=rows)}
    sealed, _ = seal_ends["sealrunning"]
    run = got.get(seal_recs["sealrunning"])
    check(run is not None and run[2] and
          run[0] == "Running, sealed to message %d" % sealed and
          "seal-warn" in run[1], "the running row: %r" % (run,))
    _, end = seal_ends["sealnoend"]
    cut = got.get(seal_recs["sealnoend"])
    check(cut is not None and cut[2] and
          cut[0] == "Cut short after message %d" % (end - 1) and
          "seal-warn" in cut[1], "the row whose end is gone: %r" % (cut,))
    browser("goto", url=play_url(seal_recs["sealrunning"], SEAL_HOST))
    browser("waitFn", expr="(e => e && e.dataset.state === 'unsealed-tail')"
            "(document.querySelector('#seal'))")
    text = browser("text", sel="#seal")
    check(text == "Running, sealed to message %d" % sealed,
          "the player's facts: %r" % text)


@case("sort: a column's head sorts on the server; the next page goes on"
      " in that order")
def sorting():
    token, _ = web.login(wt.A2)

    def api_page(offset):
        st, _, b = web.request("GET", "/api/recordings?user=sortui-*&sort="
                               "duration&size=20&offset=%d" % offset,
                               cookie=token)
        check(st == 200 and b["total"] == SORT_USERS, "%d %r" % (st, b))
        return [r["rec"] for r in b["recordings"]], [
            r["duration_ms"] for r in b["recordings"]]

    def rows():
        return browser("eval", expr="[...document.querySelectorAll("
                       "'#results tbody tr')].map(r => r.dataset.rec)")
    browser.login(wt.A2)
    browser("fill", sel="#search-user", value="sortui-*")
    browser.search()
    newest = rows()
    browser("click", sel="#results thead th:nth-child(4) a")
    browser("waitFn", expr="location.hash.includes('sort=duration') && "
            "document.querySelector('#search-status').textContent"
            ".startsWith('Recordings 1 to 20 of %d')" % SORT_USERS)
    first = rows()
    want1, d1 = api_page(0)
    check(first == want1, "page 1 by duration: %r, the server's %r" %
          (first, want1))
    check(first != newest, "sorted by duration as by start")
    browser.shot("sorted")
    browser("click", sel=".pager a:last-child")
    browser("waitFn", expr="location.hash.includes('offset=20') && "
            "document.querySelector('#search-status').textContent"
            ".startsWith('Recordings 21 to')")
    second = rows()
    want2, d2 = api_page(20)
    check(second == want2, "page 2: %r, the server's %r" % (second, want2))
    # the point of it: page 2 goes on from where page 1 stopped
    check(d1 == sorted(d1) and d2 == sorted(d2) and max(d1) <= min(d2),
          "durations %r then %r" % (d1, d2))
    check(browser("attr", sel="#results thead th:nth-child(4)",
                  name="aria-sort") == "ascending", "not marked ascending")


@case("the page fetches nothing from elsewhere")
def same_origin():
    log = browser("console")
    reqs = [ln[len("request: "):] for ln in log if ln.startswith("request:")]
    check(reqs and all(r.startswith(base) for r in reqs),
          "requests elsewhere: %r" % [r for r in reqs
                                      if not r.startswith(base)])
    errors = [ln for ln in log if ln.startswith("pageerror")]
    check(not errors, "page errors: %r" % errors)


HOSTILE_MARKUP = "<img src=/x onerror=alert(1)>"
SEAL = os.path.join(BUILD, "seal", "tlog-seal")
SEAL_KEY = os.path.join(progtest.tmp, "ui-seal", "seal")
SEAL_USER, SEAL_HOST = "sealuser", "sealhost"
SEAL_RUN_USER = "sealrun"
# of each recording that looks running: messages sealed, the end's id
seal_ends = {}
# style.css's --bad and --good
RED, GREEN = "rgb(239, 83, 80)", "rgb(102, 187, 106)"
seal_recs = {}
seal_altered = []
GAP_ID = 2
SORT_USERS = 26
UI_LIVE_LINES = 8


def seal_setup():
    """Two recordings made by tlog-rec, sealed by tlog-seal into
    Elasticsearch; one of them stored with a message's text changed"""
    with open(os.path.join(TOP, "contrib", "elasticsearch",
                           "tlog-seal-template.json")) as tf:
        r = es_request(wt.es_url, "PUT", "/_index_template/tlog-seal",
                       json.load(tf))
    check(r.get("acknowledged"), "seal template: %r" % r)
    os.makedirs(os.path.dirname(SEAL_KEY), exist_ok=True)
    p = subprocess.run([SEAL, "--generate-key", SEAL_KEY],
                       capture_output=True, text=True)
    check(p.returncode == 0, "tlog-seal --generate-key: %s" % p.stderr)
    for name in ("sealclean", "sealtampered"):
        wt.record(name, SEAL_USER, SEAL_HOST, "for i in 1 2 3; do echo"
                  " seal-line-$i; sleep 1.1; done", index=False)
        msgs = wt.live_msgs[name]
        p = subprocess.run(
            [SEAL, "--key", SEAL_KEY + ".key", "--state-dir",
             os.path.join(os.path.dirname(SEAL_KEY), name),
             "--es-baseurl", wt.es_url + "/_bulk"],
            input="".join(json.dumps(m) + "\n" for m in msgs), text=True,
            capture_output=True, timeout=120)
        check(p.returncode == 0, "tlog-seal: %s" % p.stderr)
        if name == "sealtampered":
            m = next(m for m in msgs if "seal-line" in m["out_txt"])
            m["out_txt"] = m["out_txt"].replace("seal-line", "SEAL-LINE")
            seal_altered.append(m["id"])
        r = es_request(wt.es_url, "POST", "/%s/_bulk" % wt.INDEX, "".join(
            '{"index":{}}\n' + json.dumps(m) + "\n" for m in msgs).encode(),
            ndjson=True)
        check(not r.get("errors"), "bulk: %r" % str(r)[:300])
        seal_recs[name] = msgs[0]["rec"]
    # two that look running (no end, output just now): one sealed to its
    # second last message, one sealed to its end whose end message is
    # then missing from the store
    for name in ("sealrunning", "sealnoend"):
        wt.record(name, SEAL_RUN_USER, SEAL_HOST, "for i in 1 2 3; do echo"
                  " seal-run-$i; sleep 1.1; done", index=False)
        msgs = sorted(wt.live_msgs[name], key=lambda m: m["id"])
        check("x_tlog_end" in msgs[-1] and len(msgs) >= 3,
              "%s: %d messages, the last %r" % (name, len(msgs), msgs[-1]))
        body = msgs[:-1]
        sealed = body[:-1] if name == "sealrunning" else msgs
        p = subprocess.run(
            [SEAL, "--key", SEAL_KEY + ".key", "--state-dir",
             os.path.join(os.path.dirname(SEAL_KEY), name),
             "--es-baseurl", wt.es_url + "/_bulk"],
            input="".join(json.dumps(m) + "\n" for m in sealed), text=True,
            capture_output=True, timeout=120)
        check(p.returncode == 0, "tlog-seal: %s" % p.stderr)
        r = es_request(wt.es_url, "POST", "/%s/_bulk" % wt.INDEX, "".join(
            '{"index":{}}\n' + json.dumps(m) + "\n" for m in body).encode(),
            ndjson=True)
        check(not r.get("errors"), "bulk: %r" % str(r)[:300])
        seal_recs[name] = msgs[0]["rec"]
        seal_ends[name] = (len(sealed), msgs[-1]["id"])
    es_request(wt.es_url, "POST", "/tlog_seal-*/_refresh")


# The recordings made by real logins: name, user, script, what is typed
# half a second after what is shown (alice's: the command at 150 ms,
# setup(), comes before the end).  Each ends with a line of its own
# (marker()), a moment after the rest: it starts a message, where a
# search finds it whole.
LOGINS = [
    ("alice", "alice", "echo alice-ready; read x; echo alice-shown-text",
     [(b"alice-ready", b"alice-typed-secret\r")]),
    ("bob", "bob", "echo bob-shown-text", []),
    ("carol", "carol", "python3 %s; echo" % os.path.join(
        progtest.tmp, "full_screen.py"), []),
    # a line, a quiet stretch, a burst, a quiet stretch
    ("bursty", "bob", "sleep 1; echo calm-line; sleep 2; seq 1 20000;"
     " sleep 2", []),
    # typed, over 64 KiB of output, typed again
    ("typed-long", "alice", wt.TYPED_LONG[0], wt.TYPED_LONG[1]),
    # steady output for 10 s, to play at a speed
    ("ticker", "alice", "for i in $(seq 20); do echo tick-$i; sleep 0.5;"
     " done", []),
]


def marker(name):
    return "login-done-" + name


# the host of each recording, by name
hosts = {}


# the agent and rsyslogd of the logins, kept for the live case
shipped = None


def real_logins():
    """LOGINS recorded at once through su, tlog-rec-session, tlog-recd
    and rsyslog into Elasticsearch; their messages read back from it and
    kept in files (wt.rec_files) for pyte.  The agent and rsyslogd stay
    (shipped), for a login followed live."""
    global shipped
    with open(os.path.join(progtest.tmp, "full_screen.py"), "w") as f:
        f.write(wt.FULL_SCREEN)
    logins = shipped = ShippedLogins("ui-logins", wt.es_url, "host1")
    try:
        terms = [logins.login(user, "%s; sleep 1.2; echo %s" % (
            script, marker(name))) for name, user, script, _ in LOGINS]
        for t, (name, _, _, typed) in zip(terms, LOGINS):
            for shown, keys in typed:
                check(t.wait_for(shown, 30), "%s's login: no %r in %r" % (
                    name, shown, t.screen[-300:]))
                t.pump(0.5)
                t.send(keys)
        pump_all(terms, 120)
        for name, _, _, _ in LOGINS:
            msgs = logins.stored(marker(name))
            path = path_for(name)
            with open(path, "w") as f:
                f.write("".join(json.dumps(m) + "\n" for m in msgs))
            wt.recs[name], wt.rec_files[name] = msgs[0]["rec"], path
            hosts[name] = msgs[0]["host"]
    except BaseException:
        logins.stop()
        shipped = None
        raise


def setup():
    global web, base, browser
    wt.auditors()
    wt.load_templates(wt.es_url)
    real_logins()
    # what aushape makes of real audit records, moved to the times of
    # alice's and bob's sessions: a command in each, and a failed login
    # before alice's
    docs = []
    for name, argv in (("alice", ["ls", "/etc/alice-dir"]),
                       ("bob", ["cat", "/etc/bob-file"])):
        first = progtest.messages(wt.rec_files[name])[0]
        start = int(first["time"] * 1000) - first["pos"]
        ses = first["session"]
        check(0 < ses < 4294967295, "%s's login has no audit session: %r"
              % (name, ses))
        e = wt.aushape_event("tests/aushape/real.log", "execve")
        e["host"], e["time"] = first["host"], wt.iso_ms(start + 150)
        e["data"]["syscall"]["ses"] = [str(ses), str(ses)]
        e["data"]["syscall"]["auid"] = [first["user"], "1000"]
        e["data"]["execve"] = argv
        e["data"].pop("proctitle", None)
        docs.append(e)
        if name == "alice":
            f = wt.aushape_event("tests/audit/login.log", "user_auth")
            f["host"] = first["host"]
            f["time"] = wt.iso_ms(start - 60000)
            f["data"]["user_auth"]["acct"] = ["alice"]
            f["data"]["user_auth"]["res"] = ["failed"]
            docs.append(f)
    with open(os.path.join(TOP, "contrib", "elasticsearch",
                           "aushape-template.json")) as tf:
        r = es_request(wt.es_url, "PUT", "/_index_template/aushape",
                       json.load(tf))
    check(r.get("acknowledged"), "aushape template: %r" % r)
    es_request(wt.es_url, "POST", "/aushape-test/_bulk",
               "".join('{"index":{}}\n' + json.dumps(d) + "\n"
                       for d in docs).encode(), ndjson=True)
    es_request(wt.es_url, "POST", "/aushape-test/_refresh")
    # what a user could print to attack the auditor's page
    wt.record("hostile", "mallory", "host1", "printf '\\033]8;;"
              "http://evil.example/\\007link-text\\033]8;;\\007\\n"
              "%s\\n\\033]52;c;cHduZWQ=\\007end\\n'" % HOSTILE_MARKUP)
    # a message lost on the way
    wt.record("gap", "gapuser", "host4", "for i in $(seq 10); do echo"
              " gap-line-$i; sleep 0.5; done", index=False)
    kept = [m for m in wt.live_msgs["gap"] if m["id"] != GAP_ID]
    check(len(kept) >= GAP_ID + 1, "too few messages: %d" % len(kept))
    r = es_request(wt.es_url, "POST", "/%s/_bulk" % wt.INDEX, "".join(
        '{"index":{}}\n' + json.dumps(m) + "\n" for m in kept).encode(),
        ndjson=True)
    check(not r.get("errors"), "bulk: %r" % str(r)[:300])
    # more than a page of recordings of SORT_USERS users, of durations
    # in no order with their start: copies of the first messages of the
    # one above, an hour and more ago
    gap = wt.live_msgs["gap"]
    copies = []
    for k in range(SORT_USERS):
        n = 1 + (k * 7) % (len(gap) - 1)
        for m in gap[:n]:
            copies.append(dict(m, rec="sortui-rec-%02d" % k,
                               user="sortui-%02d" % k, time=round(
                                   m["time"] - 3600 - 60 * k, 3)))
    r = es_request(wt.es_url, "POST", "/%s/_bulk" % wt.INDEX, "".join(
        '{"index":{}}\n' + json.dumps(m) + "\n" for m in copies).encode(),
        ndjson=True)
    check(not r.get("errors"), "bulk: %r" % str(r)[:300])
    es_request(wt.es_url, "POST", "/%s/_refresh" % wt.INDEX)
    seal_setup()
    es_request(wt.es_url, "POST", "/%s/_refresh" % wt.INDEX)
    web = wt.Web("ui", conf={"ui": {"directory": DIST},
                             "seal": {"keys": [SEAL_KEY + ".pub"]}})
    wt.web = web
    base = "http://127.0.0.1:%d" % web.port
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    os.makedirs(ARTIFACTS)
    browser = Browser()


def main():
    skip_unless_root("users, namespaces, Elasticsearch")
    missing = [what for what, ok in (
        ("node", shutil.which("node")),
        (CHROMIUM, os.path.exists(CHROMIUM)),
        ("the built page (%s)" % DIST, os.path.exists(
            os.path.join(DIST, "app.js"))),
        ("playwright-core", os.path.isdir(os.path.join(
            NODE_MODULES, "playwright-core")))) if not ok]
    if missing:
        print("%s: no %s (tools/install-deps; configure with npm)" % (
            "FAIL setup" if os.environ.get("TLOG_UI_TEST_REQUIRED") else
            "SKIP", ", ".join(missing)))
        return 1 if os.environ.get("TLOG_UI_TEST_REQUIRED") else 77
    # alice, bob and carol, the auditors and the others live in this
    # namespace only
    progtest.private_etc()
    wt.es_url = wt.start_elasticsearch(wt.ES_DIR, "ui")
    if wt.es_url is None:
        wt.stop_elasticsearch(wt.ES_DIR)
        return 1
    try:
        try:
            setup()
        except Exception as e:
            print("FAIL setup: %s" % e)
            print("ui: 0 passed, 1 failed")
            return 1
        return run_cases("ui", sys.argv[1:])
    finally:
        if browser is not None:
            browser.quit()
        if web is not None and web.proc.poll() is None:
            web.proc.terminate()
            web.proc.wait(timeout=30)
        if shipped is not None:
            shipped.stop()
        wt.stop_elasticsearch(wt.ES_DIR)


if __name__ == "__main__":
    sys.exit(main())
