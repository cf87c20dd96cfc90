import { createHash, randomBytes } from 'node:crypto';

/** What WhatsApp's media server holds for the sandbox: uploaded bytes by their direct path. */
export interface StoredMedia {
  bytes: Buffer;
  /** Hex SHA-256 of the bytes. */
  sha256: string;
  /** Base64 SHA-256 of the bytes: WhatsApp's `filehash`. */
  filehash: string;
  /** The media type the uploader named (WhatsApp's mms type: image, ptt, document...). */
  mediaType: string;
}

export const MEDIA_PATH_PREFIX = '/sandbox/media/';
/** Past this many bytes the oldest media expire, as WhatsApp's media servers let old media go. */
const MEDIA_BYTES_KEPT = 256 * 1024 * 1024;

/**
 * The sandbox's media server (mmg.whatsapp.net in the real service): the page uploads what the session sends, the
 * phone's media waits here for the page to download it. Unencrypted: the sandbox plays both ends.
 */
export class SandboxMediaStore {
  /** Oldest first. */
  private readonly items = new Map<string, StoredMedia>();
  private bytesHeld = 0;

  put(bytes: Buffer, mediaType: string): { directPath: string } & StoredMedia {
    const digest = createHash('sha256').update(bytes).digest();
    const stored: StoredMedia = { bytes, sha256: digest.toString('hex'), filehash: digest.toString('base64'), mediaType };
    const directPath = `${MEDIA_PATH_PREFIX}${randomBytes(16).toString('hex')}`;
    this.items.set(directPath, stored);
    this.bytesHeld += bytes.length;
    for (const [oldest] of this.items) {
      if (this.bytesHeld <= MEDIA_BYTES_KEPT || oldest === directPath) break;
      this.expire(oldest);
    }
    return { directPath, ...stored };
  }

  get(directPath: string): StoredMedia | undefined {
    return this.items.get(directPath);
  }

  /** The media server forgets the bytes (expired media): downloads answer 404 from now on. */
  expire(directPath: string): boolean {
    const stored = this.items.get(directPath);
    if (!stored) return false;
    this.bytesHeld -= stored.bytes.length;
    return this.items.delete(directPath);
  }

  clear(): void {
    this.items.clear();
    this.bytesHeld = 0;
  }
}
