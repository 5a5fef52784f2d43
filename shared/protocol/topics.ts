/**
 * Every MQTT topic of the wire protocol (docs/architecture.md#wire-protocol). Topic strings are built and parsed here
 * and nowhere else.
 *
 *   hushpoint/v1/{store}/gateways/{gw}/presence        gateway → hub, QoS 1
 *   hushpoint/v1/{store}/gateways/{gw}/status          gateway → hub, QoS 1, retained, LWT offline
 *   hushpoint/v1/{store}/gateways/{gw}/cmd/{name}      hub → gateway, QoS 1
 *   hushpoint/v1/{store}/gateways/{gw}/reply/{name}    gateway → hub, QoS 1
 *   hushpoint/v1/{store}/hub/clock                     hub → gateways, QoS 0
 *   hushpoint/v1/{store}/releases/{kind}               hub → upstream broker, QoS 1 (DP releases, docs/privacy.md)
 */

export const PROTOCOL_VERSION = 1;
export const TOPIC_ROOT = 'hushpoint';
const VERSION_SEGMENT = `v${PROTOCOL_VERSION}`;

/** Store, gateway and command ids: lowercase letters, digits and dashes, 1–64 characters. */
export const ID_PATTERN = '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$';
const ID_RE = new RegExp(ID_PATTERN);

export const COMMAND_NAMES = ['identify', 'rescan', 'status', 'reload'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export type ParsedTopic =
  | { kind: 'presence'; store: string; gateway: string }
  | { kind: 'status'; store: string; gateway: string }
  | { kind: 'cmd'; store: string; gateway: string; command: string }
  | { kind: 'reply'; store: string; gateway: string; command: string }
  | { kind: 'clock'; store: string };

export function isValidId(id: string): boolean {
  return ID_RE.test(id);
}

function checkId(what: string, id: string): string {
  if (!ID_RE.test(id)) {
    throw new RangeError(`${what} id "${id}" is invalid, expected 1-64 of [a-z0-9-], not starting or ending with "-"`);
  }
  return id;
}

function storeRoot(store: string): string {
  return `${TOPIC_ROOT}/${VERSION_SEGMENT}/${checkId('store', store)}`;
}

function gatewayRoot(store: string, gateway: string): string {
  return `${storeRoot(store)}/gateways/${checkId('gateway', gateway)}`;
}

export function presenceTopic(store: string, gateway: string): string {
  return `${gatewayRoot(store, gateway)}/presence`;
}

export function statusTopic(store: string, gateway: string): string {
  return `${gatewayRoot(store, gateway)}/status`;
}

export function commandTopic(store: string, gateway: string, command: string): string {
  return `${gatewayRoot(store, gateway)}/cmd/${checkId('command', command)}`;
}

export function replyTopic(store: string, gateway: string, command: string): string {
  return `${gatewayRoot(store, gateway)}/reply/${checkId('command', command)}`;
}

export function clockTopic(store: string): string {
  return `${storeRoot(store)}/hub/clock`;
}

/** Upstream (hub → HQ broker): one DP release per message; the payload is the stored release body. */
export function releaseTopic(store: string, kind: string): string {
  return `${storeRoot(store)}/releases/${checkId('release kind', kind)}`;
}

/** Subscription filters. */
export const filters = {
  /** What a gateway subscribes to for its commands. */
  gatewayCommands: (store: string, gateway: string): string => `${gatewayRoot(store, gateway)}/cmd/+`,
  allPresence: (store: string): string => `${storeRoot(store)}/gateways/+/presence`,
  allStatus: (store: string): string => `${storeRoot(store)}/gateways/+/status`,
  allReplies: (store: string): string => `${storeRoot(store)}/gateways/+/reply/+`,
  /** What an upstream consumer subscribes to: every store's DP releases. */
  allReleases: (): string => `${TOPIC_ROOT}/${VERSION_SEGMENT}/+/releases/+`,
  /** The same as an MQTT 5 shared subscription: the group's consumers share the messages (HQ). */
  sharedReleases: (group: string): string =>
    `$share/${checkId('share group', group)}/${TOPIC_ROOT}/${VERSION_SEGMENT}/+/releases/+`,
  /** A Mosquitto ACL pattern: the user named %u (a store id) may publish only its own releases. */
  mosquittoStoreReleases: (): string => `${TOPIC_ROOT}/${VERSION_SEGMENT}/%u/releases/+`,
};

/** The store and release kind of an upstream release topic; null for anything else. */
export function parseReleaseTopic(topic: string): { store: string; kind: string } | null {
  const parts = topic.split('/');
  if (parts.length !== 5 || parts[0] !== TOPIC_ROOT || parts[1] !== VERSION_SEGMENT || parts[3] !== 'releases')
    return null;
  const [store, kind] = [parts[2] as string, parts[4] as string];
  return ID_RE.test(store) && ID_RE.test(kind) ? { store, kind } : null;
}

/** Parses any hushpoint topic; null for anything else (wrong root, version, shape or id). */
export function parseTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/');
  if (parts[0] !== TOPIC_ROOT || parts[1] !== VERSION_SEGMENT) return null;
  const store = parts[2];
  if (store === undefined || !ID_RE.test(store)) return null;
  if (parts.length === 5 && parts[3] === 'hub' && parts[4] === 'clock') return { kind: 'clock', store };
  if (parts[3] !== 'gateways') return null;
  const gateway = parts[4];
  if (gateway === undefined || !ID_RE.test(gateway)) return null;
  if (parts.length === 6) {
    if (parts[5] === 'presence') return { kind: 'presence', store, gateway };
    if (parts[5] === 'status') return { kind: 'status', store, gateway };
    return null;
  }
  if (parts.length === 7 && (parts[5] === 'cmd' || parts[5] === 'reply')) {
    const command = parts[6] as string;
    if (!ID_RE.test(command)) return null;
    return { kind: parts[5], store, gateway, command };
  }
  return null;
}

/** ACL (docs/architecture.md#wire-protocol): a gateway may publish only its own presence, status and replies. */
export function gatewayMayPublish(store: string, gateway: string, topic: string): boolean {
  const parsed = parseTopic(topic);
  if (parsed === null || parsed.store !== store || parsed.kind === 'clock') return false;
  return (
    parsed.gateway === gateway && (parsed.kind === 'presence' || parsed.kind === 'status' || parsed.kind === 'reply')
  );
}

/** ACL (docs/architecture.md#wire-protocol): a gateway may subscribe only to its own `cmd/+` (or one command) and the hub clock. */
export function gatewayMaySubscribe(store: string, gateway: string, filter: string): boolean {
  if (filter === clockTopic(store)) return true;
  if (filter === filters.gatewayCommands(store, gateway)) return true;
  const parsed = parseTopic(filter);
  return parsed !== null && parsed.kind === 'cmd' && parsed.store === store && parsed.gateway === gateway;
}
