export { startHostApp, type HostApp, type HostAppOptions } from './host-app.js';
export { postgresStore } from './postgres.js';
export { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';
