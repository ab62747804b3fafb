/*
 * The seek bar: a canvas showing where the recording is busy (a heatmap
 * of the bytes of output in each stretch of time), its gaps in red, a
 * marker per command run, and the position.  Pressing or dragging on it
 * seeks at once; the arrow keys move by 10 s when it has the focus.
 */
import { Activity, AuditEvent, Gap } from './api';
import { clock } from './format';

const HEIGHT = 36;

export class Timeline {
  readonly el: HTMLCanvasElement;
  private duration = 1;
  private heat: Activity = { bucket_ms: 1, bytes: [] };
  private gaps: Gap[] = [];
  private marks: number[] = [];
  private hits: number[] = [];
  private pos = 0;
  private dragging = false;

  constructor(private onSeek: (ms: number) => void) {
    const c = document.createElement('canvas');
    c.className = 'timeline';
    c.height = HEIGHT;
    c.tabIndex = 0;
    c.setAttribute('role', 'slider');
    c.setAttribute('aria-label', 'Position in the recording');
    c.setAttribute('aria-valuemin', '0');
    this.el = c;
    c.addEventListener('pointerdown', (e) => {
      this.dragging = true;
      c.setPointerCapture(e.pointerId);
      this.onSeek(this.at(e.clientX));
    });
    c.addEventListener('pointermove', (e) => {
      if (this.dragging) {
        this.onSeek(this.at(e.clientX));
      }
    });
    const end = (e: PointerEvent) => {
      if (this.dragging) {
        this.dragging = false;
        c.releasePointerCapture(e.pointerId);
      }
    };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', end);
    new ResizeObserver(() => this.draw()).observe(c);
  }

  private at(clientX: number): number {
    const r = this.el.getBoundingClientRect();
    const f = Math.min(1, Math.max(0, (clientX - r.left) / r.width));
    return Math.round(f * this.duration);
  }

  /* Activity: the bytes of output of each stretch of time */
  setData(duration: number, activity: Activity, gaps: Gap[],
          commands: AuditEvent[]): void {
    this.duration = Math.max(duration, 1);
    this.heat = activity;
    this.gaps = gaps;
    this.marks = commands.map((e) => e.offset);
    this.el.setAttribute('aria-valuemax', String(this.duration));
    this.draw();
  }

  /* Times of the matches of an in-session search */
  setHits(hits: number[]): void {
    this.hits = hits;
    this.draw();
  }

  setPos(pos: number): void {
    this.pos = pos;
    this.el.setAttribute('aria-valuenow', String(Math.round(pos)));
    this.el.setAttribute('aria-valuetext', clock(pos));
    this.draw();
  }

  draw(): void {
    const c = this.el;
    const w = Math.max(1, Math.floor(c.clientWidth));
    if (c.width !== w) {
      c.width = w;
    }
    const g = c.getContext('2d');
    if (g === null) {
      return;
    }
    const x = (ms: number) => Math.round(ms / this.duration * (w - 1));
    g.fillStyle = '#20242b';
    g.fillRect(0, 0, w, HEIGHT);
    // heatmap: the bytes of output per column, each bucket's spread over
    // the columns it covers; brighter for more, on a log scale so that a
    // little output still shows beside a burst
    const cols = new Float64Array(w);
    const width = this.heat.bucket_ms;
    this.heat.bytes.forEach((n, i) => {
      if (n > 0) {
        const a = x(i * width), b = Math.max(a, x((i + 1) * width) - 1);
        for (let k = a; k <= b && k < w; k++) {
          cols[k] += n / (b - a + 1);
        }
      }
    });
    let max = 0;
    cols.forEach((v) => { max = Math.max(max, v); });
    for (let k = 0; k < w; k++) {
      if (cols[k] > 0) {
        const a = 0.15 + 0.85 * Math.log1p(cols[k]) / Math.log1p(max);
        g.fillStyle = 'rgba(64, 160, 255,' + a.toFixed(2) + ')';
        g.fillRect(k, 10, 1, HEIGHT - 20);
      }
    }
    g.fillStyle = '#e53935';
    for (const gap of this.gaps) {
      g.fillRect(Math.max(0, x(gap.pos_ms) - 1), 0, 3, HEIGHT);
    }
    g.fillStyle = '#ffca28';
    for (const m of this.marks) {
      if (m >= 0) {
        g.fillRect(x(m), 0, 1, 8);
      }
    }
    g.fillStyle = '#66bb6a';
    for (const h of this.hits) {
      g.fillRect(x(h), HEIGHT - 8, 2, 8);
    }
    g.fillStyle = '#ffffff';
    g.fillRect(Math.max(0, x(this.pos) - 1), 0, 2, HEIGHT);
  }
}
