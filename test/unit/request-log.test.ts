import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Request, Response } from 'express';
import { requestLog } from '../../src/http/middleware/request-log.js';
import type { Logger } from '../../src/shared/logger.js';

test("the access log names the client's address even when the answer ends after its socket is gone", () => {
  const lines: Record<string, unknown>[] = [];
  const logger = { info: (_message: string, fields: Record<string, unknown>) => lines.push(fields) } as unknown as Logger;
  let socketGone = false;
  // express's request.ip reads the socket (through proxy-addr), which throws once it has been let go
  const request = {
    method: 'GET',
    header: () => undefined,
    get ip(): string {
      if (socketGone) throw new TypeError("Cannot read properties of null (reading 'remoteAddress')");
      return '127.0.0.1';
    },
  } as unknown as Request;
  const response = Object.assign(new EventEmitter(), { setHeader: () => undefined, writableFinished: true, statusCode: 200 }) as unknown as Response;
  requestLog({ logger, accessLog: true })(request, response, () => undefined);
  socketGone = true;
  assert.doesNotThrow(() => response.emit('finish'));
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.ip, '127.0.0.1');
  assert.equal(lines[0]!.status, 200);
});
