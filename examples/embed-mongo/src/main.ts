// Run: MONGODB_URL=mongodb://127.0.0.1:27017 npm start --workspace=@parley/example-embed-mongo
import { startHostApp } from '@parley/example-embed-http';
import { mongoStore } from './mongo.js';

const { store, close } = await mongoStore({ url: process.env.MONGODB_URL ?? 'mongodb://127.0.0.1:27017', database: process.env.MONGODB_DB ?? 'parley' });
// the same host app as examples/embed-http, with the MongoDB store
const app = await startHostApp({ store, port: Number(process.env.PORT ?? 3002) });
console.log(`host app on ${app.url} (POST /login {"username":"alice","password":"wonderland"}); chat socket at ${app.chatUrl}`);
process.once('SIGINT', () => void app.close().then(close).then(() => process.exit(0)));
