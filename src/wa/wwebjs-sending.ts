import wwebjs from 'whatsapp-web.js';
import type { Client, MessageSendOptions } from 'whatsapp-web.js';
import { QuotedMessageMissingError, type WaLocation, type WaMessage, type WaPoll, type WaSendOptions } from './wa-client.js';
import { toWaMessage } from './wwebjs-media.js';

const { Location, Poll } = wwebjs;

/**
 * The library's options for a reply and mentions. A quoted message WhatsApp Web does not have would be dropped
 * silently (the message goes out as no reply): it is refused instead.
 */
export async function librarySendOptions(client: Client, options: WaSendOptions = {}): Promise<MessageSendOptions> {
  const out: MessageSendOptions = { sendSeen: options.markSeen === true };
  if (options.quotedMessageId !== undefined) {
    if (!(await client.getMessageById(options.quotedMessageId))) throw new QuotedMessageMissingError(options.quotedMessageId);
    out.quotedMessageId = options.quotedMessageId;
    out.ignoreQuoteErrors = false;
  }
  if (options.mentions !== undefined && options.mentions.length > 0) out.mentions = options.mentions;
  return out;
}

export async function sendText(client: Client, chatId: string, content: string, options?: WaSendOptions): Promise<WaMessage> {
  return toWaMessage(await client.sendMessage(chatId, content, await librarySendOptions(client, options)));
}

export async function sendLocation(client: Client, chatId: string, location: WaLocation, options?: WaSendOptions): Promise<WaMessage> {
  const content = new Location(location.latitude, location.longitude, { name: location.name, address: location.address, url: location.url });
  return toWaMessage(await client.sendMessage(chatId, content, await librarySendOptions(client, options)));
}

export async function sendContacts(client: Client, chatId: string, contactIds: string[], options?: WaSendOptions): Promise<WaMessage> {
  const contacts = await Promise.all(contactIds.map((contactId) => client.getContactById(contactId)));
  const content = contacts.length === 1 ? contacts[0]! : contacts;
  return toWaMessage(await client.sendMessage(chatId, content, await librarySendOptions(client, options)));
}

export async function sendPoll(client: Client, chatId: string, poll: WaPoll, options?: WaSendOptions): Promise<WaMessage> {
  const content = new Poll(poll.name, poll.options, { allowMultipleAnswers: poll.multipleAnswers, messageSecret: undefined });
  return toWaMessage(await client.sendMessage(chatId, content, await librarySendOptions(client, options)));
}
