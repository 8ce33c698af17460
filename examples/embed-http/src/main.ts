// Run: DATABASE_URL=postgres://user@host/db npm start --workspace=@parley/example-embed-http
import { postgresStore } from './postgres.js';
import { startHostApp } from './host-app.js';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const { store, close } = await postgresStore({ url });
const app = await startHostApp({ store, port: Number(process.env.PORT ?? 3001) });
console.log(`host app on ${app.url} (POST /login {"username":"alice","password":"wonderland"}); chat socket at ${app.chatUrl}`);
process.once('SIGINT', () => void app.close().then(close).then(() => process.exit(0)));
