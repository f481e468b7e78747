// The progress line of long warmctl commands: drawn only on a terminal, throttled, always showing
// the final count, and cleared at the end.
import { createProgress } from '../../cli/progress';

function stream(isTTY: boolean) {
  const written: string[] = [];
  return { isTTY, written, write: (text: string) => written.push(text) };
}

test('writes nothing when the stream is not a terminal', () => {
  const out = stream(false);
  const progress = createProgress('applying', out);
  progress.update(1, 2);
  progress.update(2, 2);
  progress.end();
  expect(out.written).toEqual([]);
});

test('redraws at most every interval, always draws the last item, and clears the line at the end', () => {
  const out = stream(true);
  let now = 0;
  const progress = createProgress('warming tag catalog', out, 100, () => now);
  progress.update(1, 3);
  now = 50;
  progress.update(2, 3); // within the interval: skipped
  now = 60;
  progress.update(3, 3); // the last one: drawn anyway
  progress.end();
  expect(out.written).toEqual(['\r\x1b[Kwarming tag catalog: 1/3', '\r\x1b[Kwarming tag catalog: 3/3', '\r\x1b[K']);
});
