import { z } from '../shared/zod.js';
import { InvalidInputError, TooLargeError } from '../shared/errors.js';
import { MIMETYPE_PATTERN, sniffMimetype } from '../shared/media-types.js';
import { ChatIdSchema, MessageSchema } from './api-schemas.js';
import { MessageIdSchema, SendOptionsFields } from './message-schemas.js';

/** The media send routes, their request shapes, and how posted media becomes bytes and a type. */

export const MEDIA_KINDS = {
  image: { route: 'send-image', summary: 'Send an image (with an optional caption)' },
  document: { route: 'send-file', summary: 'Send a file as a document' },
  audio: { route: 'send-audio', summary: 'Send audio; asVoice: true sends a voice note' },
  video: { route: 'send-video', summary: 'Send a video (with an optional caption)' },
} as const;
export type MediaKind = keyof typeof MEDIA_KINDS;

export const DEFAULT_MAX_MEDIA_BYTES = 16 * 1024 * 1024;

const mediaFields = {
  chatId: ChatIdSchema,
  data: z
    .string()
    .min(1, 'must not be empty')
    .optional()
    .openapi({ description: 'The bytes as base64, or a data URL (data:image/png;base64,...)' }),
  url: z.string().min(1).max(2048).optional().openapi({
    description: 'An http(s) URL the server fetches; loopback, private and link-local targets are refused unless allowed (--media-allow-hosts)',
  }),
  mimetype: z
    .string()
    .regex(MIMETYPE_PATTERN, 'must be a media type like image/png')
    .optional()
    .openapi({ description: 'Taken from the data URL, else this, else from the bytes (png, jpeg, gif, webp, pdf, ogg, mp3, mp4...)' }),
  filename: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[^/\\\u0000-\u001f]+$/, 'must be a file name without a path or control characters')
    .optional(),
  caption: z.string().max(65_536).optional(),
  ...SendOptionsFields,
};

const exactlyOneSource = (value: { data?: string; url?: string }) => (value.data === undefined) !== (value.url === undefined);
const SOURCE_MESSAGE = { message: 'give exactly one of data and url', path: ['data'] };

export const SendMediaSchema = z.object(mediaFields).strict().refine(exactlyOneSource, SOURCE_MESSAGE).openapi('SendMedia');

export const SendAudioSchema = z
  .object({ ...mediaFields, asVoice: z.boolean().optional().openapi({ description: 'Send as a voice note (push to talk)' }) })
  .strict()
  .refine(exactlyOneSource, SOURCE_MESSAGE)
  .openapi('SendAudio');

export type SendMediaInput = z.output<typeof SendMediaSchema> & { asVoice?: boolean };

export const MediaMessageSchema = MessageSchema.extend({
  caption: z.string().optional(),
  mimetype: z.string().optional(),
  filename: z.string().optional(),
  size: z.number().int().optional(),
  mediaUrl: z.string().optional().openapi({ description: 'Where wamux serves the media bytes' }),
}).openapi('MediaMessage');

export const MessageMediaParamsSchema = z.object({ id: z.string(), messageId: MessageIdSchema });

/** Bytes decoded from `data`, with the type a data URL named (if it was one). */
export interface DecodedMedia {
  bytes: Buffer;
  mimetype?: string;
}

const DATA_URL = /^data:([^,]*?),/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/**
 * Decodes base64 or a base64 data URL. Throws InvalidInputError when it is neither (or a non-base64 data URL), and
 * TooLargeError when the bytes would exceed maxBytes: the size is computed from the text before anything is decoded.
 */
export function decodeMediaData(data: string, maxBytes: number): DecodedMedia {
  let payload = data;
  let mimetype: string | undefined;
  const dataUrl = DATA_URL.exec(data);
  if (dataUrl) {
    const params = dataUrl[1]!.split(';').map((part) => part.trim());
    if (params.at(-1)?.toLowerCase() !== 'base64') throw new InvalidInputError('data: a data URL must be base64 (data:<type>;base64,...)');
    const type = params.slice(0, -1).join('; ');
    if (type !== '') {
      if (!MIMETYPE_PATTERN.test(type)) throw new InvalidInputError(`data: '${type.slice(0, 100)}' is not a media type`);
      mimetype = type.toLowerCase();
    }
    payload = data.slice(dataUrl[0].length);
  }
  const compact = payload.replace(/\s+/g, '');
  if (compact.length === 0) throw new InvalidInputError('data: no bytes');
  const unpadded = compact.replace(/=+$/, '');
  if (unpadded.length % 4 === 1 || !(BASE64.test(compact) || BASE64URL.test(compact))) {
    throw new InvalidInputError('data: not valid base64');
  }
  const size = Math.floor((unpadded.length * 3) / 4);
  if (size > maxBytes) throw tooLarge(size, maxBytes);
  return { bytes: Buffer.from(unpadded, BASE64.test(compact) ? 'base64' : 'base64url'), mimetype };
}

/** The media type: the one the data URL named, else the one given, else the one the bytes say; a 400 when none. */
export function resolveMimetype(candidates: { fromDataUrl?: string; given?: string; fromSource?: string }, bytes: Uint8Array): string {
  const mimetype = candidates.fromDataUrl ?? candidates.given ?? candidates.fromSource ?? sniffMimetype(bytes);
  if (mimetype === undefined) {
    throw new InvalidInputError('mimetype: give one (e.g. image/png): it could not be told from the data');
  }
  return mimetype;
}

export function tooLarge(size: number | undefined, maxBytes: number): TooLargeError {
  const what = size === undefined ? 'The media is' : `The media is ${size} bytes,`;
  return new TooLargeError(`${what} larger than the limit of ${maxBytes} bytes (--max-media-bytes)`, { maxBytes });
}
