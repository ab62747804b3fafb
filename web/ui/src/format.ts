/*
 * Times and durations as the page shows them.
 */

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/* A position in a recording: m:ss.t, or h:mm:ss.t */
export function clock(ms: number): string {
  const neg = ms < 0;
  let t = Math.floor(Math.abs(ms) / 100);
  const tenths = t % 10;
  t = Math.floor(t / 10);
  const s = t % 60, m = Math.floor(t / 60) % 60, h = Math.floor(t / 3600);
  const body = (h > 0 ? h + ':' + pad(m) : String(m)) + ':' + pad(s) + '.' +
      tenths;
  return (neg ? '-' : '') + body;
}

/* A duration in words: 3 h 02 min, 5 min 07 s, 12.3 s */
export function duration(ms: number): string {
  if (ms < 60000) {
    return (ms / 1000).toFixed(1) + ' s';
  }
  const s = Math.floor(ms / 1000);
  if (s < 3600) {
    return Math.floor(s / 60) + ' min ' + pad(s % 60) + ' s';
  }
  return Math.floor(s / 3600) + ' h ' + pad(Math.floor(s / 60) % 60) + ' min';
}

/* A moment in UTC: 2026-11-29 14:03:07 */
export function when(ms: number): string {
  if (ms < 0) {
    return '';
  }
  const d = new Date(ms);
  return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' +
      pad(d.getUTCDate()) + ' ' + pad(d.getUTCHours()) + ':' +
      pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds());
}
