/** The sign-in screen (development-only: a display name is all it takes). */
import { devLogin, saveSession, type Session } from './api.js';
import { h, icon, patch } from './render.js';

/** Show the sign-in form in `root`; `onSignedIn` runs with the new session. */
export function renderLogin(root: HTMLElement, onSignedIn: (s: Session) => void): void {
  root.classList.remove('signed-in', 'show-pane');
  const error = h('p.form-error', { role: 'alert' });
  const input = h('input.text-input.big', {
    type: 'text',
    name: 'displayName',
    placeholder: 'Your name, e.g. Ana Lima',
    'aria-label': 'Display name',
    autocomplete: 'nickname',
    maxLength: 40,
    required: true,
  }) as HTMLInputElement;
  const button = h('button.btn.primary.wide.big', { type: 'submit' }, 'Continue') as HTMLButtonElement;
  const form = h(
    'form.login-form',
    {
      onsubmit: (e: Event) => {
        e.preventDefault();
        const name = input.value.trim();
        if (!name) return;
        button.disabled = true;
        error.textContent = '';
        devLogin(name)
          .then((s) => {
            saveSession(s);
            onSignedIn(s);
          })
          .catch((err: unknown) => {
            error.textContent = err instanceof Error ? err.message : String(err);
            button.disabled = false;
          });
      },
    },
    h('label.field', null, h('span', null, 'Display name'), input),
    button,
    error,
  );
  patch(
    root,
    h(
      'div.login',
      null,
      h(
        'div.login-card',
        null,
        h('div.brand', null, h('span.brand-mark', null, icon('send', 26)), h('span.brand-name', null, 'Parley')),
        h('h1', null, 'Chat, embedded.'),
        h('p.lead', null, 'A demo of the Parley chat engine: direct chats, groups, channels, receipts, reactions, attachments and call history — on embedded Postgres.'),
        form,
        h(
          'div.dev-warning',
          { role: 'note' },
          h('strong', null, 'Development-only sign-in. '),
          'There is no password: anyone who types a name becomes that user. A real app authenticates users itself and passes Parley a verified id.',
        ),
        h('p.hint', null, 'Tip: open a private window and sign in with a second name to chat with yourself.'),
      ),
    ),
  );
  queueMicrotask(() => input.focus());
}
