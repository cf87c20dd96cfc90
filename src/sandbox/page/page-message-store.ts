/**
 * Page-side JavaScript: the message database WhatsApp Web keeps in IndexedDB beside its in-memory models. Every
 * message the Msg collection sees is written (behind, in batches), so that a message the models no longer hold
 * (unloaded to save memory) is still found by Msg.getMessagesById and Chat.fetchMessages (loadEarlierMsgs), and a
 * contact's reaction, edit, revoke or receipt still reaches it: it is loaded back into the models first.
 * Runs after page-modules.ts. Rules: no backticks, no "${".
 */
export const PAGE_MESSAGE_STORE_JS = String.raw`
var MSG_DB_NAME = 'wamux-sandbox-messages';
var EARLIER_BATCH = 50;
var msgDbOpening = null;
/** By key: added or changed since the last write (written on the next task, so a closing browser loses little). */
var unsavedMsgs = new Map();
var msgFlushTimer = null;
var msgFlushing = Promise.resolve();
var lastMsgOrder = 0;

function msgDb() {
  if (!msgDbOpening) {
    msgDbOpening = new Promise(function (resolve, reject) {
      var request = indexedDB.open(MSG_DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore('msgs', { keyPath: 'k' }).createIndex('chat', ['c', 'o']);
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error || new Error('IndexedDB open failed')); };
    });
    msgDbOpening.catch(function () { msgDbOpening = null; });
  }
  return msgDbOpening;
}
/** The message's place in its chat, in the order this page first saw it (several arrive within a second). */
function msgOrder(msg) {
  if (msg._order === undefined) {
    lastMsgOrder = Math.max(lastMsgOrder + 1, Date.now() * 1000);
    hidden(msg, '_order', lastMsgOrder);
  }
  return msg._order;
}
function markUnsaved(msg) {
  if (!(msg instanceof MsgModel)) return;
  msgOrder(msg);
  unsavedMsgs.set(msg.id._serialized, msg);
  if (!msgFlushTimer) msgFlushTimer = setTimeout(flushMsgs, 0);
}
/** Writes what is unsaved now; resolves once it is stored (or failed, which is reported). */
function flushMsgs() {
  clearTimeout(msgFlushTimer);
  msgFlushTimer = null;
  var batch = Array.from(unsavedMsgs.values());
  unsavedMsgs.clear();
  if (batch.length === 0) return msgFlushing;
  msgFlushing = msgDb().then(function (db) {
    return new Promise(function (resolve, reject) {
      var tx = db.transaction('msgs', 'readwrite');
      var store = tx.objectStore('msgs');
      for (var msg of batch) {
        try {
          var record = { k: msg.id._serialized, c: msg.id.remote._serialized, o: msgOrder(msg), m: msg.serialize() };
          try { store.put(record); } catch (_) { store.put(JSON.parse(JSON.stringify(record))); }
        } catch (e) {
          report('warn', 'could not store message ' + msg.id._serialized + ': ' + describe(e));
        }
      }
      tx.oncomplete = function () { resolve(); };
      tx.onerror = tx.onabort = function () { reject(tx.error || new Error('saving messages failed')); };
    });
  }).catch(function (e) { report('warn', 'saving ' + batch.length + ' messages failed: ' + describe(e)); });
  return msgFlushing;
}
function forgetStoredMsg(msg) {
  if (!(msg instanceof MsgModel)) return;
  unsavedMsgs.delete(msg.id._serialized);
  msgDb().then(function (db) { db.transaction('msgs', 'readwrite').objectStore('msgs').delete(msg.id._serialized); })
    .catch(function (e) { report('warn', 'could not delete a stored message: ' + describe(e)); });
}
// every add, change and deletion passes through the collection's trigger (an unload is silent: the message stays
// stored); a listener would tell the bridge that whatsapp-web.js listens
var msgTrigger = Msg.trigger;
hidden(Msg, 'trigger', function (name, model) {
  if (name === 'add' || name === 'change') markUnsaved(model);
  if (name === 'remove') forgetStoredMsg(model);
  return msgTrigger.apply(this, arguments);
});

/** A stored message as a model again; loaded, not new (whatsapp-web.js reports only new ones as received). */
function storedMsgModel(record) {
  var msg = Msg.get(record.k);
  if (msg) return msg;
  msg = new MsgModel(Object.assign({}, record.m, { isNewMsg: false }));
  hidden(msg, '_order', record.o);
  return msg;
}
function readMsgs(read) {
  return msgDb().then(function (db) {
    return new Promise(function (resolve, reject) {
      var tx = db.transaction('msgs', 'readonly');
      var found = [];
      read(tx.objectStore('msgs'), found);
      tx.oncomplete = function () { resolve(found); };
      tx.onerror = tx.onabort = function () { reject(tx.error || new Error('reading messages failed')); };
    });
  });
}
async function loadStoredMsgs(keys) {
  var pending = keys.map(function (key) { return unsavedMsgs.get(key); }).filter(Boolean);
  if (pending.length) Msg.add(pending);
  keys = keys.filter(function (key) { return !Msg.has(key); });
  if (!keys.length) return pending;
  var records = await readMsgs(function (store, found) {
    for (var key of keys) {
      store.get(key).onsuccess = function (e) { if (e.target.result) found.push(e.target.result); };
    }
  });
  var models = records.map(storedMsgModel);
  Msg.add(models);
  return pending.concat(models);
}
/** Whether this device already has the message, loaded or not (the phone repeats what it saw no receipt for). */
async function hasMsg(key) {
  var k = Msg._key(key);
  if (Msg.has(k) || unsavedMsgs.has(k)) return true;
  var found = await readMsgs(function (store, out) {
    store.count(k).onsuccess = function (e) { if (e.target.result > 0) out.push(true); };
  });
  return found.length > 0;
}
hidden(Msg, 'getMessagesById', async function (ids) {
  var keys = (ids || []).map(function (id) { return Msg._key(id); });
  var missing = keys.filter(function (key) { return !Msg.has(key); });
  if (missing.length) await loadStoredMsgs(missing);
  return { messages: keys.map(function (key) { return Msg.get(key); }).filter(Boolean) };
});
async function findMsg(id) {
  var msg = Msg.get(id) || (await Msg.getMessagesById([id])).messages[0];
  if (!msg) throw new Error('no message ' + Msg._key(id) + ' on this device');
  return msg;
}

/** The chat's messages before the oldest one its model holds, oldest first, back in the models. */
async function loadEarlierMsgs(args) {
  var chat = args && args.chat;
  if (!chat) return [];
  var oldest = chat.msgs.getModelsArray()[0];
  var chatKey = chat.id._serialized;
  var records = await readMsgs(function (store, found) {
    var range = IDBKeyRange.bound([chatKey, -Infinity], [chatKey, oldest ? msgOrder(oldest) : Infinity], false, true);
    store.index('chat').openCursor(range, 'prev').onsuccess = function (e) {
      var cursor = e.target.result;
      if (!cursor || found.length >= EARLIER_BATCH) return;
      found.push(cursor.value);
      cursor.continue();
    };
  });
  var earlier = records.reverse().map(storedMsgModel);
  Msg.add(earlier);
  var held = chat.msgs._models;
  hidden(chat.msgs, '_models', new Map());
  chat.msgs.add(earlier);
  for (var entry of held) chat.msgs._models.set(entry[0], entry[1]);
  return earlier;
}
MODULES.WAWebChatLoadMessages = { loadEarlierMsgs: loadEarlierMsgs };
`;
