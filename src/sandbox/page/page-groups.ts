import { GROUP_PAGE_PATHS } from '../sandbox-group-protocol.js';

/**
 * Page-side JavaScript: the group modules whatsapp-web.js 1.34.7 asks `window.require` for in
 * Client.createGroup, GroupChat (add/remove/promote/demote participants, subject, description, invite
 * code, leave) and WWebJS.getChatModel (group metadata), plus the group notifications (`gp2` messages)
 * its Msg 'add' listener turns into group_join / group_leave. WhatsApp's servers are played by the phone
 * (sandbox-groups.ts): each request goes there, and the page applies the group state it answers.
 * Loaded after PAGE_MODULES_JS; uses its models and the bridge's postToServer, report, describe, lidOf.
 * Rules: no backticks, no "${".
 */
export const PAGE_GROUPS_JS =
  'var GROUP_PATHS = ' +
  JSON.stringify(GROUP_PAGE_PATHS) +
  ';' +
  String.raw`
/** Linked ids the page has handed out, to their phone-number ids (WhatsApp keeps this mapping per contact). */
var lidToPn = new Map();
function pnOf(id) {
  var wid = createWid(id);
  if (!wid.isLid()) return wid;
  if (meLid && meLid.equals(wid)) return me;
  var pn = lidToPn.get(wid._serialized);
  return pn ? createWid(pn) : null;
}
function lidFor(id) {
  var wid = createWid(id);
  if (wid.isLid()) return wid;
  if (!wid.isUser()) return null;
  if (me && me.equals(wid)) return meLid;
  var lid = createWid(lidOf(wid.user) + '@lid');
  lidToPn.set(lid._serialized, wid._serialized);
  return lid;
}
function pnSerialized(id) {
  var pn = pnOf(id);
  if (!pn) throw new Error('sandbox: no phone number known for ' + createWid(id)._serialized);
  return pn._serialized;
}

class GroupParticipantModel extends Model {
  constructor(attrs) {
    super(Object.assign({ isAdmin: false, isSuperAdmin: false }, attrs));
    this.id = createWid(this.id);
  }
}
class GroupParticipantCollection extends Collection {
  constructor() { super(GroupParticipantModel, { owner: false }); }
  serialize() { return this.getModelsArray().map(function (p) { return p.serialize(); }); }
}
class GroupMetadataModel extends Model {
  constructor(attrs) {
    super(Object.assign({ subject: '', desc: '', descId: '', creation: 0, restrict: false, announce: false, size: 0 }, attrs));
    this.id = createWid(this.id);
    hidden(this, 'participants', new GroupParticipantCollection());
  }
  serialize() {
    var out = Model.prototype.serialize.call(this);
    out.participants = this.participants.serialize();
    return out;
  }
}
var GroupMetadata = new Collection(GroupMetadataModel);
/** The page keeps every group current from what the phone answers, so there is nothing to fetch here. */
GroupMetadata.update = async function (wid) { return GroupMetadata.get(wid); };
MODULES.WAWebCollections.GroupMetadata = GroupMetadata;

ChatModel.prototype.iAmAdmin = function () {
  var meta = this.groupMetadata;
  if (!meta || !me) return false;
  var mine = meta.participants.get(me) || (meLid && meta.participants.get(meLid));
  return !!mine && (mine.isAdmin || mine.isSuperAdmin);
};

/** Makes the page's group chat and metadata match the phone's state of the group. */
function applyGroupState(g) {
  var wid = createWid(g.id);
  var meta = GroupMetadata.get(wid) || GroupMetadata.add(new GroupMetadataModel({ id: wid }));
  meta.set({ owner: createWid(g.owner), subject: g.subject, desc: g.description, descId: g.descId, creation: g.creation,
    size: g.participants.length });
  var keep = new Set();
  g.participants.forEach(function (p) {
    var id = createWid(p.id);
    lidFor(id);
    keep.add(id._serialized);
    var attrs = { isAdmin: p.admin !== null, isSuperAdmin: p.admin === 'superadmin' };
    var existing = meta.participants.get(id);
    if (existing) existing.set(attrs);
    else meta.participants.add(new GroupParticipantModel(Object.assign({ id: id }, attrs)));
  });
  meta.participants.getModelsArray().forEach(function (p) {
    if (!keep.has(p.id._serialized)) meta.participants.remove(p);
  });
  var chat = Chat.get(wid);
  if (!chat) {
    chat = new ChatModel({ id: wid, t: g.creation, name: g.subject });
    hidden(chat, 'groupMetadata', meta);
    Chat.add(chat);
  } else {
    if (!chat.groupMetadata) hidden(chat, 'groupMetadata', meta);
    chat.set('name', g.subject);
  }
  return chat;
}

/** A group notification arrives as a gp2 message, as on WhatsApp Web. */
function addGroupNotification(chat, n) {
  var author = createWid(n.author);
  var key = new MsgKey({ fromMe: false, remote: chat.id, id: n.id, participant: author });
  if (Msg.get(key)) return;
  var msg = new MsgModel({ id: key, type: 'gp2', subtype: n.subtype, body: n.body, t: n.t, from: chat.id, to: me,
    author: author, recipients: n.recipients.map(createWid), self: 'in', ack: 1, isNewMsg: true, local: false });
  Msg.add(msg);
  chat.msgs.add(msg);
  chat.lastReceivedKey = key;
  chat.set('t', n.t);
}

function applyGroupUpdate(update) {
  var chat = applyGroupState(update.group);
  (update.notifications || []).forEach(function (n) { addGroupNotification(chat, n); });
  return chat;
}
/** SSE 'group': the phone (or another admin) changed a group. */
function applyGroupEvent(d) { applyGroupUpdate(d); }

/** Asks the phone; a refusal becomes the ServerStatusCodeError WhatsApp Web's jobs throw. */
async function askPhone(path, body) {
  try {
    return await postToServer(path, body);
  } catch (e) {
    var error = new Error(describe(e));
    error.name = 'ServerStatusCodeError';
    var match = /answered (\d+)/.exec(error.message);
    error.statusCode = match ? Number(match[1]) : 500;
    throw error;
  }
}

async function loadGroupsFromPhone() {
  try {
    var reply = await postToServer(GROUP_PATHS.groupsList, {});
    reply.groups.forEach(applyGroupState);
  } catch (e) {
    report('warn', 'loading the groups from the phone failed: ' + describe(e));
  }
}
Socket.on('change:state', function (_model, state) {
  if (state === 'CONNECTED' && me) loadGroupsFromPhone();
});

async function modifyParticipants(chat, action, participants) {
  var ids = (participants || []).map(function (p) { return pnSerialized(p.id); });
  if (ids.length === 0) return;
  applyGroupUpdate(await askPhone(GROUP_PATHS.groupsParticipants, { groupId: chat.id._serialized, action: action, ids: ids }));
}

var directoryQueryWidExists = MODULES.WAWebQueryExistsJob.queryWidExists;
Object.assign(MODULES, {
  WAWebQueryExistsJob: { queryWidExists: async function (id) {
    var pn = pnOf(id);
    if (!pn || !pn.isUser()) return null;
    // whether the number has an account is the phone's directory's answer (page-contacts.ts)
    var found = await directoryQueryWidExists(pn);
    return found ? { wid: found.wid, lid: lidFor(found.wid), biz: false } : null;
  } },
  WAWebApiContact: Object.assign({}, MODULES.WAWebApiContact, {
    getPhoneNumber: function (id) { return pnOf(id); },
    getCurrentLid: function (id) { return lidFor(id); },
  }),
  WAWebLidMigrationUtils: { toPn: function (id) { return pnOf(id); } },
  WAWebWidToJid: {
    widToGroupJid: function (id) { return createWid(id)._serialized; },
    widToUserJid: function (id) { return createWid(id).toJid(); },
  },
  WAWebGroupCreateJob: { createGroup: async function (options, participants) {
    var reply = await askPhone(GROUP_PATHS.groupsCreate, { subject: String(options.title),
      participants: (participants || []).map(function (p) { return pnSerialized(p.phoneNumber); }) });
    var chat = applyGroupUpdate(reply);
    return {
      wid: chat.id,
      subject: reply.group.subject,
      // addressingModeOverride 'lid': WhatsApp answers with linked ids, the library maps them back to numbers
      participants: reply.results.map(function (r) {
        return { wid: lidFor(r.id), error: r.code === 200 ? undefined : r.code, type: 'participant' };
      }),
    };
  } },
  WAWebGroupQueryJob: { queryAndUpdateGroupMetadataById: async function (args) {
    var reply = await askPhone(GROUP_PATHS.groupsList, {});
    var id = createWid(args.id)._serialized;
    reply.groups.forEach(function (g) { if (g.id === id) applyGroupState(g); });
  } },
  WASmaxGroupsAddParticipantsRPC: { sendAddParticipantsRPC: async function (args) {
    var groupId = createWid(args.iqTo)._serialized;
    var ids = args.participantArgs.map(function (a) { return createWid(a.participantJid)._serialized; });
    var reply = await askPhone(GROUP_PATHS.groupsParticipants, { groupId: groupId, action: 'add', ids: ids });
    applyGroupUpdate(reply);
    return { name: 'AddParticipantsResponseSuccess', value: { addParticipant: reply.results.map(function (r) {
      return { addParticipantsParticipantAddedOrNonRegisteredWaUserParticipantErrorLidResponseMixinGroup: { value: {
        addParticipantsParticipantMixins: r.code === 200
          ? { name: 'ParticipantAdded', value: {} }
          : { name: 'ParticipantNotAdded', value: { error: String(r.code) } },
      } } };
    }) } };
  } },
  WAWebModifyParticipantsGroupAction: {
    removeParticipants: function (chat, participants) { return modifyParticipants(chat, 'remove', participants); },
    promoteParticipants: function (chat, participants) { return modifyParticipants(chat, 'promote', participants); },
    demoteParticipants: function (chat, participants) { return modifyParticipants(chat, 'demote', participants); },
  },
  WAWebGroupModifyInfoJob: {
    setGroupSubject: async function (wid, subject) {
      applyGroupUpdate(await askPhone(GROUP_PATHS.groupsInfo, { groupId: createWid(wid)._serialized, subject: String(subject) }));
    },
    setGroupDescription: async function (wid, description, newId, _previousId) {
      applyGroupUpdate(await askPhone(GROUP_PATHS.groupsInfo, { groupId: createWid(wid)._serialized,
        description: String(description), descId: String(newId) }));
    },
  },
  WAWebMexFetchGroupInviteCodeJob: { fetchMexGroupInviteCode: async function (groupId) {
    var reply = await askPhone(GROUP_PATHS.groupsInvite, { groupId: createWid(groupId)._serialized });
    return reply.code;
  } },
  WAWebExitGroupAction: { sendExitGroup: async function (chat) {
    applyGroupUpdate(await askPhone(GROUP_PATHS.groupsLeave, { groupId: chat.id._serialized }));
  } },
});
`;
