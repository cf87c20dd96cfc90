import { AppError, InvalidInputError, TimeoutError, TooLargeError } from '../shared/errors.js';
import { MIMETYPE_PATTERN } from '../shared/media-types.js';
import {
  checkUrlAsWritten,
  createOutboundPolicy,
  findRefusedAddressError,
  type AllowEntry,
  type OutboundPolicy,
} from './outbound-policy.js';
import { createGuardedAgent, fetchThrough } from './guarded-connections.js';

/**
 * Fetches media a client named by URL, under the same guard as webhooks: every hop is checked as written and
 * connects only to addresses the policy allows; redirects are followed by hand (a refused hop is never contacted);
 * the size limit is enforced while the body streams in, so nothing past it is read.
 */

export interface MediaFetchSettings {
  policy: OutboundPolicy;
  /** A fetch whose connections go through the policy (createGuardedFetch, or fetchThrough a guarded agent). */
  fetch: typeof fetch;
  maxBytes: number;
  timeoutMs: number;
  maxRedirects?: number;
}

export interface FetchedMedia {
  bytes: Buffer;
  /** The Content-Type the server answered, unless it said nothing useful (octet-stream). */
  mimetype?: string;
  /** From Content-Disposition, else the last path segment of the final URL. */
  filename?: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export class MediaFetchError extends AppError {
  constructor(message: string) {
    super('MEDIA_FETCH_FAILED', 502, message);
  }
}

export async function fetchMedia(url: string, settings: MediaFetchSettings): Promise<FetchedMedia> {
  const maxRedirects = settings.maxRedirects ?? 5;
  const signal = AbortSignal.timeout(settings.timeoutMs);
  let current = url;
  for (let hop = 0; ; hop++) {
    const checked = checkUrlAsWritten(current, settings.policy, { label: hop === 0 ? 'Media URL' : 'Media URL (after a redirect)' });
    let response: Response;
    try {
      response = await settings.fetch(checked, { redirect: 'manual', signal, headers: { accept: '*/*' } });
    } catch (error) {
      throw translate(error, signal, checked);
    }
    if (REDIRECTS.has(response.status)) {
      await response.body?.cancel().catch(() => undefined);
      const location = response.headers.get('location');
      if (!location) throw new MediaFetchError(`Media URL answered ${response.status} without a Location`);
      if (hop >= maxRedirects) throw new InvalidInputError(`Media URL redirected more than ${maxRedirects} times`);
      try {
        current = new URL(location, checked).href;
      } catch {
        throw new MediaFetchError(`Media URL redirected to something that is not a URL`);
      }
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new MediaFetchError(`Media URL answered ${response.status}`);
    }
    const bytes = await readLimited(response, settings.maxBytes, signal, checked);
    return { bytes, mimetype: usefulType(response.headers.get('content-type')), filename: filenameOf(response, checked) };
  }
}

async function readLimited(response: Response, maxBytes: number, signal: AbortSignal, url: string): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLargeFetched(maxBytes);
  }
  const reader = response.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLargeFetched(maxBytes);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof TooLargeError) throw error;
    throw translate(error, signal, url);
  }
  return Buffer.concat(chunks);
}

function tooLargeFetched(maxBytes: number): TooLargeError {
  return new TooLargeError(`The media at the URL is larger than the limit of ${maxBytes} bytes (--max-media-bytes)`, { maxBytes });
}

function translate(error: unknown, signal: AbortSignal, url: string): Error {
  const refused = findRefusedAddressError(error);
  if (refused) return new InvalidInputError(`Media URL is refused: ${refused.message}`, refused.details);
  if (signal.aborted) return new TimeoutError(`Fetching the media URL took longer than allowed (--media-fetch-timeout-ms)`);
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return new MediaFetchError(`Could not fetch ${new URL(url).host}${cause}`);
}

/** The server's Content-Type when it names one media type; otherwise the bytes decide (sniffing). */
function usefulType(contentType: string | null): string | undefined {
  const type = contentType?.trim();
  if (!type || /^(application\/octet-stream|binary\/octet-stream)\b/i.test(type)) return undefined;
  if (!MIMETYPE_PATTERN.test(type)) return undefined;
  return type.toLowerCase();
}

function filenameOf(response: Response, url: string): string | undefined {
  const disposition = response.headers.get('content-disposition') ?? '';
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition);
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(disposition);
  let name: string | undefined;
  try {
    name = star ? decodeURIComponent(star[1]!) : plain?.[1];
    name ??= decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  } catch {
    name = undefined;
  }
  name = name?.replace(/[/\\\u0000-\u001f]/g, '').trim().slice(0, 255);
  return name ? name : undefined;
}

/** The policy of media URLs: refusals name --media-allow-hosts. */
export function createMediaPolicy(allowHosts: readonly AllowEntry[]): OutboundPolicy {
  return createOutboundPolicy({ allowHosts, allowSetting: '--media-allow-hosts (MEDIA_ALLOW_HOSTS)' });
}

/** A fetchMedia bound to one policy, limit and timeout, over a guarded fetch of that policy. */
export function createMediaFetcher(options: { policy: OutboundPolicy; maxBytes: number; timeoutMs: number }): (url: string) => Promise<FetchedMedia> {
  return async (url) => {
    // a pool per fetch, closed after it: an undici Agent keeps a pool for every origin it ever reached, and media
    // URLs point anywhere (webhooks keep their shared pool: their origins are the configured few)
    const pool = createGuardedAgent(options.policy);
    try {
      return await fetchMedia(url, { ...options, fetch: fetchThrough(pool) });
    } finally {
      void pool.close().catch(() => undefined);
    }
  };
}
