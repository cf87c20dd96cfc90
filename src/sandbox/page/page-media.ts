/**
 * Page-side JavaScript: the media modules whatsapp-web.js 1.34.7 uses to send and download media
 * (window.WWebJS.processMediaData, sendMessage, Message.downloadMedia). The media server is the sandbox
 * endpoint: uploads go to /sandbox/upload, downloads come from the message's directPath (same origin).
 * The bytes are not encrypted: the sandbox plays both ends. Loaded after page-modules.ts (uses MODULES,
 * MsgModel, Msg, ensureChat...) and before page-bridge.ts (whose pageId it reads at upload time).
 * Rules: no backticks, no "${".
 */
export const PAGE_MEDIA_JS = String.raw`
/** WAWebMediaStorage: one media object per file hash, and the blobs prepared for upload. */
var MEDIA_OBJECTS_KEPT = 200;
var mediaObjects = new Map();
var preparedBlobs = new Map();
/** WhatsApp Web's in-memory media cache: the most recently used blobs, the oldest dropped first. */
var BLOB_CACHE_ENTRIES = 20;
var blobCache = new Map();

async function sha256B64(blob) {
  var digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return b64(new Uint8Array(digest));
}

class OpaqueData {
  constructor(blob) {
    hidden(this, '_blob', blob);
    hidden(this, '_url', null);
    this.type = blob.type;
    this.size = blob.size;
  }
  static async createFromData(data, mimetype) {
    var blob = data instanceof Blob ? data : new Blob([data], { type: mimetype });
    if (mimetype && blob.type !== mimetype) blob = new File([blob], blob.name || '', { type: mimetype });
    return new OpaqueData(blob);
  }
  url() {
    if (!this._url) this._url = URL.createObjectURL(this._blob);
    return this._url;
  }
  autorelease() { return this; }
  formData() { return this._blob; }
}

function msgTypeOf(mimetype, params) {
  var family = String(mimetype || '').split('/')[0];
  if (params.asDocument) return 'document';
  if (params.asSticker) return 'sticker';
  if (family === 'image') return 'image';
  if (family === 'video') return 'video';
  if (family === 'audio') return params.isPtt ? 'ptt' : 'audio';
  return 'document';
}

function prepRawMedia(opaqueData, params) {
  var prepared = (async function () {
    var file = opaqueData._blob;
    var type = msgTypeOf(opaqueData.type, params || {});
    var filehash = await sha256B64(file);
    preparedBlobs.set(filehash, file);
    var name = typeof file.name === 'string' && file.name !== '' && file.name !== 'undefined' && file.name !== 'null' ? file.name : undefined;
    var mediaData = new Model({ type: type, mimetype: opaqueData.type, filehash: filehash, size: file.size,
      isGif: !!(params && params.asGif) && type === 'video' });
    if (name) mediaData.filename = name;
    hidden(mediaData, 'mediaBlob', opaqueData);
    return mediaData;
  })();
  return { waitForPrep: function () { return prepared; } };
}

function getOrCreateMediaObject(filehash) {
  var existing = mediaObjects.get(filehash);
  if (existing) return existing;
  var object = new Model({ filehash: filehash });
  hidden(object, 'contentInfo', {});
  object.consolidate = function (json) { Object.assign(this, json); return this; };
  mediaObjects.set(filehash, object);
  // the messages that use an object hold it; the table only shares it between recent sends of the same file
  if (mediaObjects.size > MEDIA_OBJECTS_KEPT) mediaObjects.delete(mediaObjects.keys().next().value);
  return object;
}

/** WAWebMediaMmsV4Upload: the bytes go to the media server, which answers where they now live. */
async function uploadMedia(args) {
  var blob = preparedBlobs.get(args.mediaObject.filehash);
  if (!blob) throw new Error('sandbox: nothing prepared for ' + args.mediaObject.filehash);
  var res = await fetch('/sandbox/upload?page=' + pageId + '&type=' + encodeURIComponent(args.mediaType), {
    method: 'POST', cache: 'no-store', headers: { 'content-type': 'application/octet-stream' }, body: blob });
  var reply = await res.json().catch(function () { return {}; });
  if (!res.ok) throw new Error('upload answered ' + res.status + ' ' + (reply.message || ''));
  if (reply.filehash !== args.mediaObject.filehash) throw new Error('upload: the media server hashed other bytes');
  preparedBlobs.delete(args.mediaObject.filehash);
  return { mediaEntry: {
    mmsUrl: 'https://mmg.whatsapp.net' + reply.directPath, deprecatedMms3Url: 'https://mmg.whatsapp.net' + reply.directPath,
    directPath: reply.directPath, mediaKey: b64(randomBytes(32)), mediaKeyTimestamp: nowSeconds(),
    encFilehash: b64(randomBytes(32)), uploadHash: b64(randomBytes(32)), sidecar: undefined, firstFrameSidecar: undefined,
  } };
}

/** WAWebDownloadManager: fetch from the media server; a missing file is an error with status 404, as WhatsApp's. */
async function downloadAndMaybeDecrypt(args) {
  var res = await fetch(args.directPath, { cache: 'no-store' });
  if (!res.ok) {
    var error = new Error('media download answered ' + res.status);
    error.status = res.status;
    throw error;
  }
  return res.arrayBuffer();
}

/**
 * A media message's download state (msg.mediaData): sent media is RESOLVED at once; received media resolves
 * on msg.downloadMedia(), which asks the media server whether it still has the file.
 */
Object.defineProperty(MsgModel.prototype, 'mediaData', {
  configurable: true,
  get: function () {
    if (!this.directPath) return undefined;
    if (!this._mediaData) hidden(this, '_mediaData', new Model({ mediaStage: this.id.fromMe ? 'RESOLVED' : 'INIT' }));
    return this._mediaData;
  },
});
MsgModel.prototype.downloadMedia = async function () {
  var data = this.mediaData;
  if (!data) return;
  data.set('mediaStage', 'FETCHING');
  try {
    var res = await fetch(this.directPath, { method: 'HEAD', cache: 'no-store' });
    data.set('mediaStage', res.ok ? 'RESOLVED' : 'ERROR_MISSING');
  } catch (e) {
    data.set('mediaStage', 'ERROR_UNKNOWN');
  }
};
function attachMediaObject(msg) {
  if (msg.directPath && msg.filehash) hidden(msg, 'mediaObject', getOrCreateMediaObject(msg.filehash));
}

/** What the phone's outbox needs to know of a sent media message. */
function sentMediaFields(msg) {
  if (!msg.directPath) return {};
  return { directPath: msg.directPath, caption: typeof msg.caption === 'string' ? msg.caption : undefined,
    mimetype: msg.mimetype, filename: msg.filename, size: Number(msg.size) || 0 };
}

var addAndSendPlain = addAndSendMsgToChat;
function addAndSendMediaAware(chat, attrs) {
  var msg = attrs instanceof MsgModel ? attrs : new MsgModel(attrs);
  attachMediaObject(msg);
  return addAndSendPlain(chat, msg);
}

/** A media message from the phone: its bytes stay on the media server until the page downloads them. */
async function receiveMedia(d) {
  var m = d.media;
  var attrs = { body: '', type: m.type, mimetype: m.mimetype, size: m.size, filehash: m.filehash, encFilehash: m.filehash,
    directPath: m.directPath, clientUrl: 'https://mmg.whatsapp.net' + m.directPath, mediaKey: m.mediaKey, mediaKeyTimestamp: d.t };
  if (m.caption) attrs.caption = m.caption;
  if (m.filename) attrs.filename = m.filename;
  // a reply or a message inside a group is built as any contact's message is (page-bridge.ts)
  var incoming = await incomingMessage(d, attrs);
  if (!incoming) return;
  attachMediaObject(incoming.msg);
  await deliverIncoming(incoming);
}

Object.assign(MODULES, {
  WAWebMediaOpaqueData: OpaqueData,
  WAWebPrepRawMedia: { prepRawMedia: prepRawMedia },
  WAWebMediaStorage: { getOrCreateMediaObject: getOrCreateMediaObject },
  WAWebMmsMediaTypes: {
    msgToMediaType: function (o) { return o.isGif ? 'gif' : o.type; },
    castToV4: function (type) { return type; },
  },
  WAWebMediaDataUtils: { shouldUseMediaCache: function (type) { return type === 'image' || type === 'sticker'; } },
  WAWebMediaInMemoryBlobCache: { InMemoryMediaBlobCache: {
    put: function (hash, blob) {
      blobCache.delete(hash);
      blobCache.set(hash, blob);
      if (blobCache.size > BLOB_CACHE_ENTRIES) blobCache.delete(blobCache.keys().next().value);
    },
    get: function (hash) {
      var blob = blobCache.get(hash);
      if (blob) { blobCache.delete(hash); blobCache.set(hash, blob); }
      return blob;
    },
  } },
  WAWebMediaMmsV4Upload: { uploadMedia: uploadMedia, uploadUnencryptedMedia: uploadMedia },
  WAWebDownloadManager: { downloadManager: { downloadAndMaybeDecrypt: downloadAndMaybeDecrypt } },
});
MODULES.WAWebSendMsgChatAction.addAndSendMsgToChat = addAndSendMediaAware;
`;
