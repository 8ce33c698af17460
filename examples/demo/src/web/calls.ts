/** The call overlay: outgoing ringing, incoming with answer/decline, and the in-call bar. Media is out of scope. */
import type { Call } from '@parley/protocol';
import type { App } from './app.js';
import { avatar } from './avatar.js';
import { duration } from './format.js';
import { h, icon, patch } from './render.js';
import { titleOf } from './state.js';

let ticker: ReturnType<typeof setInterval> | undefined;

/** Render the overlay for the first live call that involves me. */
export function renderCallOverlay(app: App, el: HTMLElement): void {
  const call = [...app.state.calls.values()].find((c) => c.participants.some((p) => p.userId === app.me && (p.state === 'ringing' || p.state === 'joined')));
  if (!call) {
    patch(el);
    clearInterval(ticker);
    ticker = undefined;
    return;
  }
  const me = call.participants.find((p) => p.userId === app.me)!;
  const entry = app.client.inbox.getSnapshot().byId[call.conversationId];
  const title = entry ? titleOf(entry, app.users, app.me) : 'Call';
  const incoming = me.state === 'ringing' && call.initiatorId !== app.me;
  const media = call.media === 'video' ? 'video' : 'voice';
  const status =
    incoming ? `Incoming ${media} call…`
    : call.status === 'ringing' ? 'Ringing…'
    : `In call · ${duration(Date.now() - (call.answeredAt ?? call.startedAt))}`;
  if (call.status === 'active' && !ticker) ticker = setInterval(() => app.render(), 1000);
  const act = (fn: (p: { callId: string }) => Promise<Call>) =>
    void app.run(async () => {
      const next = await fn({ callId: call.id });
      if (next.status === 'ringing' || next.status === 'active') app.state.calls.set(next.id, next);
      else app.state.calls.delete(next.id);
      app.render();
    });
  patch(
    el,
    h(
      'div.call-card',
      { class: { incoming }, dataset: { test: 'call', status: call.status } },
      h('div.call-avatar', { class: { pulse: call.status === 'ringing' } }, avatar(entry?.peer?.id ?? call.conversationId, title, { size: 64 })),
      h('div.call-info', null, h('div.call-title', null, title), h('div.call-status', null, status), h('div.call-note', null, 'Demo: records the call, no audio or video.')),
      h(
        'div.call-buttons',
        null,
        incoming
          ? [
              h('button.round.decline', { title: 'Decline', 'aria-label': 'Decline', dataset: { test: 'decline' }, onclick: () => act((p) => app.client.api.declineCall(p)) }, icon('phoneOff')),
              h('button.round.answer', { title: 'Answer', 'aria-label': 'Answer', dataset: { test: 'answer' }, onclick: () => act((p) => app.client.api.answerCall(p)) }, icon(call.media === 'video' ? 'video' : 'phone')),
            ]
          : h('button.round.decline', { title: 'End call', 'aria-label': 'End call', dataset: { test: 'end-call' }, onclick: () => act((p) => app.client.api.endCall(p)) }, icon('phoneOff')),
      ),
    ),
  );
}
