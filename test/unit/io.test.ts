/** The file layer: complete report files or none, regular inputs only, stale temporary files, one name per run. */
import { describe, expect, test } from '@jest/globals';
import * as fs from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir, hostname } from 'node:os';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { nodeFileLayer, readJsonFile, readTextFile, removeStaleTempFiles, writeReportSet, writeTemp, type FileLayer } from '../../src/io/files.js';
import { UserError, WriteError, EXIT } from '../../src/model/errors.js';

const tmp = (): string => fs.mkdtempSync(join(tmpdir(), 'ami-audit-io-'));
const big = (n: number): string => Array.from({ length: n }, (_, i) => `line ${i} ${'x'.repeat(60)}\n`).join('');

/** The real layer, but every write takes at most `chunk` bytes, and the device is full after `capacity` bytes. */
function shortWrites(chunk: number, capacity = Infinity): FileLayer & { written: () => number } {
  let total = 0;
  return {
    ...nodeFileLayer,
    write: async (fd, buf, offset, length) => {
      const room = capacity - total;
      if (room <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
      const n = Math.min(chunk, length, room);
      total += n;
      return nodeFileLayer.write(fd, buf, offset, n);
    },
    written: () => total,
  };
}

describe('writing reports (disk full, short writes)', () => {
  test('short writes are repeated until every byte is down', async () => {
    const dir = tmp();
    const text = big(5000);
    const files = await writeReportSet(dir, 'ami-audit-20261126T000000Z', [{ suffix: '.json', content: text }, { suffix: '.md', content: [text, text] }], 0o600, shortWrites(4093));
    expect(fs.readFileSync(files[0]!, 'utf8')).toBe(text);
    expect(fs.readFileSync(files[1]!, 'utf8')).toBe(text + text);
    expect(fs.readdirSync(dir).sort()).toEqual(['ami-audit-20261126T000000Z.json', 'ami-audit-20261126T000000Z.md']);
    expect(fs.statSync(files[0]!).mode & 0o777).toBe(0o600);
  });

  test('ENOSPC after short writes: a WriteError (exit 4), and no file of the run, complete or not, is left', async () => {
    const dir = tmp();
    const text = big(3000); // about 200 KB per file
    const layer = shortWrites(65536, Buffer.byteLength(text) * 1.5);
    let err: unknown;
    try {
      await writeReportSet(dir, 'ami-audit-20261126T000000Z', [{ suffix: '.csv', content: text }, { suffix: '.json', content: text }], 0o600, layer);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WriteError);
    expect((err as WriteError).exitCode).toBe(EXIT.writeFailed);
    expect(EXIT.writeFailed).toBe(4);
    expect((err as Error).message).toMatch(/^cannot write .*ami-audit-20261126T000000Z\.json: no space left on the device \(ENOSPC\); no report file of this run was kept/);
    expect((err as Error).message.split('\n')).toHaveLength(1);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test.each([['EDQUOT', 'disk quota exceeded'], ['EFBIG', 'file too large for the file system']])('%s is a WriteError naming the cause', async (code, text) => {
    const dir = tmp();
    const layer: FileLayer = { ...nodeFileLayer, write: async () => { throw Object.assign(new Error(code), { code }); } };
    await expect(writeReportSet(dir, 's', [{ suffix: '.json', content: 'x' }], 0o600, layer)).rejects.toThrow(`${text} (${code})`);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test('a write that writes nothing is a failure, not an endless loop', async () => {
    const dir = tmp();
    const layer: FileLayer = { ...nodeFileLayer, write: async () => 0 };
    await expect(writeReportSet(dir, 's', [{ suffix: '.json', content: 'abc' }], 0o600, layer)).rejects.toBeInstanceOf(WriteError);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test('a file shorter on disk than what was written (a lying write) is never put in place', async () => {
    const dir = tmp();
    const layer: FileLayer = { ...nodeFileLayer, write: async (fd, buf, offset, length) => { await nodeFileLayer.write(fd, buf, offset, Math.max(1, length - 10)); return length; } };
    await expect(writeReportSet(dir, 's', [{ suffix: '.json', content: big(100) }], 0o600, layer)).rejects.toThrow(/SIZEMISMATCH/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test('a failed close is a failure', async () => {
    const dir = tmp();
    const layer: FileLayer = { ...nodeFileLayer, close: async (fd) => { await nodeFileLayer.close(fd); throw Object.assign(new Error('EIO'), { code: 'EIO' }); } };
    await expect(writeReportSet(dir, 's', [{ suffix: '.json', content: 'x' }], 0o600, layer)).rejects.toThrow(/I\/O error \(EIO\)/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test('many files (ASFF writes one per account and region): every one complete and in place; a failed fsync of one while others are written removes them all and closes every descriptor', async () => {
    const dir = tmp();
    const set = Array.from({ length: 40 }, (_, i) => ({ suffix: `-asff-${String(i).padStart(3, '0')}.json`, content: [`[${i}`, ']\n'] }));
    const files = await writeReportSet(dir, 's', set, 0o600);
    expect(files).toHaveLength(40);
    expect(files.map((f) => fs.readFileSync(f, 'utf8'))).toEqual(set.map((_, i) => `[${i}]\n`));
    expect(fs.readdirSync(dir)).toHaveLength(40);

    const dir2 = tmp();
    const open = new Set<number>();
    let fsyncs = 0;
    const layer: FileLayer = {
      ...nodeFileLayer,
      openSync: (p, flags, mode) => { const fd = nodeFileLayer.openSync(p, flags, mode); open.add(fd); return fd; },
      close: async (fd) => { open.delete(fd); await nodeFileLayer.close(fd); },
      fsync: async (fd) => {
        fsyncs += 1;
        if (fsyncs === 5) throw Object.assign(new Error('EIO'), { code: 'EIO' });
        await new Promise((r) => setTimeout(r, 5));
        return nodeFileLayer.fsync(fd);
      },
    };
    await expect(writeReportSet(dir2, 's', set, 0o600, layer)).rejects.toThrow(/I\/O error \(EIO\)/);
    expect(fs.readdirSync(dir2)).toEqual([]);
    expect([...open]).toEqual([]);
  });

  test('a file in pieces is the pieces joined, byte for byte: characters of every UTF-8 length, a surrogate pair cut between two pieces, pieces longer than a write, and empty ones', async () => {
    const dir = tmp();
    const astral = '\u{1F512}'; // two UTF-16 units, four UTF-8 bytes
    const pieces: string[] = ['', 'é€', astral[0]!, astral[1]!, 'x'.repeat(3000), astral[0]!, '', astral[1]! + 'tail'];
    for (let i = 0; i < 2000; i++) pieces.push(i % 3 === 0 ? `${astral}${i}` : i % 3 === 1 ? `ü${i}€` : `plain ${i}\n`);
    pieces.push('x'.repeat(1 << 21), astral[0]!);
    pieces.push(astral[1]!);
    const whole = pieces.join('');
    // small writes (a chunk of 64 characters) and the default
    for (const [name, chunk] of [['small', 64], ['default', undefined]] as const) {
      const path = join(dir, `${name}.txt`);
      const tmpFile = await writeTemp(path, pieces, 0o600, nodeFileLayer, chunk);
      const bytes = fs.readFileSync(tmpFile);
      expect(bytes.equals(Buffer.from(whole, 'utf8'))).toBe(true);
      expect(bytes.includes(Buffer.from([0xef, 0xbf, 0xbd]))).toBe(false); // no U+FFFD from a pair cut in two
    }
  });

  test('a renderer that throws half way leaves nothing behind', async () => {
    const dir = tmp();
    function* parts(): Generator<string> {
      yield 'x'.repeat(2 << 20);
      throw new RangeError('Maximum call stack size exceeded');
    }
    await expect(writeReportSet(dir, 's', [{ suffix: '.csv', content: 'ok' }, { suffix: '.json', content: parts() }], 0o600)).rejects.toThrow(RangeError);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('two runs, one folder, one second', () => {
  test('concurrent sets never overwrite each other: the later one moves to -2 as a whole', async () => {
    const dir = tmp();
    const stem = 'ami-audit-20261126T000000Z';
    const set = (tag: string) => [{ suffix: '.json', content: `{"run":"${tag}"}\n` }, { suffix: '.csv', content: `${tag}\n` }, { suffix: '-coverage.csv', content: `${tag}\n` }];
    const runs = await Promise.all(['a', 'b', 'c'].map((t) => writeReportSet(dir, stem, set(t), 0o600)));
    const stems = runs.map((files) => files[0]!.replace(/\.json$/, ''));
    expect(new Set(stems).size).toBe(3);
    runs.forEach((files, i) => {
      const tag = ['a', 'b', 'c'][i]!;
      expect(fs.readFileSync(files[0]!, 'utf8')).toBe(`{"run":"${tag}"}\n`);
      expect(fs.readFileSync(files[1]!, 'utf8')).toBe(`${tag}\n`);
      expect(fs.readFileSync(files[2]!, 'utf8')).toBe(`${tag}\n`);
    });
    expect(fs.readdirSync(dir).sort()).toEqual([`${stem}-2-coverage.csv`, `${stem}-2.csv`, `${stem}-2.json`, `${stem}-3-coverage.csv`, `${stem}-3.csv`, `${stem}-3.json`, `${stem}-coverage.csv`, `${stem}.csv`, `${stem}.json`]);
  });

  test('a name taken by an older file keeps it, and the names stay as they are when free', async () => {
    const dir = tmp();
    fs.writeFileSync(join(dir, 's.md'), 'older');
    const files = await writeReportSet(dir, 's', [{ suffix: '.json', content: 'new' }, { suffix: '.md', content: 'new' }], 0o600);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['s-2.json', 's-2.md']);
    expect(fs.readFileSync(join(dir, 's.md'), 'utf8')).toBe('older');
    expect(await writeReportSet(tmp(), 's', [{ suffix: '.json', content: 'x' }], 0o600).then((f) => f[0]!.endsWith('/s.json'))).toBe(true);
  });

  test('where hard links are not supported, the name is reserved exclusively and renamed over', async () => {
    const dir = tmp();
    fs.writeFileSync(join(dir, 's.json'), 'older');
    const layer: FileLayer = { ...nodeFileLayer, link: async () => { throw Object.assign(new Error('EPERM'), { code: 'EPERM' }); } };
    const files = await writeReportSet(dir, 's', [{ suffix: '.json', content: 'new' }], 0o600, layer);
    expect(files[0]!.endsWith('s-2.json')).toBe(true);
    expect(fs.readFileSync(join(dir, 's.json'), 'utf8')).toBe('older');
    expect(fs.readFileSync(files[0]!, 'utf8')).toBe('new');
    expect(fs.readdirSync(dir).sort()).toEqual(['s-2.json', 's.json']);
  });
});

describe('temporary files a killed run left', () => {
  const HOST = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
  const deadPid = (): number => {
    const r = spawnSync(process.execPath, ['-e', '0']);
    return r.pid!;
  };

  test('are removed when their writer is gone; a live writer\'s, another host\'s and other files stay', () => {
    const dir = tmp();
    const dead = deadPid();
    const names = {
      deadNew: `.ami-audit-20261126T000000Z.json.${HOST}.${dead}.0123abcd.tmp`,
      deadOld: `.ami-audit-20261126T000000Z.html.${dead}.89abcdef.tmp`,
      deadProbe: `.ami-audit-probe-${dead}-a1b2c3`,
      live: `.ami-audit-20261126T000000Z.json.${HOST}.${process.ppid}.0123abcd.tmp`,
      self: `.ami-audit-20261126T000000Z.csv.${HOST}.${process.pid}.0123abcd.tmp`,
      otherHost: `.ami-audit-20261126T000000Z.json.ffffffff.${dead}.0123abcd.tmp`,
      notOurs: `.other-tool.json.${dead}.0123abcd.tmp`,
      report: 'ami-audit-20261126T000000Z.json',
    };
    for (const n of Object.values(names)) fs.writeFileSync(join(dir, n), 'partial');
    const removed = removeStaleTempFiles(dir).sort();
    expect(removed).toEqual([names.deadNew, names.deadOld, names.deadProbe].sort());
    expect(fs.readdirSync(dir).sort()).toEqual([names.live, names.self, names.otherHost, names.notOurs, names.report].sort());
  });
});

describe('inputs are regular files of a bounded size', () => {
  test('a device is refused at once', () => {
    expect(() => readTextFile('/dev/zero', '--config')).toThrow('--config /dev/zero: a character device, not a regular file; give a JSON file');
  });
  test('a FIFO with no writer is refused at once, not waited on', () => {
    const dir = tmp();
    const fifo = join(dir, 'cfg.json');
    execFileSync('mkfifo', [fifo]);
    const t = Date.now();
    expect(() => readJsonFile(fifo, '--config')).toThrow(/a FIFO \(named pipe\), not a regular file/);
    expect(Date.now() - t).toBeLessThan(2000);
  });
  test('a folder is refused', () => {
    expect(() => readTextFile(tmp(), '--input')).toThrow(/a directory, not a regular file/);
  });
  test('a 5 GB file is refused by its size, without reading it', () => {
    const f = join(tmp(), 'huge.json');
    const fd = fs.openSync(f, 'w');
    fs.ftruncateSync(fd, 5 * 1024 ** 3); // sparse
    fs.closeSync(fd);
    const t = Date.now();
    expect(() => readTextFile(f, '--config', 16 << 20)).toThrow(/--config .*huge\.json: 5\.0 GiB is more than the 16 MiB ami-audit reads for --config/);
    expect(Date.now() - t).toBeLessThan(2000);
  });
  test('a missing file names itself', () => {
    expect(() => readTextFile('/nonexistent/cfg.json', '--config')).toThrow(new UserError('--config /nonexistent/cfg.json: cannot read (ENOENT)'));
  });
});
