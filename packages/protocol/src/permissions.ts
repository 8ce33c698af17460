import { z } from 'zod';

/**
 * What a role may do in a conversation. The engine decides every operation on these (see
 * docs/moderation.md for which operation needs which permission, and the defaults per kind).
 */
export const Permission = z.enum([
  'send',
  'sendLinks',
  'upload',
  'react',
  'mentionChannel',
  'pin',
  'editOwn',
  'editAny',
  'deleteOwn',
  'deleteAny',
  'addMembers',
  'removeMembers',
  'changeRoles',
  'updateConversation',
  'managePermissions',
  'ban',
  'mute',
  'freeze',
  'setSlowMode',
  'readReports',
]);
export type Permission = z.infer<typeof Permission>;

/** Every permission, in a fixed order. */
export const PERMISSIONS: readonly Permission[] = Permission.options;

/**
 * A conversation's own grants: for each role named, the full set of permissions it holds in this
 * conversation (replacing the app's default for that role). Roles left out keep the default.
 */
export const PermissionOverride = z
  .object({
    owner: z.array(Permission).max(PERMISSIONS.length).optional(),
    admin: z.array(Permission).max(PERMISSIONS.length).optional(),
    member: z.array(Permission).max(PERMISSIONS.length).optional(),
  })
  .strict();
export type PermissionOverride = z.infer<typeof PermissionOverride>;

/** The mention that notifies every member (needs `mentionChannel`). */
export const CHANNEL_MENTION = '@channel';

/** The actor id of events written by server code acting as the system (`chat.asSystem`). */
export const SYSTEM_ACTOR = 'parley:system';
