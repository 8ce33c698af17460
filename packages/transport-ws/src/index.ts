export { createWsServer, type WsServer } from './ws-server.js';
export {
  DEFAULT_WS_LIMITS,
  silentLogger,
  type AuthenticateHook,
  type AuthenticateInput,
  type Logger,
  type OriginPolicy,
  type RevalidateHook,
  type WsLimits,
  type WsServerOptions,
} from './options.js';
export { TOKEN_SUBPROTOCOL_PREFIX } from './auth.js';
