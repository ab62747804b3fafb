/*
 * The login page: user name and password, sent to /api/login.
 */
import { api, ApiError, Session } from './api';
import { el, replace } from './dom';

export function showLogin(app: HTMLElement,
                          done: (s: Session) => void): void {
  const user = el('input', { id: 'login-user', name: 'user', required: true,
                             autocomplete: 'username', autofocus: true });
  const pass = el('input', { id: 'login-password', name: 'password',
                             type: 'password', required: true,
                             autocomplete: 'current-password' });
  const msg = el('p', { id: 'login-message', class: 'error', role: 'alert' });
  const button = el('button', { type: 'submit' }, 'Log in');
  const form = el('form', { id: 'login', class: 'login' },
                  el('h1', {}, 'Recorded sessions'),
                  el('label', { for: 'login-user' }, 'User'), user,
                  el('label', { for: 'login-password' }, 'Password'), pass,
                  button, msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    msg.textContent = '';
    try {
      const s = await api.login(user.value, pass.value);
      pass.value = '';
      done(s);
    } catch (e) {
      if (e instanceof ApiError && e.status === 429) {
        msg.textContent = 'Too many failed logins: wait ' +
            (e.retryAfter || 'a few') + ' seconds.';
      } else if (e instanceof ApiError && e.status === 401) {
        msg.textContent = 'Wrong user name or password.';
      } else {
        msg.textContent = e instanceof Error ? e.message : String(e);
      }
    } finally {
      button.disabled = false;
    }
  });
  replace(app, form);
  user.focus();
}
