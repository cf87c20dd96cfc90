import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, linkSession, processesUnder } from './harness.js';

describe('a server whose log output is closed (its parent exited, a pipe reader went away)', () => {
  let server: ServerProcess;
  before(async () => {
    server = await ServerProcess.start();
    await linkSession(server, 'orphaned', '15550000701');
  });
  after(async () => {
    await server?.cleanup();
  });

  test('keeps serving without its logs, and SIGTERM still stops it with its browsers', async () => {
    server.child.stdout?.destroy();
    server.child.stderr?.destroy();
    // each of these logs a line that now has nowhere to go
    for (let i = 0; i < 3; i++) {
      const sent = await server.api('POST', '/api/v1/sessions/orphaned/send-text', { chatId: '15557770701', content: `no one reads the logs ${i}` });
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
    }
    assert.equal((await server.api('POST', '/api/v1/sessions/orphaned/stop')).status, 200);
    assert.equal((await server.api('POST', '/api/v1/sessions/orphaned/start')).status, 202);
    assert.equal((await server.api('GET', '/health')).status, 200);
    assert.equal(await server.stop(20_000), 0);
    assert.deepEqual(await processesUnder(server.sessionsDir), []);
  });
});
