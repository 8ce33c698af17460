import { ChatError } from '../errors.js';
import type { EngineContext } from '../context.js';
import type { PushDeviceStore } from '../push-device-store.js';
import type { Handlers } from './types.js';

const devicesOf = (ctx: EngineContext): PushDeviceStore => {
  if (!ctx.store.push) throw new ChatError('INVALID', 'this server keeps no push devices (its store has no `push` part)');
  return ctx.store.push;
};

/** The acting user's push devices: per-user state, only ever the actor's own. */
export const deviceHandlers: Handlers<'registerPushDevice' | 'removePushDevice' | 'listPushDevices'> = {
  async registerPushDevice(ctx, actor, p) {
    return devicesOf(ctx).putDevice({
      userId: actor,
      deviceId: p.deviceId,
      provider: p.provider,
      token: p.token,
      level: p.level ?? 'all',
      now: ctx.clock.now(),
      maxPerUser: ctx.limits.maxPushDevicesPerUser,
    });
  },
  async removePushDevice(ctx, actor, p) {
    return { removed: await devicesOf(ctx).removeDevice({ userId: actor, deviceId: p.deviceId }) };
  },
  async listPushDevices(ctx, actor) {
    return devicesOf(ctx).devicesOf([actor]);
  },
};
