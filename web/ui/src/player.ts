/*
 * The player page: the terminal scaled to fit, its controls and seek
 * bar, the search in the session, the audit panel, the typed input (for
 * auditors who may see it), the recording's facts, and for a running
 * recording the live stream that it follows.
 */
import { api, ApiError, PlayIndex, Recording } from './api';
import { AuditPanel } from './audit';
import { el, replace } from './dom';
import { clock, duration, when } from './format';
import { isLive } from './search';
import { showSeal } from './seal';
import { Ev, Screen } from './screen';
import { Timeline } from './timeline';
import { messageEvents, TlogMessage } from './tlogmsg';

const SPEEDS = [1 / 16, 1 / 8, 1 / 4, 1 / 2, 1, 2, 4, 8, 16];
const JUMP_MS = 10000;
/* How often an index being read is asked for again */
const INDEX_POLL_MS = 500;
/* Typed input kept for the panel */
const TYPED_MAX = 4096;

function speedText(s: number): string {
  return s >= 1 ? s + '×' : '1/' + Math.round(1 / s) + '×';
}

/* The page's test hook: what the terminal shows and where the player is */
export interface PlayerHook {
  screen(): string[];
  state(): { pos: number; playing: boolean; speed: number; busy: boolean;
             cols: number; rows: number; duration: number; live: boolean;
             follow: boolean;
             seekTimes: { load: number; write: number; bytes: number } };
  seek(ms: number): Promise<void>;
  /* ms from the page's start to the player's first screen drawn */
  opened: number;
}

declare global {
  interface Window {
    tlog?: PlayerHook;
  }
}

let current: { stop(): void } | null = null;

/* Leave the player (its timers, stream and keys) */
export function stopPlayer(): void {
  current?.stop();
  current = null;
}

export async function showPlayer(app: HTMLElement, rec: string,
                                 params: URLSearchParams): Promise<void> {
  stopPlayer();
  const host = params.get('host') ?? undefined;
  const status = el('p', { id: 'player-status', role: 'status' },
                    'Loading…');
  replace(app, status);
  let info: Recording, index: PlayIndex;
  try {
    [info, index] = await Promise.all([api.recording(rec, host),
                                       api.index(rec, host)]);
  } catch (e) {
    status.textContent = e instanceof ApiError && e.status === 404 ?
        'No such recording (or not one you may see).' :
        e instanceof Error ? e.message : String(e);
    status.classList.add('error');
    return;
  }
  let stopped = false;
  const timers: number[] = [];
  let stream: EventSource | null = null;

  const termBox = el('div', { id: 'term', class: 'term' });
  const termWrap = el('div', { class: 'term-wrap' }, termBox);
  const screen = new Screen(termBox, index, rec, host);
  const live = isLive(info);
  screen.live = live;

  // controls
  const playBtn = el('button', { type: 'button', id: 'play',
                                 'aria-keyshortcuts': 'Space p' }, 'Play');
  const time = el('span', { id: 'time', class: 'time' });
  const speed = el('select', { id: 'speed', 'aria-label': 'Speed' });
  SPEEDS.forEach((s) => speed.append(el('option', { value: String(s) },
                                          speedText(s))));
  speed.value = '1';
  const idle = el('input', { id: 'idle', type: 'number', min: 0, max: 3600,
                             step: 0.5, value: 2, 'aria-label':
                             'Longest idle time played, in seconds' });
  const stepBtn = el('button', { type: 'button', id: 'step',
                                 'aria-keyshortcuts': '.' }, 'Step');
  const linkBtn = el('button', { type: 'button', id: 'copy-link' },
                     'Copy link');
  const linkOut = el('input', { id: 'link', readonly: true,
                                'aria-label': 'Link to this moment',
                                hidden: true });
  const helpBtn = el('button', { type: 'button', id: 'help-button',
                                 'aria-keyshortcuts': '?' }, '?');
  const badge = el('span', { id: 'live-badge', class: 'badge live',
                             hidden: !live }, 'live');
  const followBox = el('input', { id: 'follow', type: 'checkbox' });
  const followLabel = el('label', { for: 'follow', hidden: !live },
                         followBox, ' Follow');
  const timeline = new Timeline((ms) => {
    screen.seek(ms);
  });
  const controls = el('div', { class: 'controls' }, playBtn, stepBtn, time,
                      el('label', { for: 'speed' }, 'Speed '), speed,
                      el('label', { for: 'idle' }, 'Idle cap (s) '), idle,
                      followLabel, linkBtn, helpBtn, linkOut);

  // search in the session
  const findInput = el('input', { id: 'find', type: 'search',
                                  placeholder: 'Text on screen',
                                  'aria-keyshortcuts': '/' });
  const findList = el('ol', { id: 'find-results', class: 'find-results' });
  const findStatus = el('p', { class: 'find-status', role: 'status' });
  const findForm = el('form', { class: 'find', role: 'search' },
                      el('label', { for: 'find' }, 'Find in session'),
                      findInput, el('button', { type: 'submit' }, 'Find'));
  const findBox = el('section', { class: 'find-box',
                                  'aria-label': 'Find in session' },
                     findForm, findStatus, findList);

  const audit = new AuditPanel((ms) => {
    screen.seek(ms);
  });

  const typed = el('pre', { id: 'typed', class: 'typed' });
  const typedBox = el('section', { class: 'typed-box',
                                   hidden: !info.input_visible },
                      el('h2', {}, 'Typed input'), typed);

  const meta = el('dl', { id: 'meta', class: 'meta' });
  const metaRows: [string, string][] = [
    ['User', info.user], ['Host', info.host],
    ['Audit session', String(info.session)], ['Recording', info.rec],
    ['Start', when(info.start_ms) + ' UTC'],
    ['End', info.end === null ? (live ? 'running' : 'no clean end') :
      when(info.start_ms + info.duration_ms) + ' UTC'],
    ['Duration', duration(info.duration_ms)],
    ['Messages', String(info.messages) +
      (info.complete ? '' : ' (some missing)')],
    ['Typed input', info.input ? (info.input_visible ? 'recorded, shown' :
                                  'recorded, not yours to see') :
      'not recorded'],
  ];
  const gapsDd = el('dd', { id: 'gaps' });
  for (const [k, v] of metaRows) {
    meta.append(el('dt', {}, k), el('dd', {}, v));
  }
  meta.append(el('dt', {}, 'Gaps'), gapsDd);
  const sealDd = el('dd', { id: 'seal' });
  meta.append(el('dt', {}, 'Verification'), sealDd);
  showSeal(sealDd, info, live);

  const help = el('section', { id: 'help', class: 'help', hidden: true,
                               'aria-label': 'Keys' },
    el('h2', {}, 'Keys'),
    el('dl', {},
       el('dt', {}, 'space, p'), el('dd', {}, 'play or pause'),
       el('dt', {}, '} {'), el('dd', {}, 'faster, slower'),
       el('dt', {}, 'backspace'), el('dd', {}, 'normal speed'),
       el('dt', {}, '.'), el('dd', {}, 'next event (paused)'),
       el('dt', {}, '← →'), el('dd', {}, '10 s back, forward'),
       el('dt', {}, '/'), el('dd', {}, 'find in the session'),
       el('dt', {}, '?'), el('dd', {}, 'this help')));

  const title = el('h1', {}, info.user + '@' + info.host + ' ', badge);
  replace(app,
          el('div', { class: 'player' },
             el('div', { class: 'stage' }, title, termWrap, timeline.el,
                controls, help),
             el('aside', { class: 'side' }, findBox, audit.el, typedBox,
                el('section', { class: 'meta-box' },
                   el('h2', {}, 'Recording'), meta))),
          status);
  status.textContent = '';

  // scaling: the terminal at its recorded size, scaled down to fit
  const fit = () => {
    const inner = termBox.querySelector('.xterm-screen') as HTMLElement |
        null;
    if (inner === null) {
      return;
    }
    const w = inner.offsetWidth, h = inner.offsetHeight;
    const avail = termWrap.clientWidth;
    const maxH = Math.max(200, window.innerHeight - 220);
    const k = Math.min(1, avail / Math.max(w, 1), maxH / Math.max(h, 1));
    termBox.style.transform = 'scale(' + k.toFixed(4) + ')';
    termWrap.style.height = Math.ceil(h * k) + 'px';
  };
  const ro = new ResizeObserver(fit);
  ro.observe(termWrap);
  screen.onResize = () => requestAnimationFrame(fit);

  const gapText = (g: PlayIndex['gaps'][number]) => {
    const at = clock(g.pos_ms);
    switch (g.kind) {
    case 'missing-ids':
      return at + ': messages ' + ((g.after_id ?? 0) + 1) + ' to ' +
          ((g.next_id ?? 0) - 1) + ' missing';
    case 'drop':
      return at + ': the recorder dropped ' + (g.messages ?? '?') +
          ' messages (' + (g.bytes ?? '?') + ' bytes)';
    default:
      return at + ': ' + g.kind + (g.note ? ' (' + g.note + ')' : '');
    }
  };
  const showIndex = () => {
    const ix = screen.index;
    timeline.setData(screen.duration, ix.activity, ix.gaps,
                     audit.commands());
    replace(gapsDd, ix.gaps.length === 0 ? 'none' :
            el('ul', {}, ...ix.gaps.map((g) => el('li', { class: 'gap' },
                                                  gapText(g)))));
  };

  // the URL holds the moment shown
  const urlAt = (pos: number) => {
    const q = new URLSearchParams(params);
    q.set('t', String(Math.round(pos)));
    return '#/play/' + encodeURIComponent(rec) + '?' + q.toString();
  };
  let lastUrl = 0;
  const keepUrl = (force = false) => {
    const now = performance.now();
    if (force || now - lastUrl > 1000) {
      lastUrl = now;
      history.replaceState(null, '', urlAt(screen.pos));
    }
  };

  const typedText: string[] = [];
  const dec = new TextDecoder();
  screen.onInput = (_pos, data) => {
    typedText.push(dec.decode(data, { stream: true }));
    let t = typedText.join('');
    if (t.length > TYPED_MAX) {
      t = t.slice(-TYPED_MAX);
      typedText.length = 0;
      typedText.push(t);
    }
    typed.textContent = t;
  };

  // a seek shows the typed input again: all of it up to the moment,
  // what came before the segment given with it
  screen.onRedraw = () => {
    typedText.length = 0;
    typed.textContent = '';
  };
  screen.onChange = () => {
    time.textContent = clock(screen.pos) + ' / ' + clock(screen.duration);
    playBtn.textContent = screen.playing ? 'Pause' : 'Play';
    playBtn.setAttribute('aria-pressed', String(screen.playing));
    timeline.setPos(screen.pos);
    audit.setPos(screen.pos);
    keepUrl();
  };
  screen.onError = (what) => {
    status.textContent = what;
    status.classList.add('error');
  };

  const setSpeed = (s: number) => {
    screen.speed = s;
    speed.value = String(s);
  };
  const seekBy = (d: number) => {
    screen.seek(screen.pos + d).then(() => keepUrl(true));
  };
  const toggle = () => {
    if (screen.playing) {
      screen.pause();
      keepUrl(true);
    } else {
      screen.play();
    }
  };
  playBtn.addEventListener('click', toggle);
  stepBtn.addEventListener('click', () => screen.step());
  speed.addEventListener('change', () => setSpeed(Number(speed.value)));
  idle.addEventListener('change', () => {
    const v = Number(idle.value);
    screen.idleCap = isFinite(v) && v > 0 ? v * 1000 : 0;
  });
  followBox.addEventListener('change', () => {
    screen.follow = followBox.checked;
    if (screen.follow) {
      screen.seek(screen.duration).then(() => screen.play());
    }
  });
  helpBtn.addEventListener('click', () => {
    help.hidden = !help.hidden;
  });
  linkBtn.addEventListener('click', async () => {
    const link = location.origin + location.pathname + urlAt(screen.pos);
    keepUrl(true);
    linkOut.value = link;
    linkOut.hidden = false;
    linkOut.select();
    try {
      await navigator.clipboard.writeText(link);
      linkBtn.textContent = 'Link copied';
    } catch {
      linkBtn.textContent = 'Copy the link below';
    }
  });

  findForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const text = findInput.value;
    if (!text) {
      return;
    }
    findStatus.textContent = 'Searching…';
    replace(findList);
    try {
      const a = await api.find(rec, text, host);
      findStatus.textContent = a.matches.length === 0 ? 'Not found.' :
          a.matches.length + (a.truncated ? '+' : '') + ' times' +
          (a.complete ? '' : ' (the recording is still being read)');
      timeline.setHits(a.matches.map((m) => m.pos_ms));
      for (const m of a.matches) {
        const b = el('button', { type: 'button', class: 'find-hit',
                                 'data-pos': m.pos_ms }, clock(m.pos_ms));
        b.addEventListener('click', async () => {
          findList.querySelectorAll('.current').forEach((x) =>
            x.classList.remove('current'));
          b.classList.add('current');
          screen.pause();
          await screen.seek(m.pos_ms);
          keepUrl(true);
          highlight(text);
        });
        findList.append(el('li', {}, b));
      }
    } catch (e) {
      findStatus.textContent = e instanceof Error ? e.message : String(e);
    }
  });
  // select the text found on the screen shown
  const highlight = (text: string) => {
    const lines = screen.lines();
    const b = screen.term.buffer.active;
    for (let y = 0; y < lines.length; y++) {
      const x = lines[y].indexOf(text);
      if (x >= 0) {
        screen.term.select(x, b.baseY + y, text.length);
        return;
      }
    }
    screen.term.clearSelection();
  };

  const onKey = (e: KeyboardEvent) => {
    const t = e.target as HTMLElement | null;
    // the terminal's own text area takes no input here: keys are ours
    const field = t !== null && !t.classList.contains('xterm-helper-textarea')
        && (t.tagName === 'INPUT' || t.tagName === 'SELECT' ||
            t.tagName === 'TEXTAREA');
    if (field || e.ctrlKey || e.metaKey || e.altKey) {
      if (e.key === 'Escape' && t) {
        t.blur();
      }
      return;
    }
    const k = SPEEDS.indexOf(screen.speed);
    switch (e.key) {
    case ' ':
    case 'p':
      if (t && t.tagName === 'BUTTON' && e.key === ' ') {
        return;
      }
      toggle();
      break;
    case '}':
      setSpeed(SPEEDS[Math.min(SPEEDS.length - 1, k + 1)]);
      break;
    case '{':
      setSpeed(SPEEDS[Math.max(0, k - 1)]);
      break;
    case 'Backspace':
      setSpeed(1);
      break;
    case '.':
      screen.step();
      break;
    case 'ArrowLeft':
      seekBy(-JUMP_MS);
      break;
    case 'ArrowRight':
      seekBy(JUMP_MS);
      break;
    case '/':
      findInput.focus();
      break;
    case '?':
      help.hidden = !help.hidden;
      break;
    default:
      return;
    }
    e.preventDefault();
    e.stopPropagation();
  };
  // before the terminal's own handler, which would take them
  document.addEventListener('keydown', onKey, true);

  window.tlog = {
    screen: () => screen.lines(),
    state: () => ({ pos: screen.pos, playing: screen.playing,
                    speed: screen.speed, busy: screen.busy,
                    cols: screen.term.cols, rows: screen.term.rows,
                    duration: screen.duration, live: screen.live,
                    follow: screen.follow, seekTimes: screen.seekTimes }),
    seek: (ms: number) => screen.seek(ms),
    opened: 0,
  };

  current = {
    stop() {
      stopped = true;
      screen.pause();
      timers.forEach((t) => clearTimeout(t));
      stream?.close();
      ro.disconnect();
      document.removeEventListener('keydown', onKey, true);
      screen.term.dispose();
      delete window.tlog;
    },
  };

  showIndex();
  // an index still being read grows: ask again until it is complete
  const poll = async () => {
    if (stopped || screen.index.complete) {
      return;
    }
    try {
      screen.setIndex(await api.index(rec, host));
      showIndex();
    } catch {
      // asked again below
    }
    if (!stopped && !screen.index.complete) {
      timers.push(window.setTimeout(poll, INDEX_POLL_MS));
    } else if (!stopped && live) {
      startLive();
    }
  };
  api.audit(rec, host).then((a) => {
    audit.setEvents(a.events, a.dropped);
    showIndex();
    audit.setPos(screen.pos);
  }).catch((e) => audit.setError(e instanceof Error ? e.message :
                                 String(e)));

  // a running recording: its new messages as they are stored
  const startLive = () => {
    if (stopped || stream !== null) {
      return;
    }
    stream = new EventSource(api.livePath(rec, 1, host));
    stream.onmessage = (m) => {
      try {
        const msg = JSON.parse(m.data) as TlogMessage;
        const evs: Ev[] = messageEvents(msg).map((e) => e[1] === 'r' ?
          { pos: e[0], kind: 'r', data: new Uint8Array(0),
            cols: Number(e[2].split('x')[0]),
            rows: Number(e[2].split('x')[1]) } :
          { pos: e[0], kind: e[1], data: e[2], cols: 0, rows: 0 });
        screen.addLive(evs);
        showIndex();
      } catch (e) {
        status.textContent = 'live: ' + (e instanceof Error ? e.message :
                                         String(e));
      }
    };
    stream.addEventListener('end', () => {
      stream?.close();
      badge.hidden = true;
      followLabel.hidden = true;
      screen.live = false;
      screen.follow = false;
    });
  };

  const t = Number(params.get('t'));
  const start = isFinite(t) && params.has('t') ? t :
      live ? screen.duration : 0;
  // a time past what is read so far: wait for the index to get there
  for (let k = 0; k < 100 && !screen.index.complete &&
       start > screen.index.duration_ms; k++) {
    await new Promise((r) => setTimeout(r, 200));
    try {
      screen.setIndex(await api.index(rec, host));
    } catch {
      // asked again
    }
  }
  showIndex();
  await screen.seek(start);
  requestAnimationFrame(() => {
    if (window.tlog) {
      window.tlog.opened = performance.now();
    }
  });
  if (live && params.get('t') === null) {
    followBox.checked = true;
    screen.follow = true;
    screen.play();
  }
  if (screen.index.complete) {
    if (live) {
      startLive();
    }
  } else {
    poll();
  }
  requestAnimationFrame(fit);
}
