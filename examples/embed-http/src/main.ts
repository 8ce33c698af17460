// Run: DATABASE_URL=postgres://user@host/db npm start --workspace=@parley/example-embed-http
import { postgresStore } from './postgres.js';
import { startHostApp } from './host-app.js';
import { startWebhookReceiver } from './webhook-receiver.js';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const { store, close } = await postgresStore({ url });
// a small receiver standing in for the host's backend service; the secret comes from config in a real app
const secret = process.env.WEBHOOK_SECRET ?? 'whsec-example-only';
const receiver = await startWebhookReceiver({ secret });
const app = await startHostApp({ store, port: Number(process.env.PORT ?? 3001), webhooks: [{ id: 'backend', url: receiver.url, secret, types: ['message'] }] });
console.log(`host app on ${app.url} (POST /login {"username":"alice","password":"wonderland"}); chat socket at ${app.chatUrl}`);
console.log(`webhooks of every message go to ${receiver.url}`);
process.once('SIGINT', () => void app.close().then(receiver.close).then(close).then(() => process.exit(0)));
