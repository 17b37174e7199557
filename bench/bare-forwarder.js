// The baseline: the smallest honest undici reverse proxy (keep-alive pool,
// streaming both ways, hop-by-hop request headers dropped). Every sono-guard
// path in the bench is compared with this one, measured in the same run.
import http from 'node:http';
import { Pool } from 'undici';

const pool = new Pool(process.env.UPSTREAM, { connections: 128, pipelining: 1 });
const hop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect', 'te', 'trailer', 'proxy-connection']);
http.createServer(async (req, res) => {
  const headers = {};
  for (const k in req.headers) if (!hop.has(k)) headers[k] = req.headers[k];
  try {
    const r = await pool.request({ path: req.url, method: req.method, headers, body: req.method === 'GET' || req.method === 'HEAD' ? null : req });
    res.writeHead(r.statusCode, r.headers);
    r.body.pipe(res);
  } catch {
    res.writeHead(502).end();
  }
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
// Exit normally on a signal, so `node --cpu-prof` writes its profile.
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(0));
