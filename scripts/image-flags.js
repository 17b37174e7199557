// The node flags deploy/Dockerfile's ENTRYPOINT gives sono-guard, read from the
// file so that `npm start` and the bench run the proxy as the image does.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const IMAGE_NODE_FLAGS = (() => {
  const m = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(readFileSync(path.join(root, 'deploy/Dockerfile'), 'utf8'));
  const argv = m ? JSON.parse(m[1]) : [];
  return argv.slice(1).filter((a) => a.startsWith('--'));
})();
