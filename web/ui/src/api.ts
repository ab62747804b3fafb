/*
 * tlog-web's JSON API (tlog-web(8)), the page's only source: every
 * request goes to this server, with the session cookie, and those that
 * change state with the CSRF token.
 */

export interface Session {
  user: string;
  groups: string[];
  csrf: string;
  rights: string[];
}

export interface Recording {
  rec: string;
  user: string;
  host: string;
  session: number;
  start: string;
  start_ms: number;
  duration_ms: number;
  messages: number;
  input: boolean;
  complete: boolean;
  end: unknown;
  live: boolean;
  input_visible?: boolean;
  seal?: SealState;
}

/* A recording's verification state (tlog-web(8)) */
export interface SealState {
  state: string;
  summary: string;
  detail?: string;
  status?: number;
  id?: number;
  upto?: number;
}

export interface SearchAnswer {
  total: number;
  offset: number;
  recordings: Recording[];
}

export interface SegmentInfo {
  i: number;
  pos_ms: number;
  rows: number;
  cols: number;
}

export interface Gap {
  pos_ms: number;
  kind: string;
  after_id?: number;
  next_id?: number;
  messages?: number;
  bytes?: number;
  note?: string;
}

export interface PlayIndex {
  complete: boolean;
  cached: boolean;
  duration_ms: number;
  rows: number;
  cols: number;
  segments: SegmentInfo[];
  gaps: Gap[];
  activity: Activity;
}

/* Bytes of output in each bucket_ms of the recording, from its start */
export interface Activity {
  bucket_ms: number;
  bytes: number[];
}

/* [pos_ms, "o" | "i" | "r", base64 bytes or "COLSxROWS"] */
export type PlayEvent = [number, string, string];

export interface Segment extends SegmentInfo {
  snapshot: string;
  events: PlayEvent[];
  /* what was typed before the segment (with the input right) */
  input_before?: string;
  input_before_cut?: boolean;
}

export interface FindAnswer {
  complete: boolean;
  truncated: boolean;
  matches: { i: number; pos_ms: number }[];
}

export interface AuditEvent {
  kind: string;
  offset: number;
  argv?: string[];
  cwd?: string;
  exe?: string;
  success?: boolean;
  exit?: number;
  uid?: unknown;
  euid?: unknown;
  result?: string;
  [key: string]: unknown;
}

export interface AuditAnswer {
  rec: string;
  start_ms: number;
  dropped: number;
  events: AuditEvent[];
}

/* A failed request: its HTTP status and the server's reason */
export class ApiError extends Error {
  constructor(public status: number, message: string,
              public retryAfter = 0) {
    super(message);
  }
}

let csrf = '';

/* The CSRF token of the session, sent with requests that change state */
export function setCsrf(token: string): void {
  csrf = token;
}

async function request<T>(method: string, path: string,
                          body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  if (method !== 'GET') {
    headers['X-CSRF-Token'] = csrf;
  }
  const r = await fetch(path, {
    method, headers, credentials: 'same-origin', cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data: unknown = null;
  try {
    data = await r.json();
  } catch {
    data = null;
  }
  if (!r.ok) {
    const what = data && typeof data === 'object' && 'error' in data ?
        String((data as { error: unknown }).error) : r.statusText;
    throw new ApiError(r.status, what,
                       Number(r.headers.get('Retry-After') || 0));
  }
  return data as T;
}

/* path with the query parameters that have a value */
export function withQuery(path: string,
                          q: Record<string, string | number | undefined>) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v !== undefined && v !== '') {
      p.set(k, String(v));
    }
  }
  const s = p.toString();
  return s ? path + '?' + s : path;
}

function recPath(rec: string, host?: string, tail = '',
                 q: Record<string, string | number | undefined> = {}) {
  return withQuery('/api/recordings/' + encodeURIComponent(rec) + tail,
                   { ...q, host });
}

export const api = {
  login: (user: string, password: string) =>
    request<Session>('POST', '/api/login', { user, password }),
  logout: () => request<unknown>('POST', '/api/logout'),
  session: () => request<Session>('GET', '/api/session'),
  search: (q: Record<string, string | number | undefined>) =>
    request<SearchAnswer>('GET', withQuery('/api/recordings', q)),
  recording: (rec: string, host?: string) =>
    request<Recording>('GET', recPath(rec, host)),
  index: (rec: string, host?: string) =>
    request<PlayIndex>('GET', recPath(rec, host, '/segments')),
  segment: (rec: string, i: number, host?: string) =>
    request<Segment>('GET', recPath(rec, host, '/segments/' + i)),
  find: (rec: string, text: string, host?: string) =>
    request<FindAnswer>('GET', recPath(rec, host, '/find', { text })),
  seal: (rec: string, host?: string) =>
    request<SealState>('GET', recPath(rec, host, '/seal')),
  audit: (rec: string, host?: string) =>
    request<AuditAnswer>('GET', recPath(rec, host, '/audit')),
  livePath: (rec: string, fromId: number, host?: string) =>
    recPath(rec, host, '/live', { from_id: fromId }),
};
