/** The moderator's tools in a group or channel's info dialog: freeze, slow mode, the report queue. */
import type { InboxEntry, Report } from '@parley/protocol';
import type { App } from './app.js';
import { h, patch } from './render.js';

/** True when the signed-in user moderates this conversation (owners and admins of groups and channels, by the default grants). */
export const moderates = (entry: InboxEntry): boolean =>
  entry.conversation.kind !== 'direct' && entry.member.leftSeq === null && (entry.member.role === 'owner' || entry.member.role === 'admin');

const SLOW: Array<[string, number | null]> = [['Off', null], ['10 s', 10_000], ['1 min', 60_000]];

/** The moderation section; `onChange` re-reads the member list after a ban or mute. */
export function moderationPanel(app: App, entry: InboxEntry, onChange: () => Promise<void>): HTMLElement {
  const conversationId = entry.conversation.id;
  const el = h('div.moderation', { dataset: { test: 'moderation' } });
  let reports: Report[] = [];
  let frozen = entry.conversation.moderation?.frozen ?? false;
  let slow = entry.conversation.moderation?.slowModeMs ?? null;

  const load = async () => {
    reports = (await app.client.api.listReports({ conversationId, status: 'open', limit: 50 })).items;
    const missing = [...new Set(reports.flatMap((r) => [r.reporterId, r.targetUserId]))].filter((id) => !app.users.get(id));
    if (missing.length) app.users.put(await app.client.api.getUsers({ ids: missing.slice(0, 100) }));
    draw();
  };
  const resolve = (r: Report, action: 'ban' | 'mute' | 'dismiss') =>
    void app.run(async () => {
      await app.client.api.resolveReport({ conversationId, reportId: r.id, action, ...(action === 'mute' ? { durationMs: 10 * 60_000 } : {}) });
      app.toast(action === 'dismiss' ? 'Report dismissed' : `${app.users.name(r.targetUserId)} ${action === 'ban' ? 'banned' : 'muted for 10 minutes'}`);
      await load();
      await onChange();
    });
  const draw = () =>
    patch(
      el,
      h('div.list-heading', null, 'Moderation'),
      h(
        'div.info-actions',
        null,
        h(
          'button.btn.small',
          {
            dataset: { test: 'freeze' },
            onclick: () =>
              void app.run(async () => {
                const c = await app.client.api.freeze({ conversationId, frozen: !frozen });
                frozen = c.moderation?.frozen ?? false;
                app.toast(frozen ? 'Frozen: only moderators can post' : 'Unfrozen');
                draw();
              }),
          },
          frozen ? 'Unfreeze' : 'Freeze',
        ),
        h(
          'select.role-select',
          {
            'aria-label': 'Slow mode',
            onchange: (e: Event) =>
              void app.run(async () => {
                const value = SLOW[Number((e.target as HTMLSelectElement).value)]![1];
                const c = await app.client.api.setSlowMode({ conversationId, intervalMs: value });
                slow = c.moderation?.slowModeMs ?? null;
                app.toast(slow === null ? 'Slow mode off' : `Slow mode: one message per ${slow / 1000} s`);
              }),
          },
          SLOW.map(([label, ms], i) => h('option', { value: String(i), selected: ms === slow }, `Slow mode: ${label}`)),
        ),
      ),
      h('div.list-heading', null, `Reports (${reports.length} open)`),
      reports.map((r) =>
        h(
          'div.member-row',
          { dataset: { test: 'report', target: r.targetUserId } },
          h(
            'span.conv-main',
            null,
            h('span.conv-title', null, app.users.name(r.targetUserId)),
            h('span.conv-preview', null, `${r.seq === null ? 'user' : `message #${r.seq}`} — reported by ${app.users.name(r.reporterId)}: ${r.reason}`),
          ),
          h(
            'span.row-actions',
            null,
            h('button.btn.small.danger', { dataset: { test: 'report-ban' }, onclick: () => resolve(r, 'ban') }, 'Ban'),
            h('button.btn.small', { onclick: () => resolve(r, 'mute') }, 'Mute'),
            h('button.btn.small', { onclick: () => resolve(r, 'dismiss') }, 'Dismiss'),
          ),
        ),
      ),
    );
  draw();
  void app.run(load);
  return el;
}
