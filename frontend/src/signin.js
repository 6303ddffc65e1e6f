// The sign-in page: sign in with an email and a password, ask for a
// one-time link (forgotten password), or set a password with one
// (#lien=... in the address, which no server log sees).

import './signin.css';
import t from './i18n/fr.js';
import { loadSession, requestLink, setPassword, signIn, signOut } from './session.js';

const $ = (id) => document.getElementById(id);
const status = $('signin-status');
const say = (text) => {
  status.textContent = text;
};

const forms = ['signin-form', 'signin-link-form', 'signin-password-form', 'signin-done'];
function show(id) {
  for (const f of forms) $(f).hidden = f !== id;
}

// ?suite= names a page of this site to open after signing in.
function next() {
  const s = new URLSearchParams(location.search).get('suite') ?? '';
  return /^\/[a-z0-9/_-]*$/i.test(s) && !s.startsWith('//') ? s : '';
}

function signedIn(session) {
  $('signin-who').textContent = t.signin.who(session.user.email, t.signin.roles[session.user.role] ?? session.user.role);
  show('signin-done');
}

$('signin-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  say('');
  try {
    const session = await signIn($('signin-email').value.trim(), $('signin-password').value);
    $('signin-password').value = '';
    const to = next();
    if (to) {
      location.assign(new URL(to.slice(1), document.baseURI));
      return;
    }
    signedIn(session);
  } catch (err) {
    say(err.status === 429 ? t.signin.tooMany : err.status === 401 ? t.signin.wrong : t.signin.failed);
  }
});

$('signin-forgot').addEventListener('click', () => {
  $('signin-link-email').value = $('signin-email').value;
  say('');
  show('signin-link-form');
});

$('signin-link-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    await requestLink($('signin-link-email').value.trim());
    say(t.signin.linkSent);
    show('signin-form');
  } catch (err) {
    say(err.status === 429 ? t.signin.tooMany : t.signin.failed);
  }
});

const link = new URLSearchParams(location.hash.slice(1)).get('lien');
$('signin-password-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    await setPassword(link, $('signin-new-password').value);
    history.replaceState(null, '', location.pathname + location.search);
    say(t.signin.passwordSet);
    show('signin-form');
  } catch (err) {
    say(err.status === 401 ? t.signin.linkExpired : err.status === 400 ? t.signin.passwordRule : t.signin.failed);
  }
});

$('signin-out').addEventListener('click', async () => {
  try {
    await signOut();
    say(t.signin.signedOut);
    show('signin-form');
  } catch {
    say(t.signin.failed);
  }
});

if (link) {
  show('signin-password-form');
} else {
  loadSession()
    .then((session) => (session ? signedIn(session) : show('signin-form')))
    .catch(() => show('signin-form'));
}
