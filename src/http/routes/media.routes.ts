import { Router } from 'express';
import type { SessionMessaging } from '../../sessions/session-messaging.js';
import { InvalidInputError } from '../../shared/errors.js';
import { essenceOf, extensionOf } from '../../shared/media-types.js';
import { mediaPathOf } from '../../shared/media-url.js';
import type { FetchedMedia } from '../../net/media-fetch.js';
import type { WaMessage, WaSendMediaOptions } from '../../wa/wa-client.js';
import { parseInput } from '../middleware/validate.js';
import {
  MEDIA_KINDS,
  MessageMediaParamsSchema,
  SendAudioSchema,
  SendMediaSchema,
  decodeMediaData,
  resolveMimetype,
  type MediaKind,
  type SendMediaInput,
} from '../media-schemas.js';
import { sessionIdOf } from './sessions.routes.js';

export interface MediaRouteDeps {
  messaging: SessionMessaging;
  /** --max-media-bytes */
  maxBytes: number;
  /** Fetches a `url` under the outbound guard (see net/media-fetch.ts). */
  fetchMedia: (url: string) => Promise<FetchedMedia>;
}

/** The paths of the routes whose JSON bodies carry media: they get a body limit that fits --max-media-bytes. */
export const MEDIA_BODY_PATHS = Object.values(MEDIA_KINDS).map((kind) => `/sessions/:id/${kind.route}`);

/** Sending images, documents, audio and video; reading a message's media. */
export function mediaRouter(deps: MediaRouteDeps): Router {
  const router = Router();

  for (const [kind, { route }] of Object.entries(MEDIA_KINDS) as [MediaKind, (typeof MEDIA_KINDS)[MediaKind]][]) {
    router.post(`/sessions/:id/${route}`, async (request, response) => {
      const sessionId = sessionIdOf(request.params);
      const input: SendMediaInput = parseInput(kind === 'audio' ? SendAudioSchema : SendMediaSchema, request.body, 'request body');
      await deps.messaging.assertWorking(sessionId);
      const media = await loadMedia(input, deps);
      checkKind(kind, media.mimetype);
      if (kind === 'document') media.filename ??= `file.${extensionOf(media.mimetype)}`;
      const options: WaSendMediaOptions = {
        caption: input.caption,
        asVoice: input.asVoice,
        asDocument: kind === 'document',
        quotedMessageId: input.quotedMessageId,
        mentions: input.mentions,
        markSeen: input.markSeen,
      };
      const message = await deps.messaging.sendMedia(sessionId, input.chatId, media, options);
      response.status(201).json({ id: message.id, message: withMediaUrl(sessionId, message) });
    });
  }

  router.get('/sessions/:id/messages/:messageId/media', async (request, response) => {
    const sessionId = sessionIdOf(request.params);
    const { messageId } = parseInput(MessageMediaParamsSchema, request.params, 'path');
    const media = await deps.messaging.downloadMedia(sessionId, messageId);
    // WhatsApp Web may not say what the media is: then it is served as bytes, never as something a browser renders
    const mimetype = media.mimetype || 'application/octet-stream';
    const filename = media.filename ?? `${messageId.split('_').pop() ?? 'media'}.${extensionOf(mimetype)}`;
    response.attachment(filename);
    response.set({
      'content-type': mimetype,
      'content-length': String(media.data.length),
      'x-content-type-options': 'nosniff',
      'content-security-policy': "sandbox; default-src 'none'",
      'cache-control': 'private, no-store',
    });
    response.end(media.data);
  });

  return router;
}

export function withMediaUrl(sessionId: string, message: WaMessage): WaMessage & { mediaUrl?: string } {
  return message.hasMedia ? { ...message, mediaUrl: mediaPathOf(sessionId, message.id) } : message;
}

async function loadMedia(input: SendMediaInput, deps: MediaRouteDeps): Promise<{ data: Buffer; mimetype: string; filename?: string }> {
  if (input.data !== undefined) {
    const decoded = decodeMediaData(input.data, deps.maxBytes);
    const mimetype = resolveMimetype({ fromDataUrl: decoded.mimetype, given: input.mimetype }, decoded.bytes);
    return { data: decoded.bytes, mimetype, filename: input.filename };
  }
  const fetched = await deps.fetchMedia(input.url!);
  if (fetched.bytes.length === 0) throw new InvalidInputError('The media URL answered no bytes');
  const mimetype = resolveMimetype({ given: input.mimetype, fromSource: fetched.mimetype }, fetched.bytes);
  return { data: fetched.bytes, mimetype, filename: input.filename ?? fetched.filename };
}

/** send-image takes images, and so on; send-file takes anything (as a document). */
function checkKind(kind: MediaKind, mimetype: string): void {
  if (kind === 'document') return;
  const family = essenceOf(mimetype).split('/')[0];
  if (family !== kind) {
    throw new InvalidInputError(`send-${kind} needs ${kind === 'image' ? 'an' : 'a'} ${kind}/* type, not '${mimetype}'; send it with send-file`);
  }
}
