/*
 * The audit panel: what the system's audit saw behind the recording
 * (commands with their argv, directory and result, files, connections,
 * logins and authentications before the session), in time order.  A
 * click seeks to the entry; the entry of the moment shown is marked as
 * the recording plays.
 */
import { AuditEvent } from './api';
import { el } from './dom';
import { clock } from './format';

function str(v: unknown): string {
  if (v === undefined || v === null) {
    return '';
  }
  if (Array.isArray(v)) {
    return v.map(str).join(' ');
  }
  if (typeof v === 'object') {
    // a user id as the server gives it: {"name", "id"}
    const o = v as { name?: unknown; id?: unknown };
    return o.name !== undefined ? str(o.name) :
        o.id !== undefined ? str(o.id) : '';
  }
  return String(v);
}

/* The one-line description of e */
function describe(e: AuditEvent): string {
  switch (e.kind) {
  case 'command':
    return (e.argv ?? [str(e.exe)]).join(' ');
  case 'file':
    return (Array.isArray(e.paths) ? e.paths : [])
        .map((p) => str((p as { name?: unknown }).name)).join(' ') ||
        str(e.exe);
  case 'connection':
    return str(e.address) + (e.port !== undefined ? ':' + str(e.port) : '');
  case 'login':
  case 'auth':
    return [str(e.type), str(e.acct ?? e.id ?? ''),
            e.address ? 'from ' + str(e.address) : '',
            str(e.result)].filter((x) => x).join(' ');
  default:
    return str(e.type ?? e.kind);
  }
}

function detail(e: AuditEvent): string {
  const parts: string[] = [];
  if (e.cwd) {
    parts.push('in ' + e.cwd);
  }
  if (e.kind === 'command') {
    if (e.success !== undefined) {
      parts.push(e.success ? 'succeeded' : 'failed');
    }
    if (e.exit !== undefined && e.exit !== null) {
      parts.push('exit ' + str(e.exit));
    }
    if (e.uid !== undefined) {
      parts.push('uid ' + str(e.uid));
    }
    if (e.euid !== undefined && str(e.euid) !== str(e.uid)) {
      parts.push('euid ' + str(e.euid));
    }
  }
  return parts.join(', ');
}

export class AuditPanel {
  readonly el: HTMLElement;
  private rows: { e: AuditEvent; li: HTMLElement }[] = [];
  private current: HTMLElement | null = null;

  constructor(private onSeek: (ms: number) => void) {
    this.el = el('section', { class: 'audit', 'aria-label': 'Audit events' },
                 el('h2', {}, 'Audit'), el('p', {}, 'Loading…'));
  }

  setEvents(events: AuditEvent[], dropped: number): void {
    const list = el('ol', { class: 'audit-list' });
    this.rows = [];
    const kinds = new Map<string, number>();
    for (const e of events) {
      kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
      const failed = (e.kind === 'auth' || e.kind === 'login') &&
          /fail/i.test(str(e.result));
      const b = el('button', { type: 'button', class: 'audit-entry',
                               'data-kind': e.kind,
                               'data-offset': e.offset },
                   el('span', { class: 'at' }, clock(e.offset)),
                   el('span', { class: 'kind' }, e.kind),
                   el('span', { class: 'what' }, describe(e)),
                   el('span', { class: 'detail' }, detail(e)));
      if (failed) {
        b.classList.add('failed');
      }
      b.addEventListener('click', () => {
        this.onSeek(Math.max(0, e.offset));
        this.mark(b);
      });
      const li = el('li', {}, b);
      list.append(li);
      this.rows.push({ e, li: b });
    }
    const summary = [...kinds.entries()].map(([k, n]) => n + ' ' + k)
        .join(', ') || 'no audit events';
    this.el.replaceChildren(
      el('h2', {}, 'Audit'),
      el('p', { class: 'summary' }, summary +
         (dropped ? ' (' + dropped + ' more left out)' : '')),
      list);
  }

  setError(what: string): void {
    this.el.replaceChildren(el('h2', {}, 'Audit'),
                            el('p', { class: 'error' }, what));
  }

  private mark(li: HTMLElement | null): void {
    if (li === this.current) {
      return;
    }
    this.current?.classList.remove('current');
    this.current?.removeAttribute('aria-current');
    this.current = li;
    if (li !== null) {
      li.classList.add('current');
      li.setAttribute('aria-current', 'true');
      li.scrollIntoView({ block: 'nearest' });
    }
  }

  /* Mark the last entry at or before pos */
  setPos(pos: number): void {
    let best: HTMLElement | null = null;
    for (const r of this.rows) {
      if (r.e.offset <= pos && r.e.offset >= 0) {
        best = r.li;
      }
    }
    this.mark(best);
  }

  commands(): AuditEvent[] {
    return this.rows.map((r) => r.e).filter((e) => e.kind === 'command');
  }
}
