import type { PushDevice, PushDeviceStore } from '@parley/core';
import type { Db, ObjectId } from 'mongodb';
import { isDuplicateKeyError } from './errors.js';
import { keyId } from './ids.js';

interface DeviceDoc extends PushDevice {
  _id: ObjectId;
}

const toDevice = ({ userId, deviceId, provider, token, level, createdAt, updatedAt }: DeviceDoc): PushDevice => ({ userId, deviceId, provider, token, level, createdAt, updatedAt });

/** Push devices on MongoDB (collection `push_devices`, `_id` from (user, device)). */
export function createMongoPushDeviceStore(db: Db, prefix: string): PushDeviceStore {
  const devices = db.collection<DeviceDoc>(`${prefix}push_devices`);
  return {
    async putDevice({ userId, deviceId, provider, token, level, now, maxPerUser }) {
      const _id = keyId('push-device', userId, deviceId);
      const existing = await devices.findOne({ _id });
      const doc: DeviceDoc = { _id, userId, deviceId, provider, token, level, createdAt: existing?.createdAt ?? now, updatedAt: now };
      const write = () => devices.replaceOne({ _id }, doc, { upsert: true });
      await write().catch((error: unknown) => (isDuplicateKeyError(error) ? write() : Promise.reject(error)));
      const extra = await devices.find({ userId }, { projection: { _id: 1 } }).sort({ updatedAt: -1, deviceId: -1 }).skip(maxPerUser).toArray();
      if (extra.length > 0) await devices.deleteMany({ _id: { $in: extra.map((d) => d._id) } });
      return toDevice(doc);
    },
    async removeDevice({ userId, deviceId }) {
      return (await devices.deleteOne({ _id: keyId('push-device', userId, deviceId) })).deletedCount === 1;
    },
    async devicesOf(userIds) {
      if (userIds.length === 0) return [];
      const docs = await devices.find({ userId: { $in: [...userIds] } }).sort({ userId: 1, deviceId: 1 }).toArray();
      return docs.map(toDevice);
    },
  };
}
