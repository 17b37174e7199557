// A minimal Chrome DevTools Protocol client for a child started with
// --inspect: the memory bench asks the proxy for a full GC, so it can report
// what is really held apart from garbage V8 has not collected yet.
import { WebSocket } from 'undici';

export async function inspect(port) {
  const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const ws = new WebSocket(list[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve);
    ws.addEventListener('error', reject);
  });
  let id = 0;
  const pending = new Map();
  ws.addEventListener('message', (ev) => {
    const m = JSON.parse(String(ev.data));
    if (m.id !== undefined && pending.has(m.id)) {
      pending.get(m.id)(m);
      pending.delete(m.id);
    }
  });
  const send = (method, params = {}) =>
    new Promise((resolve) => {
      const i = ++id;
      pending.set(i, resolve);
      ws.send(JSON.stringify({ id: i, method, params }));
    });
  return {
    /** Full garbage collection in the inspected process. */
    gc: () => send('HeapProfiler.collectGarbage'),
    /** process.memoryUsage() of the inspected process, in bytes. */
    memoryUsage: async () => {
      const r = await send('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true });
      return JSON.parse(r.result.result.value);
    },
    close: () => ws.close(),
  };
}
