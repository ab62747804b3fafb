/*
 * The console page: routes (#/login, #/search?..., #/play/REC?...), the
 * session, and the header.
 */
import '@xterm/xterm/css/xterm.css';
import '../style.css';
import { api, ApiError, Session, setCsrf } from './api';
import { byId } from './dom';
import { showLogin } from './login';
import { showPlayer, stopPlayer } from './player';
import { showSearch } from './search';
import { mirrorStyles } from './styles';

let session: Session | null = null;

function signedIn(s: Session): void {
  session = s;
  setCsrf(s.csrf);
  byId('who').textContent = s.user;
  byId('logout').hidden = false;
}

async function route(): Promise<void> {
  const app = byId('app');
  const hash = location.hash.replace(/^#/, '') || '/search';
  const q = hash.indexOf('?');
  const path = q < 0 ? hash : hash.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : hash.slice(q + 1));
  stopPlayer();
  if (session === null) {
    try {
      signedIn(await api.session());
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) {
        app.textContent = e instanceof Error ? e.message : String(e);
        return;
      }
      document.title = 'tlog: log in';
      showLogin(app, (s) => {
        signedIn(s);
        route();
      });
      return;
    }
  }
  if (path.startsWith('/play/')) {
    document.title = 'tlog: player';
    await showPlayer(app, decodeURIComponent(path.slice(6)), params);
  } else {
    document.title = 'tlog: recordings';
    showSearch(app, params, session as Session);
  }
}

function start(): void {
  mirrorStyles(document.documentElement);
  byId('logout').addEventListener('click', async () => {
    try {
      await api.logout();
    } finally {
      session = null;
      setCsrf('');
      byId('who').textContent = '';
      byId('logout').hidden = true;
      route();
    }
  });
  window.addEventListener('hashchange', () => {
    route();
  });
  route();
}

start();
