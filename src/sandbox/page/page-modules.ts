/**
 * Page-side JavaScript: the WhatsApp Web models and the modules whatsapp-web.js 1.34.7 asks
 * `window.require` for (see /work/shared/docs/whatsapp-web-surface.md). Unknown names throw.
 * Uses the runtime (page-runtime.ts) and the bridge functions (page-bridge.ts): report, describe,
 * postToServer, sandboxUnlink, maybeSync, maybeListening. Rules: no backticks, no "${".
 */
export const PAGE_MODULES_JS = String.raw`
var me = null;
/** The account's linked id (LID): WhatsApp addresses contacts by phone (@c.us) or by LID (@lid). */
var meLid = null;

class MsgModel extends Model {
  constructor(attrs) {
    super(Object.assign({
      type: 'chat', body: '', ack: 0, t: nowSeconds(), isNewMsg: false, star: false, isForwarded: false,
      forwardingScore: 0, broadcast: false, mentionedJidList: [], groupMentions: [], isEphemeral: false,
      isStatusV3: false, hasReaction: false, mediaObject: undefined,
    }, attrs));
    if (!(this.id instanceof MsgKey)) this.id = new MsgKey(this.id);
    if (this.from && !(this.from instanceof Wid)) this.from = createWid(this.from);
    if (this.to && !(this.to instanceof Wid)) this.to = createWid(this.to);
  }
  serialize() {
    var out = Model.prototype.serialize.call(this);
    out.id = { fromMe: this.id.fromMe, remote: this.id.remote, id: this.id.id, _serialized: this.id._serialized };
    if (this.id.participant) out.id.participant = this.id.participant;
    return out;
  }
  unsafe() { return this; }
  canReply() { return true; }
  updateAck(ack) { this.set('ack', ack); }
  msgContextInfo(chat) {
    return {
      quotedMsg: this.serialize(), quotedStanzaID: this.id.id,
      quotedParticipant: this.id.fromMe ? me : (this.author || this.from), quotedRemoteJid: chat ? chat.id : this.id.remote,
    };
  }
}

class ContactModel extends Model {
  constructor(attrs) {
    super(Object.assign({ isUser: true, isGroup: false, isMyContact: false, isWAContact: true, isBusiness: false,
      isEnterprise: false, isBlocked: false }, attrs));
    this.id = createWid(this.id);
  }
  get formattedName() { return this.name || this.pushname || '+' + this.id.user; }
  serialize() {
    var out = Model.prototype.serialize.call(this);
    out.formattedName = this.formattedName;
    out.isMe = !!me && me.equals(this.id);
    return out;
  }
}

class ChatModel extends Model {
  constructor(attrs) {
    super(Object.assign({ t: 0, unreadCount: 0, archive: false, isReadOnly: false, pin: 0, isLocked: false,
      muteExpiration: 0, mute: { expiration: 0 }, notSpam: true }, attrs));
    this.id = createWid(this.id);
    hidden(this, 'msgs', new Collection(MsgModel, { owner: false }));
    hidden(this, 'lastReceivedKey', undefined);
  }
  get formattedTitle() {
    var contact = Contact.get(this.id);
    return this.name || (contact && contact.formattedName) || '+' + this.id.user;
  }
  serialize() {
    var out = Model.prototype.serialize.call(this);
    out.formattedTitle = this.formattedTitle;
    out.msgs = this.msgs.getModelsArray().map(function (m) { return m.id._serialized; });
    return out;
  }
}

class SocketModel extends Model {
  _listenerAdded(name) { if (name === 'change:hasSynced') setTimeout(maybeSync, 0); }
  logout() { return sandboxUnlink(); }
  takeover() { return undefined; }
}

var Msg = new Collection(MsgModel);
hidden(Msg, '_listenerAdded', function (name) { if (name === 'add') setTimeout(maybeListening, 0); });
var Chat = new Collection(ChatModel);
var Contact = new Collection(ContactModel);
var Socket = new SocketModel({ state: 'OPENING', hasSynced: false, stream: 'DISCONNECTED' });
var Conn = new Model({ ref: null, platform: 'android', pushname: undefined, battery: 100, plugged: true });
var Cmd = new Emitter();
Cmd.refreshQR = function () { return undefined; };
var Stream = new Model({ available: false });
Stream.markAvailable = function () { Stream.set('available', true); };
Stream.markUnavailable = function () { Stream.set('available', false); };
var callCollection = new Collection(Model);
callCollection.calls = new Map();

var noiseKeyPair = { pubKey: randomBytes(32), privKey: randomBytes(32) };
var identityKeyPair = { pubKey: randomBytes(32), privKey: randomBytes(32) };
var advSecretKey = b64(randomBytes(32));

function ensureContact(wid) {
  var id = createWid(wid);
  return Contact.get(id) || Contact.add(new ContactModel({ id: id }));
}
function ensureChat(wid) {
  var id = createWid(wid);
  ensureContact(id);
  return Chat.get(id) || Chat.add(new ChatModel({ id: id }));
}

var LINK_RE = /\b((?:https?:\/\/|www\.)[^\s<>"']+)/gi;
function findLinks(text) {
  if (typeof text !== 'string') return [];
  var out = [];
  var match;
  LINK_RE.lastIndex = 0;
  while ((match = LINK_RE.exec(text))) {
    var raw = match[1];
    out.push({ href: /^https?:/i.test(raw) ? raw : 'http://' + raw, url: raw, index: match.index });
  }
  return out;
}
function findLink(text) { var all = findLinks(text); return all.length ? all[0] : null; }

/** What the phone sees of a sent message besides its text: the reply, mentions, location, vCards, poll. */
function sentMessageFields(msg) {
  var out = {};
  if (msg.quotedMsg && msg.quotedMsg.id) out.quotedMessageId = msg.quotedMsg.id._serialized;
  if (Array.isArray(msg.mentionedJidList) && msg.mentionedJidList.length) {
    out.mentions = msg.mentionedJidList.map(function (wid) { return createWid(wid)._serialized; });
  }
  if (msg.type === 'location') out.location = { latitude: msg.lat, longitude: msg.lng, description: msg.loc || undefined };
  if (msg.type === 'vcard') out.vcards = [String(msg.body)];
  if (msg.type === 'multi_vcard') out.vcards = (msg.vcardList || []).map(function (card) { return card.vcard; });
  if (msg.type === 'poll_creation') {
    out.poll = { name: msg.pollName, options: (msg.pollOptions || []).map(function (option) { return option.name; }),
      multipleAnswers: msg.pollSelectableOptionsCount === 0 };
  }
  return out;
}

function addAndSendMsgToChat(chat, attrs) {
  var msg = attrs instanceof MsgModel ? attrs : new MsgModel(attrs);
  Msg.add(msg);
  chat.msgs.add(msg);
  chat.lastReceivedKey = msg.id;
  chat.set('t', msg.t);
  var sent = postToServer('/sandbox/sent', Object.assign({
    id: msg.id._serialized, to: chat.id._serialized, body: typeof msg.body === 'string' ? msg.body : '',
    type: String(msg.type), t: Number(msg.t) || nowSeconds(),
  }, sentMediaFields(msg), sentMessageFields(msg))).then(function () {
    msg.set('ack', 1);
    return { messageSendResult: 'OK', t: msg.t };
  }, function (e) {
    report('warn', 'sending ' + msg.id._serialized + ' failed: ' + describe(e));
    msg.set('ack', -1);
    return { messageSendResult: 'ERROR' };
  });
  return [Promise.resolve(msg), sent];
}

var MODULES = {
  WAWebSocketModel: { Socket: Socket },
  WAWebCmd: { Cmd: Cmd },
  WAWebConnModel: { Conn: Conn },
  WAWebOfflineHandler: { OfflineMessageHandler: { getOfflineDeliveryProgress: function () { return 100; } } },
  WAWebAltDeviceLinkingApi: {
    // pairing-code login (Client.requestPairingCode): the page asks its server for the code to show
    setPairingType: function () { return undefined; },
    initializeAltDeviceLinking: async function () { return undefined; },
    startAltLinkingFlow: async function (phone) {
      var reply = await postToServer('/sandbox/pairing-code', { phone: String(phone) });
      return reply.code;
    },
    initializeQRLinking: async function () { return undefined; },
  },
  WAWebAdvSignatureApi: {},
  WABase64: { encodeB64: b64, decodeB64: unb64 },
  WAWebCompanionRegClientUtils: { DEVICE_PLATFORM: 'WEB' },
  WAWebUserPrefsInfoStore: { waNoiseInfo: { get: async function () { return { staticKeyPair: noiseKeyPair }; } } },
  WAWebSignalStoreApi: { waSignalStore: { getRegistrationInfo: async function () {
    return { registrationId: 1, identityKeyPair: identityKeyPair };
  } } },
  WAWebUserPrefsMultiDevice: { getADVSecretKey: function () { return advSecretKey; } },
  WAWebUserPrefsMeUser: {
    getMaybeMePnUser: function () { return me; },
    getMaybeMeLidUser: function () { return meLid; },
    getMePNandLIDWids: function () { return me ? [me, meLid] : []; },
  },
  WAWebCollections: { Msg: Msg, Chat: Chat, Contact: Contact },
  WAWebSyncGatingUtils: {},
  WAWebCallCollection: callCollection,
  WAWebWidFactory: { createWid: createWid, asUserWidOrThrow: asUserWidOrThrow, createUserWid: createWid },
  WAWebMsgKey: MsgKey,
  WAWebFindChatAction: { findOrCreateLatestChat: async function (wid) { return { chat: ensureChat(wid), created: false }; } },
  WAWebStreamModel: { Stream: Stream },
  WAWebUpdateUnreadChatAction: { sendSeen: async function (args) {
    var chat = args && args.chat;
    if (chat && chat.unreadCount !== 0) chat.set('unreadCount', 0);
  } },
  WAWebChatGetters: {
    getIsNewsletter: function (chat) { return !!chat && chat.id.isNewsletter(); },
    getIsBroadcast: function (chat) { return !!chat && chat.id.isBroadcast(); },
    getIsGroup: function (chat) { return !!chat && chat.id.isGroup(); },
  },
  WALinkify: { findLink: findLink, findLinks: findLinks },
  WAWebGetEphemeralFieldsMsgActionsUtils: { getEphemeralFields: function () { return {}; } },
  WAWebSendMsgChatAction: { addAndSendMsgToChat: addAndSendMsgToChat },
  WAWebMsgReply: { canReplyMsg: function () { return true; } },
  WAWebLinkPreviewChatAction: { getLinkPreview: async function () { return null; } },
  WAWebMiscBrowserUtils: { info: function () { return { os: 'Linux', name: 'Chrome', ua: navigator.userAgent }; } },
};

var OPTIONAL_MODULES = ['WAWebBackendJobsCommon', 'WAWebE2EProtoUtils', 'WAWebAddonReactionTableMode',
  'WAWebAddonPollVoteTableMode'];
var reportedModules = new Set();
function sandboxRequire(name) {
  if (Object.prototype.hasOwnProperty.call(MODULES, name)) return MODULES[name];
  if (OPTIONAL_MODULES.indexOf(name) < 0 && !reportedModules.has(name)) {
    reportedModules.add(name);
    report('warn', 'whatsapp-web.js asked for module ' + name + ', which the sandbox does not provide');
  }
  throw new Error('sandbox: unknown module ' + JSON.stringify(String(name)));
}
window.require = sandboxRequire;
window.Debug = { VERSION: CONFIG.version };
`;
