/*
 * The search page: the form (user, host, time range, text shown, text
 * typed, command run, running sessions only) and a sortable, paged table
 * of the recordings found.  The search lives in the URL (#/search?...),
 * so a link reproduces it.
 */
import { api, ApiError, Recording, Session } from './api';
import { el, replace } from './dom';
import { duration, when } from './format';
import { showSeal } from './seal';

const PAGE = 20;
/* Running: the server says so (no end message, a recent last one) */
export function isLive(r: Recording): boolean {
  return r.live;
}

const FIELDS: [string, string, string][] = [
  ['user', 'User', 'alice or a*'],
  ['host', 'Host', 'web-* '],
  ['from', 'From', ''],
  ['to', 'To', ''],
  ['shown', 'Text shown', 'a phrase on the screen'],
  ['typed', 'Text typed', 'a phrase typed'],
  ['command', 'Command run', 'e.g. passwd'],
];

/* datetime-local value (UTC) <-> seconds since the epoch */
function toLocal(s: string): string {
  const n = Number(s);
  return s && isFinite(n) ? new Date(n * 1000).toISOString().slice(0, 16) : '';
}

function fromLocal(v: string): string {
  if (!v) {
    return '';
  }
  const t = Date.parse(v + 'Z');
  return isFinite(t) ? String(Math.floor(t / 1000)) : '';
}

type Sort = { key: string; down: boolean };

const COLUMNS: [string, string][] = [
  ['user', 'User'], ['host', 'Host'], ['start', 'Start'],
  ['duration', 'Duration'], ['commands', 'Commands'], ['gaps', 'Gaps'],
  ['live', 'Live'], ['seal', 'Verification'],
];

export function showSearch(app: HTMLElement, params: URLSearchParams,
                           session: Session): void {
  const inputs = new Map<string, HTMLInputElement>();
  const form = el('form', { id: 'search', class: 'search',
                            role: 'search' });
  for (const [name, label, hint] of FIELDS) {
    if (name === 'typed' && !session.rights.includes('input')) {
      continue;
    }
    const id = 'search-' + name;
    const range = name === 'from' || name === 'to';
    const i = el('input', { id, name, placeholder: hint || undefined,
                            type: range ? 'datetime-local' : 'text' });
    i.value = range ? toLocal(params.get(name) ?? '') :
        params.get(name) ?? '';
    inputs.set(name, i);
    form.append(el('div', { class: 'field' },
                   el('label', { for: id }, label + (range ? ' (UTC)' : '')),
                   i));
  }
  const live = el('input', { id: 'search-live', type: 'checkbox',
                             name: 'live' });
  live.checked = params.get('live') === '1';
  form.append(el('div', { class: 'field' },
                 el('label', { for: 'search-live', class: 'check' }, live,
                    ' Running sessions only')),
              el('div', { class: 'field' },
                 el('button', { type: 'submit' }, 'Search')));
  const status = el('p', { id: 'search-status', role: 'status' });
  const table = el('table', { id: 'results', class: 'results' });
  const pager = el('nav', { class: 'pager', 'aria-label': 'Pages' });
  replace(app, el('h1', {}, 'Recordings'), form, status, table, pager);

  const query = (over: Record<string, string> = {}) => {
    const q = new URLSearchParams();
    for (const [name, i] of inputs) {
      const v = name === 'from' || name === 'to' ? fromLocal(i.value) :
          i.value.trim();
      if (v) {
        q.set(name, v);
      }
    }
    if (live.checked) {
      q.set('live', '1');
    }
    for (const k of ['order', 'sort']) {
      const v = params.get(k);
      if (v) {
        q.set(k, v);
      }
    }
    for (const [k, v] of Object.entries(over)) {
      if (v) {
        q.set(k, v);
      } else {
        q.delete(k);
      }
    }
    return q;
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = '#/search?' + query().toString();
  });

  const offset = Number(params.get('offset') ?? 0) || 0;
  const sortText = params.get('sort') ?? 'start-';
  const sort: Sort = { key: sortText.replace(/[-+]$/, ''),
                       down: sortText.endsWith('-') };
  const q: Record<string, string | number | undefined> = {
    offset, size: PAGE, live: live.checked ? 1 : undefined,
  };
  for (const k of ['user', 'host', 'from', 'to', 'shown', 'typed',
                   'command']) {
    q[k] = params.get(k) ?? undefined;
  }
  // the server sorts, so that the pages follow one order
  if (params.get('sort') !== null || params.get('order') === null) {
    q.sort = (sort.down ? '-' : '') + sort.key;
  } else {
    q.order = params.get('order') ?? undefined;
  }
  status.textContent = 'Searching…';
  api.search(q).then((a) => {
    const recs = a.recordings;
    status.textContent = a.total === 0 ? 'No recordings found.' :
        'Recordings ' + (a.offset + 1) + ' to ' +
        (a.offset + a.recordings.length) + ' of ' + a.total + '.';
    fill(table, recs, sort, query);
    replace(pager);
    if (offset > 0) {
      pager.append(el('a', { href: '#/search?' + query({
        offset: String(Math.max(0, offset - PAGE)) }) }, '← Newer'));
    }
    if (offset + PAGE < a.total) {
      pager.append(el('a', { href: '#/search?' + query({
        offset: String(offset + PAGE) }) }, 'More →'));
    }
  }).catch((e) => {
    status.textContent = e instanceof ApiError ? e.message : String(e);
    status.classList.add('error');
  });
}

function gapsOf(r: Recording): string {
  if (!r.complete) {
    return 'messages missing';
  }
  if (r.end === null && !isLive(r)) {
    return 'no clean end';
  }
  return '';
}

function fill(table: HTMLTableElement, recs: Recording[], sort: Sort,
              query: (o?: Record<string, string>) => URLSearchParams) {
  const commands = new Map<string, HTMLElement>();
  const rows = recs;
  const head = el('tr', {});
  for (const [key, label] of COLUMNS) {
    const next = key === sort.key && !sort.down ? '-' : '+';
    const th = el('th', {
      scope: 'col',
      'aria-sort': key === sort.key ? (sort.down ? 'descending' :
                                       'ascending') : undefined,
    });
    if (key === 'commands' || key === 'seal') {
      th.append(label);
    } else {
      th.append(el('a', { href: '#/search?' + query({ sort: key + next,
                                                      offset: '' }) },
                   label + (key === sort.key ? (sort.down ? ' ▼' : ' ▲') :
                            '')));
    }
    head.append(th);
  }
  const body = el('tbody', {});
  for (const r of rows) {
    const link = '#/play/' + encodeURIComponent(r.rec) + '?host=' +
        encodeURIComponent(r.host);
    const cmd = el('td', { class: 'num' }, '…');
    commands.set(r.rec + '\n' + r.host, cmd);
    const live = isLive(r);
    const seal = el('td', {});
    showSeal(seal, r, live);
    body.append(el('tr', { 'data-rec': r.rec },
      el('td', {}, el('a', { href: link, class: 'open' }, r.user)),
      el('td', {}, r.host),
      el('td', {}, when(r.start_ms)),
      el('td', { class: 'num' }, duration(r.duration_ms)),
      cmd,
      el('td', { class: gapsOf(r) ? 'gap' : '' }, gapsOf(r)),
      el('td', {}, live ? el('span', { class: 'badge live' }, 'live') : ''),
      seal));
  }
  replace(table, el('thead', {}, head), body);
  // the commands of each row, from its audit events
  for (const r of rows) {
    api.audit(r.rec, r.host).then((a) => {
      const n = a.events.filter((e) => e.kind === 'command').length;
      const td = commands.get(r.rec + '\n' + r.host);
      if (td) {
        td.textContent = String(n);
      }
    }).catch(() => {
      const td = commands.get(r.rec + '\n' + r.host);
      if (td) {
        td.textContent = '';
      }
    });
  }
}
