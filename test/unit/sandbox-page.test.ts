import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Script } from 'node:vm';
import { renderSandboxPage } from '../../src/sandbox/page/page-html.js';

// a syntax error in the fake page shows up end to end only as an 'auth timeout' a minute later: catch it here
test('the sandbox page script compiles', () => {
  const html = renderSandboxPage();
  const script = html.slice(html.indexOf('<script>') + '<script>'.length, html.lastIndexOf('</script>'));
  assert.ok(script.length > 10_000, 'the page script was found');
  assert.doesNotThrow(() => new Script(script, { filename: 'sandbox-page.js' }));
});
