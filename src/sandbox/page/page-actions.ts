/**
 * Page-side JavaScript: what whatsapp-web.js 1.34.7 calls to react to, edit, revoke and delete messages and to
 * send read receipts and chat states (Client.sendReaction, Message.edit/delete, Chat.sendStateTyping...), and
 * how the contacts' reactions, edits, revokes and acks reach the models it listens to. Runs after
 * page-modules.ts; page-bridge.ts answers the phone's events with the apply* functions. No backticks, no "${".
 */
export const PAGE_ACTIONS_JS = String.raw`
function reportAction(kind, target, value) {
  return postToServer('/sandbox/action', { kind: kind, target: target, value: value, t: nowSeconds() });
}
/** The table WhatsApp Web keeps reactions in; whatsapp-web.js wraps bulkUpsert to report them. */
var reactionTableMode = { bulkUpsert: function (reactions) { return reactions; } };
function newReaction(msg, sender, emoji) {
  return {
    id: new MsgKey({ fromMe: !!me && me.equals(sender), remote: msg.id.remote, id: randomHex(10).toUpperCase() }),
    reactionParentKey: msg.id, reactionText: emoji, reactionTimestamp: Date.now(),
    from: sender, author: msg.id.remote.isGroup() ? sender : undefined, orphan: 0, read: false, ack: 1,
  };
}
function revokeMsg(msg) {
  // the type first: a body change on a revoked message is not an edit
  msg.set('type', 'revoked');
  msg.set('body', '');
}

async function applyPhoneReaction(d) {
  reactionTableMode.bulkUpsert([newReaction(await findMsg(d.messageId), createWid(d.from), d.emoji)]);
}
async function applyPhoneEdit(d) {
  var msg = await findMsg(d.messageId);
  msg.set({ latestEditSenderTimestampMs: Date.now() });
  msg.set('body', d.body);
}
async function applyPhoneRevoke(d) { revokeMsg(await findMsg(d.messageId)); }
async function applyPhoneAck(d) { (await findMsg(d.messageId)).set('ack', d.ack); }

function chatStateSender(state) {
  return async function (wid) { await reportAction('presence', createWid(wid)._serialized, state); };
}
function msgsOf(what) { return Array.isArray(what) ? what : (what && what.list) || []; }

MODULES.WAWebAddonReactionTableMode = { reactionTableMode: reactionTableMode };
Object.assign(MODULES, {
  WAWebSendReactionMsgAction: {
    sendReactionToMsg: async function (msg, reaction) {
      var emoji = String(reaction || '');
      await reportAction('reaction', msg.id._serialized, emoji);
      // WhatsApp Web keeps its own reactions in the same table as everyone else's
      reactionTableMode.bulkUpsert([newReaction(msg, me, emoji)]);
      return { messageSendResult: 'OK' };
    },
  },
  WAWebSendMessageEditAction: {
    sendMessageEdit: async function (msg, content) {
      await reportAction('edit', msg.id._serialized, String(content));
      msg.set({ latestEditSenderTimestampMs: Date.now() });
      msg.set('body', String(content));
    },
  },
  WAWebMsgActionCapability: {
    canSenderRevokeMsg: function (msg) { return !!msg.id.fromMe && msg.type !== 'revoked'; },
    canAdminRevokeMsg: function () { return false; },
    canEditText: function (msg) { return !!msg.id.fromMe && msg.type === 'chat'; },
    canEditCaption: function (msg) { return !!msg.id.fromMe && !!msg.caption && msg.type !== 'revoked'; },
  },
  WAWebChatStateBridge: {
    sendChatStateComposing: chatStateSender('typing'),
    sendChatStateRecording: chatStateSender('recording'),
    sendChatStatePaused: chatStateSender('paused'),
  },
});
Object.assign(Cmd, {
  sendRevokeMsgs: async function (chat, what) {
    for (var msg of msgsOf(what)) {
      await reportAction('revoke', msg.id._serialized);
      revokeMsg(msg);
    }
  },
  sendDeleteMsgs: async function (chat, what) {
    for (var msg of msgsOf(what)) {
      await reportAction('delete', msg.id._serialized);
      chat.msgs.remove(msg);
      Msg.remove(msg);
    }
  },
});
// read receipts reach the phone as an action too
var sandboxSendSeen = MODULES.WAWebUpdateUnreadChatAction.sendSeen;
MODULES.WAWebUpdateUnreadChatAction.sendSeen = async function (args) {
  await sandboxSendSeen(args);
  if (args && args.chat) await reportAction('seen', args.chat.id._serialized);
};
`;
