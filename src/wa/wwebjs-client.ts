import { EventEmitter } from 'node:events';
import wwebjs from 'whatsapp-web.js';
import type { Contact } from 'whatsapp-web.js';
import { BASE_CHROMIUM_ARGS, LEAN_CHROMIUM_ARGS, LOW_END_CHROMIUM_ARGS } from '../browser/chromium.js';
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type {
  WaChat,
  WaClient,
  WaClientEventName,
  WaClientEvents,
  WaClientOptions,
  WaContact,
  WaLocation,
  WaMediaDownload,
  WaPoll,
  WaSendOptions,
  WaMediaInput,
  WaMessage,
  WaSendMediaOptions,
  PageMessageLimits,
} from './wa-client.js';
import type { WaGroupCommands } from './wa-groups.js';
import { forwardLibraryEvents } from './wwebjs-events.js';
import { WwebjsGroups } from './wwebjs-groups.js';
import { downloadMedia, sendMedia, toWaMessage } from './wwebjs-media.js';
import { unloadOldMessages } from './wwebjs-page-memory.js';
import { ProxyForwarder } from '../browser/proxy-forwarder.js';
import { sendContacts, sendLocation, sendPoll, sendText } from './wwebjs-sending.js';

const { Client, DefaultOptions, LocalAuth } = wwebjs;
type LibraryClient = InstanceType<typeof Client>;

/** LocalAuth that says when the browser has been launched: the library sets pupBrowser just before this hook. */
class LaunchReportingLocalAuth extends LocalAuth {
  constructor(
    options: { clientId: string; dataPath: string },
    private readonly onBrowserLaunched: () => Promise<void>,
  ) {
    super(options);
  }

  // the library's typings declare the hook as a property, so it is overridden as one
  override afterBrowserInitialized = async (): Promise<void> => {
    await this.onBrowserLaunched();
    await LocalAuth.prototype.afterBrowserInitialized.call(this);
  };
}

export interface WwebjsFactorySettings {
  executablePath: string;
  webVersionCache: 'none' | 'local';
  /** Adds LEAN_CHROMIUM_ARGS (--lean-chromium). */
  leanChromium: boolean;
  /** Adds LOW_END_CHROMIUM_ARGS (--chromium-low-end-mode). */
  chromiumLowEndMode: boolean;
  logger: Logger;
  /** Extra flags a session needs for where it connects to (the sandbox points web.whatsapp.com at itself). */
  connectionArgs: (options: WaClientOptions) => Promise<string[]>;
}

function needsNetworkEvents(settings: WwebjsFactorySettings): boolean {
  return settings.webVersionCache !== 'none';
}

/** The only place that knows whatsapp-web.js and puppeteer (loaded through wwebjs-factory.ts). */
export async function createWwebjsClient(options: WaClientOptions, settings: WwebjsFactorySettings): Promise<WaClient> {
  const processModel = settings.leanChromium ? LEAN_CHROMIUM_ARGS : [];
  const memoryModel = settings.chromiumLowEndMode ? LOW_END_CHROMIUM_ARGS : [];
  const baseArgs = [...BASE_CHROMIUM_ARGS, ...processModel, ...memoryModel, ...(await settings.connectionArgs(options))];
  // a proxy with credentials is reached through a local forwarder that holds them: Chromium cannot send them to SOCKS
  const forwarder = options.proxy?.username !== undefined ? await ProxyForwarder.start(options.proxy) : undefined;
  if (options.proxy) baseArgs.push(`--proxy-server=${forwarder ? forwarder.url : directProxyUrl(options.proxy)}`);
  try {
    return new WwebjsClient(options, baseArgs, settings, forwarder);
  } catch (error) {
    await forwarder?.close();
    throw error;
  }
}

/** A proxy Chromium reaches by itself (no credentials); its SOCKS5 resolves names on the proxy, as socks5h does. */
function directProxyUrl(proxy: NonNullable<WaClientOptions['proxy']>): string {
  return `${proxy.protocol === 'socks5h' ? 'socks5' : proxy.protocol}://${proxy.address}`;
}

class WwebjsClient implements WaClient {
  private readonly client: LibraryClient;
  private readonly emitter = new EventEmitter();
  private readonly groups: WaGroupCommands;
  private closing = false;
  /** Set once initialize() began: from then on a browser may appear, and destroy() must wait to see it. */
  private launchSettled: Promise<void> | undefined;
  private reportLaunchSettled: () => void = () => {};

  constructor(
    options: WaClientOptions,
    baseArgs: string[],
    settings: WwebjsFactorySettings,
    private readonly forwarder: ProxyForwarder | undefined,
  ) {
    const args = [...baseArgs, ...options.chromiumArgs];
    const networkEvents = needsNetworkEvents(settings);
    this.client = new Client({
      authStrategy: new LaunchReportingLocalAuth({ clientId: options.sessionId, dataPath: options.profileParent }, () =>
        this.browserLaunched(networkEvents),
      ),
      authTimeoutMs: options.authTimeoutMs,
      qrMaxRetries: options.qrMaxRetries,
      webVersionCache: { type: settings.webVersionCache },
      puppeteer: {
        executablePath: settings.executablePath,
        headless: options.headless,
        args,
        // wamux closes its browsers itself on shutdown; puppeteer's own signal handlers would race it
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
        // DevTools over the browser's stdio pipe: no debugging port on localhost that any local user could
        // drive the WhatsApp account through, and no WebSocket framing on every protocol message
        pipe: true,
        // Network events (a CDP message per request, response and WebSocket frame, each relayed by the browser
        // process) are only used by the cached web version's request interception
        networkEnabled: networkEvents,
      },
    });
    forwardLibraryEvents(this.client, (event, ...args) => this.emitter.emit(event, ...args), () => this.closing);
    this.groups = new WwebjsGroups(this.client);
  }

  createGroup: WaGroupCommands['createGroup'] = (name, participantIds) => this.groups.createGroup(name, participantIds);
  getGroups: WaGroupCommands['getGroups'] = () => this.groups.getGroups();
  getGroup: WaGroupCommands['getGroup'] = (groupId) => this.groups.getGroup(groupId);
  changeGroupParticipants: WaGroupCommands['changeGroupParticipants'] = (groupId, action, ids) =>
    this.groups.changeGroupParticipants(groupId, action, ids);
  updateGroup: WaGroupCommands['updateGroup'] = (groupId, changes) => this.groups.updateGroup(groupId, changes);
  getGroupInviteCode: WaGroupCommands['getGroupInviteCode'] = (groupId) => this.groups.getGroupInviteCode(groupId);
  leaveGroup: WaGroupCommands['leaveGroup'] = (groupId) => this.groups.leaveGroup(groupId);

  /**
   * The library's browser and page are up, before it loads WhatsApp Web. Without network events puppeteer drops
   * the library's page.setUserAgent; it is applied through Emulation instead, or the client hints would name the
   * real browser and platform while the user agent string names the library's.
   */
  private async browserLaunched(networkEvents: boolean): Promise<void> {
    this.reportLaunchSettled();
    const page = this.client.pupPage;
    const userAgent = DefaultOptions.userAgent;
    if (networkEvents || page === undefined || typeof userAgent !== 'string' || this.closing) return;
    const session = await page.createCDPSession();
    await session.send('Emulation.setUserAgentOverride', { userAgent });
  }

  async initialize(): Promise<void> {
    this.launchSettled = new Promise<void>((resolve) => {
      this.reportLaunchSettled = resolve;
    });
    try {
      // a proxy that refuses the credentials fails the start with that reason, not with the page's network error
      await this.forwarder?.check();
      await this.client.initialize();
    } finally {
      this.reportLaunchSettled();
    }
    this.watchBrowser();
  }

  /**
   * Closes the browser. A destroy() that lands while initialize() is still launching Chromium waits until the
   * launch has a browser (or failed), then closes that browser: without this, the library's destroy() finds no
   * browser yet, and the one it launches a moment later would outlive the session.
   */
  async destroy(): Promise<void> {
    this.closing = true;
    // first: a browser that never closes must not keep the forwarder (and its upstream connections) open
    await this.forwarder?.close().catch(() => undefined);
    if (this.launchSettled && !this.client.pupBrowser) await this.launchSettled;
    try {
      await this.client.destroy();
    } catch {
      // the browser may already be gone; the caller kills what is left on the profile
    }
  }

  async logout(): Promise<void> {
    this.closing = true;
    await this.client.logout();
  }

  sendText(chatId: string, content: string, options?: WaSendOptions): Promise<WaMessage> {
    return sendText(this.client, chatId, content, options);
  }

  sendLocation(chatId: string, location: WaLocation, options?: WaSendOptions): Promise<WaMessage> {
    return sendLocation(this.client, chatId, location, options);
  }

  sendContacts(chatId: string, contactIds: string[], options?: WaSendOptions): Promise<WaMessage> {
    return sendContacts(this.client, chatId, contactIds, options);
  }

  sendPoll(chatId: string, poll: WaPoll, options?: WaSendOptions): Promise<WaMessage> {
    return sendPoll(this.client, chatId, poll, options);
  }

  async listChats(): Promise<WaChat[]> {
    const chats = await this.client.getChats();
    return chats.map((chat) => ({
      id: chat.id._serialized,
      name: chat.name,
      isGroup: chat.isGroup,
      unreadCount: chat.unreadCount,
      timestamp: chat.timestamp ?? 0,
      archived: chat.archived,
      pinned: chat.pinned,
      muted: chat.isMuted,
      lastMessage: chat.lastMessage ? toWaMessage(chat.lastMessage) : undefined,
    }));
  }

  async react(messageId: string, emoji: string): Promise<boolean> {
    const message = await this.client.getMessageById(messageId);
    if (!message) return false;
    await message.react(emoji);
    return true;
  }

  async editMessage(messageId: string, content: string): Promise<WaMessage | 'not-editable' | 'not-found'> {
    const message = await this.client.getMessageById(messageId);
    if (!message) return 'not-found';
    const edited = await message.edit(content);
    return edited ? toWaMessage(edited) : 'not-editable';
  }

  async deleteMessage(messageId: string, forEveryone: boolean): Promise<'revoked' | 'deleted-here' | 'not-found'> {
    const message = await this.client.getMessageById(messageId);
    if (!message) return 'not-found';
    await message.delete(forEveryone);
    if (!forEveryone) return 'deleted-here';
    // the library falls back to deleting here when WhatsApp does not allow revoking: look at what became of it
    const after = await this.client.getMessageById(messageId);
    return after?.type === 'revoked' ? 'revoked' : 'deleted-here';
  }

  async markSeen(chatId: string): Promise<void> {
    await this.client.sendSeen(chatId);
  }

  async setPresence(chatId: string, state: 'typing' | 'recording' | 'paused'): Promise<void> {
    const chat = await this.client.getChatById(chatId);
    if (state === 'typing') await chat.sendStateTyping();
    else if (state === 'recording') await chat.sendStateRecording();
    else await chat.clearState();
  }

  async chatHistory(chatId: string, limit: number): Promise<WaMessage[]> {
    const chat = await this.client.getChatById(chatId);
    return (await chat.fetchMessages({ limit })).map(toWaMessage);
  }

  async listContacts(): Promise<WaContact[]> {
    return (await this.client.getContacts()).map(toWaContact);
  }

  async getContact(contactId: string): Promise<WaContact & { profilePicUrl?: string }> {
    const contact = toWaContact(await this.client.getContactById(contactId));
    const profilePicUrl: string | undefined = await this.client.getProfilePicUrl(contactId);
    return profilePicUrl === undefined ? contact : { ...contact, profilePicUrl };
  }

  async lookupNumber(phone: string): Promise<string | undefined> {
    const wid = await this.client.getNumberId(phone);
    return wid ? wid._serialized : undefined;
  }

  async requestPairingCode(phone: string): Promise<string> {
    return this.client.requestPairingCode(phone);
  }

  sendMedia(chatId: string, media: WaMediaInput, options: WaSendMediaOptions): Promise<WaMessage> {
    return sendMedia(this.client, chatId, media, options);
  }

  downloadMedia(messageId: string): Promise<WaMediaDownload> {
    return downloadMedia(this.client, messageId);
  }

  async unloadOldMessages(limits: PageMessageLimits): Promise<number> {
    const page = this.client.pupPage;
    return page ? unloadOldMessages(page, limits) : 0;
  }

  async ping(): Promise<void> {
    const page = this.client.pupPage;
    if (!page) throw new Error('the page is not open');
    await page.evaluate(() => true);
  }

  browserPid(): number | undefined {
    return this.client.pupBrowser?.process()?.pid;
  }

  on<E extends WaClientEventName>(event: E, listener: (...args: WaClientEvents[E]) => void): void {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
  }

  private emit<E extends WaClientEventName>(event: E, ...args: WaClientEvents[E]): void {
    this.emitter.emit(event, ...args);
  }

  /** whatsapp-web.js reports nothing when Chromium or its tab dies; the browser and page do. */
  private watchBrowser(): void {
    const browser = this.client.pupBrowser;
    const page = this.client.pupPage;
    let reported = false;
    // a tab crash fires both 'error' and 'close': report one loss per crash
    const report = (reason: string) => {
      if (this.closing || reported) return;
      reported = true;
      this.emit('crashed', reason);
    };
    browser?.on('disconnected', () => report('browser process exited'));
    page?.on('error', (error: Error) => report(`page crashed: ${describeError(error)}`));
    page?.on('close', () => report('page closed'));
    if (browser && !browser.connected) report('browser process exited');
  }
}

function toWaContact(contact: Contact): WaContact {
  return {
    id: contact.id._serialized,
    number: contact.number,
    name: contact.name ?? undefined,
    pushName: contact.pushname ?? undefined,
    shortName: contact.shortName ?? undefined,
    isMyContact: contact.isMyContact,
    isWAContact: contact.isWAContact,
    isBusiness: contact.isBusiness,
    isBlocked: contact.isBlocked,
    isGroup: contact.isGroup,
  };
}
