import { EventEmitter } from 'node:events';
import type {
  WaChat,
  WaClient,
  WaClientEventName,
  WaClientEvents,
  WaClientFactory,
  WaClientOptions,
  WaContact,
  WaLocation,
  WaMediaDownload,
  WaPoll,
  WaMediaInput,
  WaMessage,
  WaSendMediaOptions,
  PageMessageLimits,
} from '../../src/wa/wa-client.js';
import type { WaGroup } from '../../src/wa/wa-groups.js';

/** A WaClient the test drives by hand: emit('qr'), emit('ready'), crash()... Records what the core asked of it. */
export class FakeWaClient implements WaClient {
  private readonly emitter = new EventEmitter();
  initializeCalls = 0;
  destroyed = false;
  loggedOut = false;
  readonly sent: { chatId: string; content: string }[] = [];
  readonly sentMedia: { chatId: string; media: WaMediaInput; options: WaSendMediaOptions }[] = [];
  /** What downloadMedia answers, by message id (no-message for the others). */
  readonly downloads = new Map<string, WaMediaDownload>();
  initializeResult: Promise<void> = Promise.resolve();
  /** What destroy() waits for before it resolves (a browser slow to close). */
  destroyResult: Promise<void> = Promise.resolve();
  destroyCalls = 0;

  constructor(
    readonly options: WaClientOptions,
    private readonly pid: number,
  ) {}

  async initialize(): Promise<void> {
    this.initializeCalls++;
    return this.initializeResult;
  }

  async destroy(): Promise<void> {
    this.destroyCalls++;
    await this.destroyResult;
    this.destroyed = true;
  }

  async logout(): Promise<void> {
    this.loggedOut = true;
  }

  async sendLocation(chatId: string, location: WaLocation): Promise<WaMessage> {
    return this.sendText(chatId, `location ${location.latitude},${location.longitude}`);
  }

  async sendContacts(chatId: string, contactIds: string[]): Promise<WaMessage> {
    return this.sendText(chatId, `contacts ${contactIds.join(',')}`);
  }

  async sendPoll(chatId: string, poll: WaPoll): Promise<WaMessage> {
    return this.sendText(chatId, `poll ${poll.name}`);
  }

  async sendText(chatId: string, content: string): Promise<WaMessage> {
    this.sent.push({ chatId, content });
    return { id: `true_${chatId}_${this.sent.length}`, chatId, from: 'me@c.us', to: chatId, body: content, type: 'text', timestamp: 1, fromMe: true, hasMedia: false };
  }

  async sendMedia(chatId: string, media: WaMediaInput, options: WaSendMediaOptions): Promise<WaMessage> {
    this.sentMedia.push({ chatId, media, options });
    const type = options.asDocument ? 'document' : options.asVoice ? 'voice' : (media.mimetype.split('/')[0] as 'image' | 'audio' | 'video');
    return {
      id: `true_${chatId}_m${this.sentMedia.length}`, chatId, from: 'me@c.us', to: chatId, body: options.caption ?? '', type,
      timestamp: 1, fromMe: true, hasMedia: true, caption: options.caption, mimetype: media.mimetype, filename: media.filename,
      size: media.data.length,
    };
  }

  async downloadMedia(messageId: string): Promise<WaMediaDownload> {
    return this.downloads.get(messageId) ?? { kind: 'no-message' };
  }

  /** The limits each unloadOldMessages call asked for; it answers unloadedPerCall. */
  readonly unloadCalls: PageMessageLimits[] = [];
  unloadedPerCall = 0;
  async unloadOldMessages(limits: PageMessageLimits): Promise<number> {
    this.unloadCalls.push(limits);
    return this.unloadedPerCall;
  }

  /** While true, ping never answers (a hung page); pings counts every call. */
  hung = false;
  pings = 0;
  async ping(): Promise<void> {
    this.pings += 1;
    if (this.hung) await new Promise<never>(() => {});
  }

  chats: WaChat[] = [];
  contacts: WaContact[] = [];
  /** Numbers the fake says have a WhatsApp account. */
  readonly onWhatsApp = new Set<string>();

  readonly actions: string[] = [];

  async react(messageId: string, emoji: string): Promise<boolean> {
    this.actions.push(`react ${messageId} ${emoji}`);
    return true;
  }

  async editMessage(messageId: string, content: string): Promise<WaMessage | 'not-editable' | 'not-found'> {
    this.actions.push(`edit ${messageId} ${content}`);
    return 'not-found';
  }

  async deleteMessage(messageId: string, forEveryone: boolean): Promise<'revoked' | 'deleted-here' | 'not-found'> {
    this.actions.push(`delete ${messageId} ${forEveryone}`);
    return forEveryone ? 'revoked' : 'deleted-here';
  }

  async markSeen(chatId: string): Promise<void> {
    this.actions.push(`seen ${chatId}`);
  }

  async setPresence(chatId: string, state: string): Promise<void> {
    this.actions.push(`presence ${chatId} ${state}`);
  }

  async chatHistory(chatId: string, limit: number): Promise<WaMessage[]> {
    return (await Promise.all(this.sent.filter((entry) => entry.chatId === chatId).map((entry) => this.sendText(entry.chatId, entry.content)))).slice(-limit);
  }

  async listContacts(): Promise<WaContact[]> {
    return this.contacts;
  }

  async getContact(contactId: string): Promise<WaContact> {
    const contact = this.contacts.find((entry) => entry.id === contactId);
    if (!contact) throw new Error(`no contact ${contactId}`);
    return contact;
  }

  async lookupNumber(phone: string): Promise<string | undefined> {
    return this.onWhatsApp.has(phone) ? `${phone}@c.us` : undefined;
  }

  async listChats(): Promise<WaChat[]> {
    return this.chats;
  }

  readonly pairingCodeRequests: string[] = [];

  async requestPairingCode(phone: string): Promise<string> {
    this.pairingCodeRequests.push(phone);
    return 'ABCD1234';
  }

  /** Groups by id; the group commands work on these (the fake is always an admin). */
  readonly groups = new Map<string, WaGroup>();

  async createGroup(name: string, participantIds: string[]) {
    const id = `1203630000000000${this.groups.size}@g.us`;
    const participants = participantIds.map((p) => ({ id: p, isAdmin: false, isSuperAdmin: false }));
    this.groups.set(id, { id, subject: name, description: '', participants: [{ id: 'me@c.us', isAdmin: true, isSuperAdmin: true }, ...participants] });
    return { id, subject: name, participants: participantIds.map((p) => ({ id: p, ok: true, code: 200, message: 'added' })) };
  }

  async getGroups() {
    return [...this.groups.values()];
  }

  async getGroup(groupId: string) {
    return this.groups.get(groupId);
  }

  async changeGroupParticipants(groupId: string, _action: string, participantIds: string[]) {
    const group = this.requireGroup(groupId);
    return { results: participantIds.map((id) => ({ id, ok: true, code: 200, message: 'done' })), group };
  }

  async updateGroup(groupId: string, changes: { subject?: string; description?: string }) {
    const group = this.requireGroup(groupId);
    Object.assign(group, changes.subject === undefined ? {} : { subject: changes.subject }, changes.description === undefined ? {} : { description: changes.description });
    return group;
  }

  async getGroupInviteCode(groupId: string) {
    this.requireGroup(groupId);
    return 'FakeInviteCode';
  }

  async leaveGroup(groupId: string) {
    this.requireGroup(groupId);
  }

  private requireGroup(groupId: string): WaGroup {
    const group = this.groups.get(groupId);
    if (!group) throw new Error(`fake: no group ${groupId}`);
    return group;
  }

  browserPid(): number | undefined {
    return this.pid;
  }

  on<E extends WaClientEventName>(event: E, listener: (...args: WaClientEvents[E]) => void): void {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
  }

  emit<E extends WaClientEventName>(event: E, ...args: WaClientEvents[E]): void {
    this.emitter.emit(event, ...args);
  }
}

/** Hands out FakeWaClients and keeps them, newest last, so a test can drive the one the core created. */
export class FakeWaClientFactory {
  readonly clients: FakeWaClient[] = [];
  private nextPid = 40_000;
  /** Runs on every new client before the core sees it (e.g. make initialize() fail). */
  onCreate: (client: FakeWaClient) => void = () => {};
  /** While set, building a client waits for it (the sandbox endpoint being prepared, say). */
  gate: Promise<void> | undefined;
  /** Clients being built right now. */
  building = 0;

  readonly create: WaClientFactory = async (options) => {
    this.building++;
    await this.gate;
    this.building--;
    const client = new FakeWaClient(options, this.nextPid++);
    this.onCreate(client);
    this.clients.push(client);
    return client;
  };

  latest(): FakeWaClient {
    const client = this.clients.at(-1);
    if (!client) throw new Error('no client was created');
    return client;
  }
}
