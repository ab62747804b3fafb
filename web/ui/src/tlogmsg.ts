/*
 * A tlog message's events, from its timing string (FORMAT.md): what a
 * live stream brings is decoded here into the same events as a segment's.
 */

export interface TlogMessage {
  pos: number;
  timing: string;
  out_txt?: string;
  out_bin?: number[];
  in_txt?: string;
  in_bin?: number[];
}

/* An event: position in ms, kind (o output, i input, r window), and the
 * bytes or "COLSxROWS" */
export type MsgEvent = [number, 'o' | 'i', Uint8Array] | [number, 'r', string];

const enc = new TextEncoder();

/* Longest timing string taken */
export const TIMING_MAX = 1 << 20;

/* The events of m, in order; an error for a malformed timing string */
export function messageEvents(m: TlogMessage): MsgEvent[] {
  const out: MsgEvent[] = [];
  const t = m.timing;
  const otxt = Array.from(m.out_txt ?? ''), itxt = Array.from(m.in_txt ?? '');
  const obin = m.out_bin ?? [], ibin = m.in_bin ?? [];
  let oi = 0, ii = 0, ob = 0, ib = 0, pos = m.pos, k = 0;
  if (t.length > TIMING_MAX) {
    throw new Error('timing string too long');
  }
  const num = (): number => {
    const s = k;
    while (k < t.length && t[k] >= '0' && t[k] <= '9') {
      k++;
    }
    if (s === k) {
      throw new Error('timing: number expected at ' + s);
    }
    return Number(t.slice(s, k));
  };
  while (k < t.length) {
    const c = t[k++];
    if (c === ' ' || c === '\n') {
      continue;
    }
    if (c === '+') {
      pos += num();
    } else if (c === '>' || c === '<') {
      const n = num();
      const src = c === '>' ? otxt : itxt;
      const at = c === '>' ? oi : ii;
      out.push([pos, c === '>' ? 'o' : 'i',
                enc.encode(src.slice(at, at + n).join(''))]);
      if (c === '>') {
        oi += n;
      } else {
        ii += n;
      }
    } else if (c === ']' || c === '[') {
      const r = num();
      if (t[k++] !== '/') {
        throw new Error('timing: "/" expected at ' + (k - 1));
      }
      const b = num();
      const bin = c === ']' ? obin : ibin;
      const at = c === ']' ? ob : ib;
      out.push([pos, c === ']' ? 'o' : 'i',
                Uint8Array.from(bin.slice(at, at + b))]);
      if (c === ']') {
        oi += r;
        ob += b;
      } else {
        ii += r;
        ib += b;
      }
    } else if (c === '=') {
      const w = num();
      if (t[k++] !== 'x') {
        throw new Error('timing: "x" expected at ' + (k - 1));
      }
      out.push([pos, 'r', w + 'x' + num()]);
    } else {
      throw new Error('timing: unknown event "' + c + '" at ' + (k - 1));
    }
  }
  return out;
}
