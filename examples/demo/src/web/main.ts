/** Entry point of the demo page: sign-in screen or the chat. */
import { loadSession, type Session } from './api.js';
import { startApp } from './app.js';
import { renderLogin } from './login.js';

const root = document.getElementById('app')!;

function signedIn(session: Session): void {
  startApp(root, session, () => renderLogin(root, signedIn));
}

const session = loadSession();
if (session) signedIn(session);
else renderLogin(root, signedIn);
