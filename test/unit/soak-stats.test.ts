import { test } from 'node:test';
import assert from 'node:assert/strict';
import { growthOf, parseSoakOptions, processTypeOf, slopePerMinute } from '../../soak/soak-stats.js';

test('the slope is MiB per minute of the fitted line, and growth reads it over the whole window', () => {
  const flat = [0, 1, 2, 3].map((minute) => ({ minute, mib: 1000 + (minute % 2) * 4 }));
  assert.ok(Math.abs(slopePerMinute(flat)) < 1.5);
  const growing = [0, 1, 2, 3, 4].map((minute) => ({ minute, mib: 1000 + 5 * minute }));
  assert.equal(slopePerMinute(growing), 5);
  assert.ok(Math.abs(growthOf(growing) - 0.02) < 1e-9, 'from 1000 to 1020 MiB is 2 %');
  assert.equal(growthOf([{ minute: 0, mib: 10 }]), 0);
});

test('options: defaults, warm-up a third of a short soak, and refusals', () => {
  assert.deepEqual(parseSoakOptions([]), { minutes: 30, sessions: 5, rate: 10, sampleSeconds: 30, warmupMinutes: 5, checkpointMinutes: undefined });
  assert.equal(parseSoakOptions(['--minutes', '120', '--checkpoint-minutes', '30']).checkpointMinutes, 30);
  assert.equal(parseSoakOptions(['--minutes', '3']).warmupMinutes, 1);
  assert.throws(() => parseSoakOptions(['--rate', 'fast']), /--rate needs a positive number/);
});

test('process types: the main browser, its --type, and a utility by its service', () => {
  assert.equal(processTypeOf(['/usr/lib/chromium/chromium', '--user-data-dir=/x']), 'browser');
  assert.equal(processTypeOf(['/usr/lib/chromium/chromium', '--type=renderer', '--lang=en']), 'renderer');
  assert.equal(processTypeOf(['/usr/lib/chromium/chromium', '--type=utility', '--utility-sub-type=storage.mojom.StorageService']), 'utility StorageService');
  assert.equal(processTypeOf(['/usr/lib/chromium/chromium', '--type=zygote']), 'zygote');
});
