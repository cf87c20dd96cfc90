import type { Agent } from 'undici';
import type { OutboundPolicy } from '../../net/outbound-policy.js';
import { createGuardedAgent, type GuardOptions } from '../../net/guarded-connections.js';
import { undici } from '../../net/undici-module.js';

/** One webhook delivery attempt as sent: never redirected, bounded by the signal. */
export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
}

/** The receiver's answer; its body is read only when the delivery failed (a snippet for lastError). */
export interface WebhookResponse {
  statusCode: number;
  header(name: string): string | null;
  /** The start of the body, at most maxBytes, as text; '' when it cannot be read. */
  snippet(maxBytes: number): Promise<string>;
  /** Drops the body so the connection can be reused. */
  discard(): Promise<void>;
}

export type PostWebhook = (request: WebhookRequest) => Promise<WebhookResponse>;

/**
 * POSTs through undici's request() over a pool whose connections the policy checked. request() rather than
 * fetch(): the WHATWG layers (Request, Headers, web streams) cost about three times the CPU per delivery, and a
 * session sends one or more deliveries per message.
 */
export function createGuardedPost(policy: OutboundPolicy, options: GuardOptions = {}): PostWebhook {
  let dispatcher: Agent | undefined;
  return async ({ url, headers, body, signal }) => {
    dispatcher ??= createGuardedAgent(policy, options);
    const response = await undici().request(url, { method: 'POST', headers, body, signal, dispatcher });
    return {
      statusCode: response.statusCode,
      header: (name) => {
        const value = response.headers[name.toLowerCase()];
        return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
      },
      snippet: async (maxBytes) => {
        const chunks: Buffer[] = [];
        let size = 0;
        try {
          for await (const chunk of response.body) {
            const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
            chunks.push(bytes);
            size += bytes.byteLength;
            if (size >= maxBytes) break;
          }
        } catch {
          /* timed out or reset mid-body: keep what arrived */
        } finally {
          response.body.destroy();
        }
        return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
      },
      discard: async () => {
        try {
          await response.body.dump();
        } catch {
          /* the answer is in; its body does not matter */
        }
      },
    };
  };
}
