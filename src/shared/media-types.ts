/** Media types by their bytes: what a file is when nobody said, and a file name extension for it. */

interface Signature {
  mimetype: string;
  /** Bytes expected at `offset` (undefined = any byte). */
  bytes: ReadonlyArray<number | undefined>;
  offset?: number;
}

const ascii = (text: string) => [...text].map((char) => char.charCodeAt(0));
const any = (count: number) => new Array<undefined>(count).fill(undefined);

/** Checked in order: the first match wins. */
const SIGNATURES: readonly Signature[] = [
  { mimetype: 'image/png', bytes: [0x89, ...ascii('PNG\r\n'), 0x1a, 0x0a] },
  { mimetype: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
  { mimetype: 'image/gif', bytes: ascii('GIF87a') },
  { mimetype: 'image/gif', bytes: ascii('GIF89a') },
  { mimetype: 'image/webp', bytes: [...ascii('RIFF'), ...any(4), ...ascii('WEBP')] },
  { mimetype: 'audio/wav', bytes: [...ascii('RIFF'), ...any(4), ...ascii('WAVE')] },
  { mimetype: 'application/pdf', bytes: ascii('%PDF-') },
  { mimetype: 'audio/mpeg', bytes: ascii('ID3') },
  { mimetype: 'audio/mpeg', bytes: [0xff, 0xfb] },
  { mimetype: 'audio/mpeg', bytes: [0xff, 0xf3] },
  { mimetype: 'audio/mpeg', bytes: [0xff, 0xf2] },
  { mimetype: 'audio/aac', bytes: [0xff, 0xf1] },
  { mimetype: 'audio/aac', bytes: [0xff, 0xf9] },
  { mimetype: 'audio/amr', bytes: ascii('#!AMR\n') },
  { mimetype: 'audio/mp4', bytes: [...ascii('ftypM4A')], offset: 4 },
  { mimetype: 'video/3gpp', bytes: [...ascii('ftyp3gp')], offset: 4 },
  { mimetype: 'video/quicktime', bytes: [...ascii('ftypqt  ')], offset: 4 },
  { mimetype: 'video/mp4', bytes: [...ascii('ftyp')], offset: 4 },
  { mimetype: 'video/webm', bytes: [0x1a, 0x45, 0xdf, 0xa3] },
  { mimetype: 'application/zip', bytes: [...ascii('PK'), 0x03, 0x04] },
];

/** The media type the bytes' magic number says, or undefined. Ogg with an Opus stream is WhatsApp's voice-note format. */
export function sniffMimetype(bytes: Uint8Array): string | undefined {
  if (startsWith(bytes, ascii('OggS'), 0)) {
    const head = Buffer.from(bytes.subarray(0, 128)).toString('latin1');
    if (head.includes('OpusHead')) return 'audio/ogg; codecs=opus';
    if (head.includes('theora')) return 'video/ogg';
    return 'audio/ogg';
  }
  return SIGNATURES.find((signature) => startsWith(bytes, signature.bytes, signature.offset ?? 0))?.mimetype;
}

function startsWith(bytes: Uint8Array, expected: ReadonlyArray<number | undefined>, offset: number): boolean {
  if (bytes.length < offset + expected.length) return false;
  return expected.every((byte, i) => byte === undefined || bytes[offset + i] === byte);
}

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'application/pdf': 'pdf',
  'audio/ogg': 'ogg',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'audio/aac': 'aac',
  'audio/amr': 'amr',
  'audio/wav': 'wav',
  'video/mp4': 'mp4',
  'video/3gpp': '3gp',
  'video/quicktime': 'mov',
  'video/webm': 'webm',
  'video/ogg': 'ogv',
  'application/zip': 'zip',
  'text/plain': 'txt',
};

/** "audio/ogg; codecs=opus" -> "ogg"; "bin" for types without a known extension. */
export function extensionOf(mimetype: string): string {
  return EXTENSIONS[essenceOf(mimetype)] ?? 'bin';
}

/** The type without its parameters, lower-cased: "audio/ogg; codecs=opus" -> "audio/ogg". */
export function essenceOf(mimetype: string): string {
  return mimetype.split(';')[0]!.trim().toLowerCase();
}

/** type/subtype with optional parameters, as RFC 6838 allows the names. */
export const MIMETYPE_PATTERN = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}(\s*;\s*[a-z0-9!#$&^_.+-]+=("[^"\\]*"|[a-z0-9!#$&^_.+-]+))*$/i;
