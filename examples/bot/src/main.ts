// Run against any Parley server: PARLEY_URL=ws://127.0.0.1:3001/chat PARLEY_TOKEN=... npm start --workspace=@parley/example-bot
import WebSocket from 'ws';
import { defaultResponder, startBot } from './bot.js';

const url = process.env.PARLEY_URL;
const token = process.env.PARLEY_TOKEN;
if (!url || !token) {
  console.error('set PARLEY_URL (the server socket URL) and PARLEY_TOKEN (a token its authenticate hook accepts)');
  process.exit(1);
}
const bot = startBot({ url, token, WebSocket, respond: defaultResponder });
bot.client.on('state', (state) => console.log(`bot: ${state}`));
process.once('SIGINT', () => {
  bot.stop();
  process.exit(0);
});
