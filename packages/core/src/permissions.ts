import type { ConversationKind, Permission, PermissionOverride, Role } from '@parley/protocol';
import { PERMISSIONS, Role as RoleSchema, ConversationKind as KindSchema } from '@parley/protocol';
import { ChatError } from './errors.js';

/** The permissions of each conversation role. */
export type RoleGrants = Readonly<Record<Role, readonly Permission[]>>;

/** The grants of every conversation kind: the app's permission table. */
export type PermissionTable = Readonly<Record<ConversationKind, RoleGrants>>;

/** What a member of a group or channel may do by default. */
const MEMBER: readonly Permission[] = ['send', 'sendLinks', 'upload', 'react', 'mentionChannel', 'editOwn', 'deleteOwn'];
/** What owners and admins may do by default, beyond {@link MEMBER}. */
const MANAGER: readonly Permission[] = [
  ...MEMBER,
  'pin',
  'deleteAny',
  'addMembers',
  'removeMembers',
  'changeRoles',
  'updateConversation',
  'ban',
  'mute',
  'freeze',
  'setSlowMode',
  'readReports',
];
/** Both people of a direct conversation may pin; nobody manages it. */
const DIRECT: readonly Permission[] = [...MEMBER, 'pin'];

/**
 * The default permission table. It reproduces the fixed rules of earlier versions exactly: members
 * send, react, edit and delete their own messages; owners and admins of groups and channels also pin,
 * delete anyone's message, manage members, roles and the conversation, and moderate; only owners
 * change a conversation's grants. In direct conversations both members hold the same set, pin included.
 *
 * Two rules are not permissions and hold whatever the table says: the rank rule (admins act only on
 * plain members; only owners grant or take the owner role; an admin may step down), and a
 * conversation always keeps an owner.
 */
export const DEFAULT_PERMISSIONS: PermissionTable = {
  direct: { owner: DIRECT, admin: DIRECT, member: DIRECT },
  group: { owner: [...MANAGER, 'managePermissions'], admin: MANAGER, member: MEMBER },
  channel: { owner: [...MANAGER, 'managePermissions'], admin: MANAGER, member: MEMBER },
};

/** The permission table as given to `createChat`: any kind and role left out keeps its default. */
export type PermissionTableOptions = Partial<Record<ConversationKind, Partial<Record<Role, readonly Permission[]>>>>;

/**
 * App-level staff: the host app's own moderators, who act in conversations they are not members of.
 * Their grants are app data, not conversation data: the engine decides them, and no store reads them.
 */
export interface StaffOptions {
  /** Each staff role's permissions, e.g. `{ moderator: ['deleteAny', 'ban', 'mute', 'freeze', 'setSlowMode', 'readReports'] }`. */
  roles: Readonly<Record<string, readonly Permission[]>>;
  /** The staff role of a user, or null for everyone else. Called once per operation that needs it. */
  roleOf(userId: string): string | null | Promise<string | null>;
  /** Kinds of conversation staff act in. Default `['channel']`: groups and direct conversations stay private. */
  kinds?: readonly ConversationKind[];
}

/** Permission options of `createChat` (`ChatOptions.permissions`). */
export interface PermissionOptions {
  /** Grants per conversation kind and role; missing entries take {@link DEFAULT_PERMISSIONS}. */
  table?: PermissionTableOptions;
  /** App-level staff roles. Default: none. */
  staff?: StaffOptions;
}

/** The permission options in force, with defaults filled in. */
export interface ResolvedPermissions {
  table: PermissionTable;
  staff: StaffOptions | null;
}

const badOption = (message: string) => new ChatError('INVALID', `permissions: ${message}`);

function checkList(where: string, list: readonly unknown[]): void {
  for (const p of list) if (!PERMISSIONS.includes(p as Permission)) throw badOption(`${where}: unknown permission ${JSON.stringify(p)}`);
}

/** Fill in defaults and check every name; throws INVALID for an unknown kind, role or permission. */
export function resolvePermissions(options: PermissionOptions | undefined): ResolvedPermissions {
  const given = options?.table ?? {};
  const table = {} as Record<ConversationKind, RoleGrants>;
  for (const kind of Object.keys(given)) if (!KindSchema.options.includes(kind as ConversationKind)) throw badOption(`unknown kind ${JSON.stringify(kind)}`);
  for (const kind of KindSchema.options) {
    const roles = given[kind] ?? {};
    for (const role of Object.keys(roles)) if (!RoleSchema.options.includes(role as Role)) throw badOption(`unknown role ${JSON.stringify(role)}`);
    const grants = {} as Record<Role, readonly Permission[]>;
    for (const role of RoleSchema.options) {
      const list = roles[role] ?? DEFAULT_PERMISSIONS[kind][role];
      checkList(`${kind}.${role}`, list);
      grants[role] = [...new Set(list)];
    }
    table[kind] = grants;
  }
  const staff = options?.staff ?? null;
  if (staff) for (const [name, list] of Object.entries(staff.roles)) checkList(`staff role ${name}`, list);
  return { table, staff };
}

/** The grants in force in one conversation: the app's for its kind, overlaid by its own override. */
export function grantsIn(table: PermissionTable, kind: ConversationKind, override: PermissionOverride | null | undefined): RoleGrants {
  const base = table[kind];
  if (!override) return base;
  return { owner: override.owner ?? base.owner, admin: override.admin ?? base.admin, member: override.member ?? base.member };
}

/** The roles that hold every permission of `needed`. */
export function rolesHolding(grants: RoleGrants, needed: readonly Permission[]): Role[] {
  return RoleSchema.options.filter((role) => needed.every((p) => grants[role].includes(p)));
}

/** True when every role of every kind holds `needed` in `table` (no conversation override considered). */
export function heldByEveryone(table: PermissionTable, needed: readonly Permission[]): boolean {
  return KindSchema.options.every((kind) => rolesHolding(table[kind], needed).length === RoleSchema.options.length);
}
