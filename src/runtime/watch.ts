import { watch, readFileSync, type FSWatcher } from 'node:fs';
import path from 'node:path';

/**
 * Watch a policy file for changes the way they happen in practice: editors
 * that write a temp file and rename it over the original, and Kubernetes
 * ConfigMap volumes that swap a `..data` symlink. Watching the directory
 * (not the file's inode, which a rename replaces) sees all of them. Events
 * are debounced, and `onChange` runs only when the file's content actually
 * changed — a burst of events for one edit is one reload.
 */
export function watchPolicyFile(file: string, onChange: () => void, debounceMs = 150): { close(): void } {
  const dir = path.dirname(path.resolve(file));
  let last = read(file);
  let timer: NodeJS.Timeout | null = null;
  let watcher: FSWatcher | null = null;
  const fire = () => {
    timer = null;
    const now = read(file);
    // A missing file mid-swap is not a change yet: the next event brings the new one.
    if (now === null || now === last) return;
    last = now;
    onChange();
  };
  try {
    watcher = watch(dir, { persistent: false }, () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(fire, debounceMs);
      timer.unref();
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    watcher = null; // an unwatchable directory: SIGHUP and POST /admin/reload still work
  }
  return {
    close() {
      if (timer) clearTimeout(timer);
      watcher?.close();
    },
  };
}

function read(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
