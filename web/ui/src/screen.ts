/*
 * The recorded terminal: an xterm.js terminal at the recording's size,
 * drawn from the server's segments (a snapshot, then the events after
 * it).  A seek writes the snapshot of the last segment at or before the
 * time, then its events up to the time; playing applies the following
 * events as the clock runs, segment after segment.  Nothing from the
 * recording reaches the page but through the terminal.
 */
import { Terminal } from '@xterm/xterm';
import { api, ApiError, PlayIndex, Segment } from './api';

/* Segments kept decoded, most recently used last */
const SEGMENTS_KEPT = 48;
/* Tries for a segment the server is still reading (503) */
const SEGMENT_TRIES = 40;

export interface Ev {
  pos: number;
  kind: 'o' | 'i' | 'r';
  data: Uint8Array;
  cols: number;
  rows: number;
}

interface Decoded {
  i: number;
  pos: number;
  rows: number;
  cols: number;
  snapshot: Uint8Array;
  events: Ev[];
  /* typed before it, when the auditor may see typed input */
  inputBefore: Uint8Array | null;
}

/* What to write in order: bytes, or a window size */
type Op = Uint8Array | [number, number];

const enc = new TextEncoder();

export function fromBase64(s: string): Uint8Array {
  const b = atob(s);
  const u = new Uint8Array(b.length);
  for (let k = 0; k < b.length; k++) {
    u[k] = b.charCodeAt(k);
  }
  return u;
}

function decode(s: Segment): Decoded {
  const events: Ev[] = s.events.map(([pos, kind, data]) => {
    if (kind === 'r') {
      const [c, r] = data.split('x').map(Number);
      return { pos, kind: 'r', data: new Uint8Array(0), cols: c, rows: r };
    }
    return { pos, kind: kind === 'i' ? 'i' : 'o', data: fromBase64(data),
             cols: 0, rows: 0 };
  });
  return { i: s.i, pos: s.pos_ms, rows: s.rows, cols: s.cols,
           snapshot: enc.encode(s.snapshot), events,
           inputBefore: s.input_before === undefined ? null :
               fromBase64(s.input_before) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class Screen {
  readonly term: Terminal;
  index: PlayIndex;
  /* the position shown, in ms from the recording's start */
  pos = 0;
  playing = false;
  speed = 1;
  /* longest idle time played, in ms; 0: not capped */
  idleCap = 2000;
  /* a running recording: the end grows (live events are appended) */
  live = false;
  /* playing a running recording at its end, as it grows */
  follow = false;
  onChange: () => void = () => {};
  onResize: () => void = () => {};
  onInput: (pos: number, data: Uint8Array) => void = () => {};
  /* a seek redraws from a snapshot: what was shown beside it goes */
  onRedraw: () => void = () => {};
  onError: (what: string) => void = () => {};

  private segs = new Map<number, Promise<Decoded>>();
  private cur: Decoded | null = null;
  private next = 0;
  private lastEv = 0;
  private want: number | null = null;
  private seeking: Promise<void> | null = null;
  private lastWall = 0;
  private timer = 0;
  private ticking = false;
  private liveEvents: Ev[] = [];

  constructor(parent: HTMLElement, index: PlayIndex,
              private rec: string, private host?: string) {
    this.index = index;
    this.term = new Terminal({
      cols: Math.max(index.cols || 80, 2),
      rows: Math.max(index.rows || 24, 1),
      scrollback: 0,
      disableStdin: true,
      cursorBlink: false,
      convertEol: false,
      allowProposedApi: false,
      // links in the recording are text, never followed
      linkHandler: null,
      fontFamily: 'DejaVu Sans Mono, Liberation Mono, monospace',
      fontSize: 15,
    });
    // OSC 8 (hyperlinks) and OSC 52 (clipboard writes) from a recording
    // are swallowed: their text shows, nothing is opened or copied
    this.term.parser.registerOscHandler(8, () => true);
    this.term.parser.registerOscHandler(52, () => true);
    this.term.open(parent);
    // the terminal takes no keys (they are the player's, and Tab moves
    // on through the page) and is not a stop of its own for Tab
    this.term.attachCustomKeyEventHandler(() => false);
    if (this.term.textarea) {
      this.term.textarea.tabIndex = -1;
    }
  }

  get duration(): number {
    const last = this.liveEvents.length ?
        this.liveEvents[this.liveEvents.length - 1].pos : 0;
    return Math.max(this.index.duration_ms, last);
  }

  /* The text on the screen, one string per row, right-trimmed */
  lines(): string[] {
    const b = this.term.buffer.active;
    const out: string[] = [];
    for (let y = 0; y < this.term.rows; y++) {
      out.push(b.getLine(b.baseY + y)?.translateToString(true) ?? '');
    }
    return out;
  }

  /* The segment i, decoded, from the cache or the server */
  private load(i: number): Promise<Decoded> {
    let p = this.segs.get(i);
    if (p !== undefined) {
      this.segs.delete(i);
      this.segs.set(i, p);
      return p;
    }
    p = (async () => {
      for (let t = 0; ; t++) {
        try {
          return decode(await api.segment(this.rec, i, this.host));
        } catch (e) {
          if (!(e instanceof ApiError) || e.status !== 503 ||
              t >= SEGMENT_TRIES) {
            throw e;
          }
          await sleep(Math.min(1000, (e.retryAfter || 0.25) * 1000));
        }
      }
    })();
    p.catch(() => this.segs.delete(i));
    this.segs.set(i, p);
    while (this.segs.size > SEGMENTS_KEPT) {
      const oldest = this.segs.keys().next().value as number;
      this.segs.delete(oldest);
    }
    return p;
  }

  /* The number of the last segment at or before t */
  segmentAt(t: number): number {
    const s = this.index.segments;
    let lo = 0, hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid].pos_ms <= t) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  /* Write ops in order; resolves once all are parsed */
  private apply(ops: Op[]): Promise<void> {
    return new Promise((done) => {
      let run: Uint8Array[] = [];
      const flush = (then?: () => void) => {
        const n = run.reduce((a, b) => a + b.length, 0);
        const all = new Uint8Array(n);
        let at = 0;
        for (const b of run) {
          all.set(b, at);
          at += b.length;
        }
        run = [];
        this.term.write(all, then);
      };
      for (const op of ops) {
        if (op instanceof Uint8Array) {
          run.push(op);
        } else {
          const [c, r] = op;
          flush(() => this.resize(c, r));
        }
      }
      flush(done);
    });
  }

  private resize(cols: number, rows: number): void {
    if (cols > 0 && rows > 0 &&
        (cols !== this.term.cols || rows !== this.term.rows)) {
      this.term.resize(cols, rows);
      this.onResize();
    }
  }

  private push(ops: Op[], e: Ev): void {
    if (e.kind === 'o') {
      ops.push(e.data);
    } else if (e.kind === 'r') {
      ops.push([e.cols, e.rows]);
    } else {
      this.onInput(e.pos, e.data);
    }
    this.lastEv = e.pos;
  }

  /* Show the screen at t; a later seek made meanwhile wins */
  seek(t: number): Promise<void> {
    // an index still being read does not know the end yet
    this.want = Math.max(0, this.index.complete && !this.live ?
                         Math.min(t, this.duration) : t);
    if (this.seeking === null) {
      this.seeking = (async () => {
        try {
          while (this.want !== null) {
            const w = this.want;
            this.want = null;
            await this.show(w);
          }
        } catch (e) {
          this.onError(e instanceof Error ? e.message : String(e));
        } finally {
          this.seeking = null;
        }
      })();
    }
    return this.seeking;
  }

  /* Whether a seek is under way */
  get busy(): boolean {
    return this.seeking !== null;
  }

  /* Where the last seek's time went (ms): getting the segment, writing */
  seekTimes = { load: 0, write: 0, bytes: 0 };

  private async show(t: number): Promise<void> {
    if (this.index.segments.length === 0) {
      return;
    }
    const t0 = performance.now();
    const seg = await this.load(this.segmentAt(t));
    if (this.want !== null) {
      return;
    }
    const t1 = performance.now();
    this.term.reset();
    this.onRedraw();
    // the typed input goes on from all that was typed before
    if (seg.inputBefore !== null && seg.inputBefore.length > 0) {
      this.onInput(seg.pos, seg.inputBefore);
    }
    this.resize(seg.cols, seg.rows);
    const ops: Op[] = [seg.snapshot];
    let k = 0;
    this.lastEv = seg.pos;
    for (; k < seg.events.length && seg.events[k].pos <= t; k++) {
      this.push(ops, seg.events[k]);
    }
    this.cur = seg;
    this.next = k;
    let lk = 0;
    if (k === seg.events.length &&
        seg.i === this.index.segments.length - 1) {
      for (; lk < this.liveEvents.length &&
             this.liveEvents[lk].pos <= t; lk++) {
        this.push(ops, this.liveEvents[lk]);
      }
    }
    this.liveNext = lk;
    await this.apply(ops);
    this.seekTimes = {
      load: t1 - t0, write: performance.now() - t1,
      bytes: ops.reduce((a, o) => a + (o instanceof Uint8Array ?
                                        o.length : 0), 0),
    };
    this.pos = t;
    this.onChange();
    if (seg.i + 1 < this.index.segments.length) {
      this.load(seg.i + 1).catch(() => {});
    }
  }

  private liveNext = 0;

  /* The position of the next event, or null when not known yet */
  private peek(): number | null {
    const c = this.cur;
    if (c === null) {
      return null;
    }
    if (this.next < c.events.length) {
      return c.events[this.next].pos;
    }
    if (c.i + 1 < this.index.segments.length) {
      return this.index.segments[c.i + 1].pos_ms;
    }
    return this.liveNext < this.liveEvents.length ?
        this.liveEvents[this.liveNext].pos : null;
  }

  /* Apply the events up to target, segment after segment */
  private async runTo(target: number): Promise<void> {
    const ops: Op[] = [];
    while (this.cur !== null) {
      const c = this.cur;
      while (this.next < c.events.length &&
             c.events[this.next].pos <= target) {
        this.push(ops, c.events[this.next++]);
      }
      if (this.next < c.events.length) {
        break;
      }
      if (c.i + 1 < this.index.segments.length) {
        if (this.index.segments[c.i + 1].pos_ms > target) {
          break;
        }
        // the events of the next segment follow on from these
        this.cur = await this.load(c.i + 1);
        this.next = 0;
        this.liveNext = 0;
        if (this.cur.i + 1 < this.index.segments.length) {
          this.load(this.cur.i + 1).catch(() => {});
        }
        continue;
      }
      while (this.liveNext < this.liveEvents.length &&
             this.liveEvents[this.liveNext].pos <= target) {
        this.push(ops, this.liveEvents[this.liveNext++]);
      }
      break;
    }
    await this.apply(ops);
    this.pos = Math.min(target, this.duration);
    this.onChange();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.tick(), 16);
  }

  private async tick(): Promise<void> {
    if (!this.playing || this.ticking) {
      return;
    }
    this.ticking = true;
    try {
      if (this.seeking !== null) {
        await this.seeking;
        this.lastWall = performance.now();
      }
      const now = performance.now();
      let target = this.follow ? this.duration :
          this.pos + (now - this.lastWall) * this.speed;
      this.lastWall = now;
      const n = this.peek();
      if (this.idleCap > 0 && n !== null && n > target &&
          target - this.lastEv > this.idleCap) {
        target = n;
      }
      if (!this.live && target >= this.duration && this.index.complete) {
        target = this.duration;
      }
      await this.runTo(target);
      if (!this.live && this.pos >= this.duration && this.index.complete &&
          this.peek() === null) {
        this.pause();
      }
    } catch (e) {
      this.onError(e instanceof Error ? e.message : String(e));
      this.pause();
    } finally {
      this.ticking = false;
    }
    if (this.playing) {
      this.schedule();
    }
  }

  play(): void {
    if (this.playing) {
      return;
    }
    if (!this.live && this.pos >= this.duration && this.index.complete) {
      this.seek(0);
    }
    this.playing = true;
    this.lastWall = performance.now();
    this.lastEv = this.pos;
    this.schedule();
    this.onChange();
  }

  pause(): void {
    this.playing = false;
    clearTimeout(this.timer);
    this.onChange();
  }

  /* Apply the next event alone (paused) */
  async step(): Promise<void> {
    this.pause();
    if (this.seeking !== null) {
      await this.seeking;
    }
    const n = this.peek();
    if (n !== null) {
      await this.runTo(n);
    }
  }

  /* Events of a running recording, after those of the index */
  addLive(events: Ev[]): void {
    const end = this.duration;
    for (const e of events) {
      if (e.pos > this.index.duration_ms &&
          (this.liveEvents.length === 0 || e.pos >= end)) {
        this.liveEvents.push(e);
      }
    }
    this.onChange();
  }

  /* A newer index of the same recording (more segments known) */
  setIndex(index: PlayIndex): void {
    this.index = index;
    this.onChange();
  }
}
