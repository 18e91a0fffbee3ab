// The dashboard page: sign-in with an API token (traded for an HttpOnly session cookie), header, live strip and the two views.
import { ApiError, del, get, post, whenUnauthorized } from './api.ts';
import { byId, h } from './dom.ts';
import { ZONE } from './format.ts';
import { startLive } from './live.ts';
import { renderOverview } from './overview.ts';
import { renderSource } from './source.ts';
import { emptyFilters, go, readRoute, routeHash, WINDOWS } from './state.ts';
import type { Route } from './state.ts';

const THEME_KEY = 'probewatch-theme';

/** Applies the stored theme, or the system's when none was chosen. */
function applyTheme(): void {
  const t = localStorage.getItem(THEME_KEY);
  if (t === 'dark' || t === 'light') document.documentElement.dataset.theme = t;
  else delete document.documentElement.dataset.theme;
}

function currentTheme(): 'dark' | 'light' {
  const t = document.documentElement.dataset.theme;
  if (t === 'dark' || t === 'light') return t;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

let scope: 'read' | 'admin' = 'read';
/** Whether a session is open (the cookie itself is HttpOnly: the page cannot read it). */
let signedIn = false;
let disposeView: () => void = () => undefined;
let stopLive: () => void = () => undefined;

function signIn(message = ''): void {
  signedIn = false;
  stopLive();
  disposeView();
  byId('live').replaceChildren();
  byId('nav').hidden = true;
  const input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'current-password', required: true, placeholder: 'API token', spellcheck: 'false' });
  const err = h('p', { class: 'error', role: 'alert', id: 'signin-error' }, message);
  const form = h('form', { class: 'signin', id: 'signin' },
    h('h1', {}, 'Sign in'),
    h('p', {}, 'Paste an API token (read or admin). The server answers with a session cookie (HttpOnly, this site only); the page keeps no token.'),
    h('label', { for: 'token' }, 'Token'), input,
    h('button', { type: 'submit', class: 'primary' }, 'Open dashboard'), err,
    h('p', { class: 'muted small' }, 'serve writes one to DATA_DIR/api.token when no token is configured.'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    post('/dashboard/session', { token: input.value.trim() }).then(() => start(), (x: unknown) => {
      signIn(x instanceof ApiError && (x.status === 401 || x.status === 400) ? 'That token was not accepted.' : `Cannot reach the server: ${x instanceof Error ? x.message : String(x)}`);
    });
  });
  byId('main').replaceChildren(form);
  input.focus();
}

function header(route: Route): void {
  const nav = byId('nav');
  nav.hidden = false;
  const sel = h('select', { id: 'window', 'aria-label': 'Time window' }, ...WINDOWS.map((w) => h('option', { value: w }, w)));
  sel.value = route.window;
  sel.addEventListener('change', () => {
    const r = readRoute();
    go({ ...r, window: sel.value as Route['window'] });
  });
  const theme = h('button', { type: 'button', id: 'theme', title: 'Switch between dark and light' }, currentTheme() === 'dark' ? '☀ Light' : '☾ Dark');
  theme.addEventListener('click', () => {
    localStorage.setItem(THEME_KEY, currentTheme() === 'dark' ? 'light' : 'dark');
    applyTheme();
    render();
  });
  const out = h('button', { type: 'button', id: 'signout' }, 'Sign out');
  out.addEventListener('click', () => {
    // the form only once the server has ended the session: a quick sign-in cannot race the cookie being cleared
    signedIn = false;
    stopLive();
    disposeView();
    void del('/dashboard/session').catch(() => undefined).then(() => { signIn(); });
  });
  nav.replaceChildren(h('a', { href: '#/', class: 'navlink' }, 'Overview'), h('label', { class: 'win' }, 'Window ', sel), theme,
    h('span', { class: 'scope', title: 'token scope' }, scope), out);
}

function render(): void {
  disposeView();
  const route = readRoute();
  header(route);
  const main = byId('main');
  const open = (ip: string): void => { go({ view: 'source', ip, window: route.window }); };
  if (route.view === 'source') {
    document.title = `${route.ip} · probewatch`;
    disposeView = renderSource(main, route.ip, scope === 'admin', () => {
      if (history.length > 1) history.back();
      else go({ view: 'overview', window: route.window, filters: emptyFilters() });
    });
  } else {
    document.title = 'probewatch';
    disposeView = renderOverview(main, {
      window: route.window,
      filters: route.filters,
      setFilters: (filters) => { go({ ...route, filters }); },
      open,
    });
  }
  window.scrollTo({ top: 0 });
}

async function start(): Promise<void> {
  try {
    const s = await get<{ scope: 'read' | 'admin'; version: string }>('/dashboard/session');
    scope = s.scope;
    byId('version').textContent = `probewatch ${s.version}`;
  } catch (e) {
    // no session yet (or it ended): the sign-in form, without alarm
    signIn(e instanceof ApiError && e.status === 401 ? '' : `Cannot reach the server: ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  signedIn = true;
  if (!location.hash) history.replaceState(null, '', routeHash(readRoute('#/')));
  stopLive();
  stopLive = startLive(byId('live'), (ip) => { go({ view: 'source', ip, window: readRoute().window }); });
  render();
}

applyTheme();
byId('zone').textContent = `Times in ${ZONE}; hover a time for UTC.`;
whenUnauthorized(() => { if (signedIn) signIn('The session ended (signed out elsewhere, expired, or the token was withdrawn).'); });
window.addEventListener('hashchange', () => { if (signedIn) render(); });
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => { if (!localStorage.getItem(THEME_KEY) && signedIn) render(); });
void start();
