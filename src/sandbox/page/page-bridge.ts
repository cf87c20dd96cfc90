/**
 * Page-side JavaScript: the link between the fake WhatsApp Web page and its sandbox endpoint.
 * Same-origin SSE (server -> page) and POST (page -> server); the pairing lives in IndexedDB
 * (durable once the transaction completes) with a localStorage mirror. Rules: no backticks, no "${".
 */
export const PAGE_BRIDGE_JS = String.raw`
var STORAGE_KEY = 'wamux-sandbox-pairing';
var pageId = randomHex(16);
var pairing = null;
var events = null;
var listeningReported = false;
/** whatsapp-web.js attaches its Msg 'add' listener just before it emits ready: held messages come after ready. */
var LISTENING_DELAY_MS = 300;

function describe(e) { return e && e.message ? String(e.message) : String(e); }
function report(level, message) {
  var text = String(message).slice(0, 3900);
  try { (level === 'error' || level === 'warn' ? console.warn : console.log)('[sandbox] ' + text); } catch (_) { /* ignore */ }
  try {
    fetch('/sandbox/log', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ page: pageId, level: level, message: text }) }).catch(function () { return undefined; });
  } catch (_) { /* ignore */ }
}
function postToServer(path, body) {
  return fetch(path, { method: 'POST', cache: 'no-store', headers: { 'content-type': 'application/json' },
    body: JSON.stringify(Object.assign({ page: pageId }, body)) }).then(function (res) {
    return res.json().catch(function () { return {}; }).then(function (json) {
      if (!res.ok) throw new Error(path + ' answered ' + res.status + ' ' + (json.error || '') + ' ' + (json.message || ''));
      return json;
    });
  });
}

function openDb() {
  return new Promise(function (resolve, reject) {
    var request = indexedDB.open('wamux-sandbox', 1);
    request.onupgradeneeded = function () { request.result.createObjectStore('kv'); };
    request.onsuccess = function () { resolve(request.result); };
    request.onerror = function () { reject(request.error || new Error('IndexedDB open failed')); };
  });
}
function withStore(mode, action) {
  return openDb().then(function (db) {
    return new Promise(function (resolve, reject) {
      var tx = db.transaction('kv', mode, { durability: 'strict' });
      var request = action(tx.objectStore('kv'));
      tx.oncomplete = function () { db.close(); resolve(request.result); };
      tx.onerror = tx.onabort = function () { db.close(); reject(tx.error || new Error('IndexedDB transaction failed')); };
    });
  });
}
function validPairing(p) {
  return !!p && typeof p === 'object' && typeof p.deviceId === 'string' && typeof p.phone === 'string' &&
    typeof p.pushName === 'string';
}
async function loadPairing() {
  try {
    var stored = await withStore('readonly', function (store) { return store.get('pairing'); });
    return validPairing(stored) ? stored : null;
  } catch (e) {
    report('warn', 'IndexedDB unavailable, reading localStorage: ' + describe(e));
  }
  try {
    var raw = localStorage.getItem(STORAGE_KEY);
    var parsed = raw ? JSON.parse(raw) : null;
    return validPairing(parsed) ? parsed : null;
  } catch (_) {
    return null;
  }
}
async function savePairing(p) {
  try { localStorage.setItem(STORAGE_KEY, JSON.stringify(p)); } catch (e) { report('warn', 'localStorage: ' + describe(e)); }
  await withStore('readwrite', function (store) { return store.put(p, 'pairing'); });
}
async function clearPairing() {
  try { localStorage.removeItem(STORAGE_KEY); } catch (e) { report('warn', 'localStorage: ' + describe(e)); }
  await withStore('readwrite', function (store) { return store.delete('pairing'); });
}

function render() {
  var el = document.getElementById('app');
  if (!el) return;
  el.textContent = 'WhatsApp sandbox - ' + Socket.state +
    (me ? ' - linked to +' + me.user : Conn.ref ? ' - QR ' + Conn.ref : '');
}
function maybeSync() {
  if (Socket.state === 'CONNECTED' && !Socket.hasSynced && Socket.listenerCount('change:hasSynced') > 0) {
    Socket.set('hasSynced', true);
  }
}
function setState(state) {
  if (Socket.state !== state) Socket.set('state', state);
  render();
  maybeSync();
}
/**
 * Tells the phone this linked page hands messages on to whatsapp-web.js (it listens on Msg 'add'), so that the
 * phone delivers what it held while the device was away, as WhatsApp does when a linked device reconnects.
 */
function maybeListening() {
  if (!me || listeningReported || Msg.listenerCount('add') === 0) return;
  listeningReported = true;
  setTimeout(function () {
    if (!me) { listeningReported = false; return; }
    postToServer('/sandbox/listening', {}).catch(function (e) {
      listeningReported = false;
      report('warn', 'listening: ' + describe(e));
    });
  }, LISTENING_DELAY_MS);
}
function becomeLinked(p) {
  pairing = p;
  me = createWid(p.phone + '@c.us');
  meLid = createWid(lidOf(p.phone) + '@lid');
  ensureContact(me).set({ pushname: p.pushName, isMe: true });
  Conn.set({ pushname: p.pushName, wid: me });
  Socket.set('stream', 'CONNECTED');
  setState('CONNECTED');
  maybeListening();
  syncAddressBook().catch(function (e) { report('warn', 'address book sync failed: ' + describe(e)); });
}
function becomeUnpaired(ref) {
  pairing = null;
  me = null;
  meLid = null;
  listeningReported = false;
  if (ref) Conn.set('ref', ref);
  setState('UNPAIRED');
  Socket.hasSynced = false;
}
/**
 * A contact's message as WhatsApp Web builds it: inside a group the chat is the group, and the key and the message
 * name the participant who wrote it; a reply carries the quoted message's context. Null when it is already here.
 */
async function incomingMessage(d, attrs) {
  if (!me) throw new Error('this page is not linked');
  var sender = createWid(d.from);
  var remote = d.group ? createWid(d.group) : sender;
  var key = new MsgKey({ fromMe: false, remote: remote, id: d.id, participant: d.group ? sender : undefined });
  if (await hasMsg(key)) return null;
  var chat = ensureChat(remote);
  var base = { id: key, body: '', type: 'chat', t: d.t, from: remote, to: sender.isLid() ? meLid : me, self: 'in', ack: 1,
    isNewMsg: true, local: false };
  if (d.group) base.author = sender;
  if (d.quoted) {
    Object.assign(base, (await findMsg(d.quoted)).msgContextInfo(chat));
  }
  return { chat: chat, msg: new MsgModel(Object.assign(base, attrs)) };
}
/** Resolves once the message is stored: the phone is told it arrived only then, as a device does. */
async function deliverIncoming(incoming) {
  var chat = incoming.chat;
  var msg = incoming.msg;
  Msg.add(msg);
  chat.msgs.add(msg);
  chat.lastReceivedKey = msg.id;
  chat.set({ t: msg.t, unreadCount: (chat.unreadCount || 0) + 1 });
  await flushMsgs();
}
async function receive(d) {
  var attrs = { body: d.body };
  if (d.location) {
    attrs = { type: 'location', body: '', lat: d.location.latitude, lng: d.location.longitude, loc: d.location.description };
  }
  if (d.vcard) {
    var name = /\nFN:([^\n]*)/.exec(d.vcard);
    attrs = { type: 'vcard', body: d.vcard, vcardFormattedName: name ? name[1] : undefined };
  }
  var incoming = await incomingMessage(d, attrs);
  if (incoming) await deliverIncoming(incoming);
}
/** A fixed 15-digit LID per phone number (real LIDs are unrelated to the number; the sandbox only needs it stable). */
function lidOf(phone) {
  var digits = String(phone).split('').reverse().join('');
  return ('2' + digits + '000000000000000').slice(0, 15);
}
async function sandboxUnlink() {
  try { await postToServer('/sandbox/unlink', {}); } catch (e) { report('warn', 'unlink: ' + describe(e)); }
  await clearPairing();
  pairing = null;
  me = null;
  meLid = null;
  listeningReported = false;
}

/** What WhatsApp learns of the linked browser (its phone lists the device by it): the user agent and client hints. */
function reportBrowser() {
  var hints = navigator.userAgentData;
  var described = hints
    ? hints.brands.map(function (b) { return b.brand + ' ' + b.version; }).join(', ') + ' on ' + (hints.platform || '(none)')
    : '(none)';
  report('info', 'browser: ' + navigator.userAgent + ' | client hints: ' + described);
}

async function hello() {
  reportBrowser();
  var reply = await postToServer('/sandbox/hello', { pairing: pairing });
  if (reply.linked) {
    if (!pairing || pairing.deviceId !== reply.pairing.deviceId) await savePairing(reply.pairing);
    becomeLinked(reply.pairing);
    return;
  }
  if (pairing) {
    report('info', 'the stored pairing was refused: the phone unlinked this device');
    await clearPairing();
  }
  becomeUnpaired(reply.ref);
}
/** The phone's events are applied one after another, in the order sent, though some wait for the message store. */
var applying = Promise.resolve();
function answer(name, handler) {
  events.addEventListener(name, function (e) {
    var d = JSON.parse(e.data);
    var applied = applying.then(function () { return handler(d); });
    applying = applied.catch(function () { return undefined; });
    applied.then(function () {
      return postToServer('/sandbox/ack', { seq: d.seq, ok: true });
    }, function (err) {
      return postToServer('/sandbox/ack', { seq: d.seq, ok: false, error: describe(err) });
    }).catch(function (err) { report('warn', 'ack of ' + name + ' failed: ' + describe(err)); });
  });
}
function connect() {
  events = new EventSource('/sandbox/events?page=' + pageId);
  events.onopen = function () { hello().catch(function (e) { report('warn', 'hello failed: ' + describe(e)); }); };
  events.addEventListener('ref', function (e) {
    var d = JSON.parse(e.data);
    if (Socket.state === 'UNPAIRED' || Socket.state === 'UNPAIRED_IDLE') { Conn.set('ref', d.ref); render(); }
  });
  answer('paired', async function (d) { await savePairing(d.pairing); becomeLinked(d.pairing); });
  answer('incoming', receive);
  answer('contacts', function (d) { applyAddressBook(d.contacts); });
  answer('react', applyPhoneReaction);
  answer('edit', applyPhoneEdit);
  answer('revoke', applyPhoneRevoke);
  answer('ack', applyPhoneAck);
  answer('hang', function () { for (;;) { /* a page stuck in a script: nothing on this thread runs again */ } });
  answer('incomingMedia', receiveMedia);
  answer('logout', async function () { await clearPairing(); becomeUnpaired(null); });
  answer('group', function (d) { applyGroupEvent(d); });
}

loadPairing().then(function (p) { pairing = p; }, function () { pairing = null; }).then(connect);
`;
