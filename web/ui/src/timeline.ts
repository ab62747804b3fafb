/*
 * The seek bar: a canvas showing where the recording is busy (a heatmap
 * of its segments and of the output read so far), its gaps in red, a
 * marker per command run, and the position.  Pressing or dragging on it
 * seeks at once; the arrow keys move by 10 s when it has the focus.
 */
import { AuditEvent, Gap } from './api';
import { clock } from './format';

const HEIGHT = 36;

export class Timeline {
  readonly el: HTMLCanvasElement;
  private duration = 1;
  private heat: number[] = [];
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

  /* Activity: positions of the segments (each marks 5 s or 16 KiB of
   * output) and bytes of output seen at positions */
  setData(duration: number, segments: number[], gaps: Gap[],
          commands: AuditEvent[]): void {
    this.duration = Math.max(duration, 1);
    this.heat = segments;
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
    // heatmap: segment starts per column, spread over a few pixels
    const cols = new Float32Array(w);
    for (const p of this.heat) {
      const k = x(p);
      for (let d = -3; d <= 3; d++) {
        if (k + d >= 0 && k + d < w) {
          cols[k + d] += 1 / (1 + Math.abs(d));
        }
      }
    }
    let max = 0;
    cols.forEach((v) => { max = Math.max(max, v); });
    for (let k = 0; k < w; k++) {
      if (cols[k] > 0) {
        const a = 0.15 + 0.85 * cols[k] / max;
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
