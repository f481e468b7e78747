// The key list warmctl import reads: plain and JSON lines, refusals naming the line, duplicates,
// and a stream that fails part way (nothing is returned, so nothing starts).
import { PassThrough, Readable } from 'node:stream';
import { parseKeyLine, readKeyList } from '../../client/key-list';
import { appliedConfigHasCriticalTask } from '../../worker/critical-work';
import { readEnvironment } from '../../config/environment';

test('a line is a key, or a JSON object with only "key"; each refusal says why', () => {
  expect(parseKeyLine('product:1', 'cw:')).toEqual({ key: 'product:1' });
  expect(parseKeyLine('{"key":"product:2"}', 'cw:')).toEqual({ key: 'product:2' });
  expect(parseKeyLine('{"key":"a b"}', 'cw:')).toEqual({ reason: 'key "a b" must not contain whitespace' });
  expect(parseKeyLine('[1]', 'cw:')).toEqual({ key: '[1]' });
  expect(parseKeyLine('{"key":1', 'cw:')).toEqual({ reason: 'not valid JSON (a JSON line is {"key": "..."})' });
  expect(parseKeyLine('{}', 'cw:')).toEqual({ reason: 'a JSON line needs a "key"' });
  expect(parseKeyLine('cw:config', 'cw:')).toMatchObject({ reason: expect.stringContaining('reserved prefix "cw:"') });
});

test('reads every line, skips blanks, keeps the first of duplicates and numbers refusals by line', async () => {
  const list = await readKeyList(Readable.from('a:1\r\n\n  a:2  \na:1\nbad key\n{"key":"a:3"}'), 'cw:');
  expect(list.keys).toEqual([
    { key: 'a:1', line: 1 },
    { key: 'a:2', line: 3 },
    { key: 'a:3', line: 6 },
  ]);
  expect(list).toMatchObject({ read: 5, duplicates: 1, refused: [{ line: 5, reason: expect.any(String) }] });
});

test('a stream that fails part way rejects with one line, and too many keys are refused', async () => {
  const input = new PassThrough();
  const reading = readKeyList(input, 'cw:', { name: 'keys.txt' });
  input.write('a:1\na:2\n');
  input.destroy(new Error('EIO: i/o error'));
  await expect(reading).rejects.toThrow('cannot read keys.txt: EIO: i/o error');
  await expect(readKeyList(Readable.from('a:1\na:2\na:3\n'), 'cw:', { maxKeys: 2 })).rejects.toThrow(
    'the key list line 3: more than 2 keys; split the list into several imports',
  );
});

test('WARMING_CRITICAL_QUEUE is on or auto; off is refused, naming the variable', () => {
  expect(readEnvironment({}).criticalQueue).toBe('on');
  expect(readEnvironment({ WARMING_CRITICAL_QUEUE: 'AUTO' }).criticalQueue).toBe('auto');
  expect(() => readEnvironment({ WARMING_CRITICAL_QUEUE: 'off' })).toThrow(
    /^WARMING_CRITICAL_QUEUE must be on or auto \(got "off"\)/,
  );
  expect(() => readEnvironment({ WARMING_CRITICAL_QUEUE: ' ' })).toThrow('WARMING_CRITICAL_QUEUE is set but empty');
});

test('critical work in an applied config: a critical flag or a priority of 50 or more', () => {
  expect(appliedConfigHasCriticalTask(null)).toBe(false);
  expect(appliedConfigHasCriticalTask('not json')).toBe(false);
  expect(appliedConfigHasCriticalTask('{"tasks":[{"critical":false,"priority":10}]}')).toBe(false);
  expect(appliedConfigHasCriticalTask('{"tasks":[{"critical":false,"priority":50}]}')).toBe(true);
  expect(appliedConfigHasCriticalTask('{"tasks":[{"critical":true,"priority":0}]}')).toBe(true);
});
