/*
 * A recording's verification state, as a line of text with a class for
 * its colour: the state the server gave with the recording, or, while
 * that is "pending", the one it computes when asked (one recording at a
 * time, so that a page of them does not read the store all at once).
 */
import { api, ApiError, Recording, SealState } from './api';

/* Times a busy server is asked again for one recording */
const BUSY_TRIES = 5;

let queue: Promise<unknown> = Promise.resolve();

/* ok (sealed and complete), warn (cut short, unsealed), bad (tampered
 * with) or none (not checked) */
export function sealClass(s: SealState): string {
  const st = s.status ?? -1;
  return st === 0 ? 'seal-ok' : st === 3 || st === 4 ? 'seal-warn' :
      st >= 5 ? 'seal-bad' : 'seal-none';
}

/* The line shown; a running recording's unsealed end is no fault (but
 * a sealed end message gone is: then id is past upto) */
export function sealText(s: SealState, live: boolean): string {
  if (live && (s.state === 'unsealed-tail' ||
               (s.state === 'cut-short' && s.id !== 0 &&
                s.id === s.upto))) {
    return 'Running, sealed to message ' + (s.upto ?? 0);
  }
  return s.summary;
}

function put(e: HTMLElement, s: SealState, live: boolean): void {
  e.classList.remove('seal-ok', 'seal-warn', 'seal-bad', 'seal-none');
  e.classList.add('seal', sealClass(s));
  e.textContent = sealText(s, live);
  e.dataset.state = s.state;
  if (s.detail) {
    e.title = s.detail;
  }
}

async function ask(r: Recording): Promise<SealState> {
  for (let tries = 1; ; tries++) {
    try {
      return await api.seal(r.rec, r.host);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 503 ||
          tries === BUSY_TRIES) {
        throw e;
      }
      await new Promise((ok) => setTimeout(ok,
                                           1000 * (e.retryAfter || 1)));
    }
  }
}

/* Show r's state in e, asking for it when the server had it pending */
export function showSeal(e: HTMLElement, r: Recording, live: boolean): void {
  const s = r.seal ?? { state: 'pending', summary: 'Not checked yet' };
  put(e, s, live);
  if (s.state !== 'pending') {
    return;
  }
  e.textContent = 'Checking…';
  queue = queue.then(() => ask(r)).then((got) => {
    put(e, got, live);
  }).catch((err) => {
    put(e, { state: 'error', summary: 'Not checked: ' +
             (err instanceof Error ? err.message : String(err)) }, live);
  });
}
