import { describe, it, expect } from 'vitest';
import { mkdtempSync, openSync, readFileSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LineSink } from '../../src/observability/line-sink.js';

function fileSink(minLength: number, maxLength = 1 << 20) {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'sono-guard-sink-')), 'out.log');
  const fd = openSync(file, 'w');
  return { sink: new LineSink(fd, minLength, maxLength, 60_000), file, fd };
}

describe('log line sink', () => {
  it('writes every line in order, batched, and flush(cb) runs once they are out', async () => {
    const { sink, file, fd } = fileSink(100);
    const lines = Array.from({ length: 500 }, (_, i) => `{"n":${i}}\n`);
    for (const l of lines) sink.write(l);
    await new Promise<void>((resolve) => sink.flush(resolve));
    sink.end();
    closeSync(fd);
    expect(readFileSync(file, 'utf8')).toBe(lines.join(''));
  });

  it('holds lines below the buffer size until a flush', async () => {
    const { sink, file, fd } = fileSink(1 << 16);
    sink.write('{"a":1}\n');
    expect(readFileSync(file, 'utf8')).toBe('');
    await new Promise<void>((resolve) => sink.flush(resolve));
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\n');
    sink.end();
    closeSync(fd);
  });

  it('drops and counts lines past maxLength instead of growing without bound', () => {
    const { sink, file, fd } = fileSink(1 << 16, 100);
    for (let i = 0; i < 20; i++) sink.write('0123456789\n');
    // A line is taken while the bytes held plus its worst UTF-8 size (3 per unit, 33) fit in
    // 100: after 7 lines 77 bytes are held and the 8th would need 110.
    expect(sink.dropped).toBe(13);
    const kept = 7;
    sink.end(); // flushSync writes what was kept
    closeSync(fd);
    expect(readFileSync(file, 'utf8')).toBe('0123456789\n'.repeat(kept));
  });

  it('keeps multi-byte lines intact across buffer boundaries', async () => {
    const { sink, file, fd } = fileSink(64);
    const lines = Array.from({ length: 50 }, (_, i) => `{"path":"/ü/€/${i}"}\n`);
    for (const l of lines) sink.write(l);
    await new Promise<void>((resolve) => sink.flush(resolve));
    sink.end();
    closeSync(fd);
    expect(readFileSync(file, 'utf8')).toBe(lines.join(''));
  });
});
