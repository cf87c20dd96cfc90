/**
 * Page-side JavaScript: the phone's address book as WhatsApp Web keeps it, and the modules whatsapp-web.js 1.34.7
 * calls for contacts, number lookups and profile pictures (Client.getContacts, getContactById, getNumberId,
 * getProfilePicUrl; WWebJS.getContactModel). Runs after page-modules.ts (MODULES, Contact, ensureContact) and
 * before page-bridge.ts, which calls syncAddressBook() once linked. Rules: no backticks, no "${".
 */
export const PAGE_CONTACTS_JS = String.raw`
var addressBook = [];

function applyAddressBook(list) {
  addressBook = Array.isArray(list) ? list : [];
  addressBook.forEach(function (entry) {
    ensureContact(entry.phone + '@c.us').set({
      name: entry.name, isMyContact: true, isWAContact: entry.onWhatsApp !== false, isBusiness: !!entry.business,
    });
  });
}
/** WhatsApp Web syncs the address book from the phone once linked. */
async function syncAddressBook() {
  var reply = await postToServer('/sandbox/contacts', {});
  applyAddressBook(reply.contacts);
}
function addressBookEntry(wid) {
  var user = createWid(wid).user;
  return addressBook.find(function (entry) { return entry.phone === user; });
}
function serverStatusError(code) {
  var error = new Error('server answered ' + code);
  error.name = 'ServerStatusCodeError';
  error.statusCode = code;
  return error;
}

// WhatsApp Web's Contact.find makes a model for any id it is asked about (a number it never saw included)
Contact.find = async function (wid) { return ensureContact(wid); };

Object.assign(MODULES.WAWebWidFactory, {
  createWidFromWidLike: function (widLike) { return createWid(widLike && widLike._serialized ? widLike._serialized : widLike); },
});
Object.assign(MODULES.WAWebCollections, {
  Blocklist: new Collection(Model),
  BusinessProfile: {
    find: async function (wid) {
      var entry = addressBookEntry(wid);
      if (!entry || !entry.business) throw serverStatusError(404);
      return new Model({ id: createWid(wid), profileOptions: { commerceExperience: 'none', cartEnabled: false },
        description: entry.name + ' (sandbox business)', categories: [] });
    },
  },
});
Object.assign(MODULES, {
  WAWebApiContact: { getAlternateUserWid: function () { return null; } },
  WAWebContactGetters: {
    getIsMe: function (contact) { return !!me && me.equals(contact.id); },
    getIsUser: function (contact) { return contact.id.isUser(); },
    getIsGroup: function (contact) { return contact.id.isGroup(); },
    getIsWAContact: function (contact) { return contact.isWAContact !== false; },
    getUserid: function (contact) { return contact.id.user; },
    getVerifiedName: function (contact) { return contact.isBusiness ? contact.name : undefined; },
    getVerifiedLevel: function (contact) { return contact.isBusiness ? 0 : undefined; },
    getStatusMute: function () { return false; },
    getName: function (contact) { return contact.name; },
    getShortName: function (contact) { return contact.name ? String(contact.name).split(' ')[0] : undefined; },
    getPushname: function (contact) { return contact.pushname; },
    getIsEnterprise: function (contact) { return !!contact.isEnterprise; },
  },
  WAWebFrontendContactGetters: { getIsMyContact: function (contact) { return !!contact.isMyContact; } },
  WAWebFrontendVcardUtils: {
    vcardFromContactModel: function (contact) {
      var name = contact.name || contact.pushname || '+' + contact.id.user;
      return { displayName: name, vcard: ['BEGIN:VCARD', 'VERSION:3.0', 'N:;' + name + ';;;', 'FN:' + name,
        'TEL;type=CELL;type=VOICE;waid=' + contact.id.user + ':+' + contact.id.user, 'END:VCARD'].join('\n') };
    },
  },
  WAWebQueryExistsJob: {
    queryWidExists: async function (wid) {
      var reply = await postToServer('/sandbox/query-exists', { id: wid._serialized });
      return reply.exists ? { wid: createWid(reply.id) } : null;
    },
  },
  WAWebContactProfilePicThumbBridge: {
    requestProfilePicFromServer: async function (chat) {
      var entry = addressBookEntry(chat.id);
      if (!entry || !entry.picture) throw serverStatusError(404);
      return { eurl: 'https://pps.whatsapp.net/v/t61.24694-24/sandbox-' + entry.phone + '.jpg', tag: 'sandbox' };
    },
  },
});
`;
