import wwebjs from 'whatsapp-web.js';
import type { GroupNotification, Message, Reaction } from 'whatsapp-web.js';
import type { WaClientEventName, WaClientEvents } from './wa-client.js';
import { groupNotificationPayload } from './wwebjs-groups.js';
import { toWaMessage } from './wwebjs-media.js';

type LibraryClient = InstanceType<typeof wwebjs.Client>;
type Emit = <E extends WaClientEventName>(event: E, ...args: WaClientEvents[E]) => void;

/** What whatsapp-web.js reports, as the WaClient port's events (a disconnect while closing is ours, not news). */
export function forwardLibraryEvents(client: LibraryClient, emit: Emit, isClosing: () => boolean): void {
  client.on('qr', (qr: string) => emit('qr', qr));
  client.on('authenticated', () => emit('authenticated'));
  // requestPairingCode's first code, and the new one it asks for every 3 minutes while nobody entered it
  client.on('code', (code: string) => emit('pairingCode', code));
  client.on('ready', () => {
    const info = client.info;
    emit('ready', { id: info.wid._serialized, pushName: info.pushname });
  });
  client.on('disconnected', (reason: unknown) => {
    if (!isClosing()) emit('disconnected', String(reason));
  });
  client.on('message', (message: Message) => emit('message', toWaMessage(message)));
  client.on('message_create', (message: Message) => {
    if (message.fromMe) emit('messageSent', toWaMessage(message));
  });
  const chatOf = (message: Message) => (message.fromMe ? message.to : message.from);
  client.on('message_ack', (message: Message, ack: number) =>
    emit('activity', 'message.ack', { messageId: message.id._serialized, chatId: chatOf(message), ack }),
  );
  client.on('message_revoke_everyone', (message: Message, revoked?: Message | null) =>
    emit('activity', 'message.revoked', {
      messageId: (revoked ?? message).id._serialized,
      chatId: chatOf(message),
    }),
  );
  client.on('message_edit', (message: Message, newBody: unknown, previousBody: unknown) =>
    emit('activity', 'message.edited', {
      messageId: message.id._serialized,
      chatId: chatOf(message),
      body: String(newBody),
      previousBody: String(previousBody),
    }),
  );
  client.on('message_reaction', (reaction: Reaction) =>
    emit('activity', 'message.reaction', {
      messageId: reaction.msgId._serialized,
      reaction: reaction.reaction,
      senderId: reaction.senderId,
      timestamp: reaction.timestamp,
    }),
  );
  for (const [libraryEvent, type] of [
    ['group_join', 'group.join'],
    ['group_leave', 'group.leave'],
  ] as const) {
    client.on(libraryEvent, (notification: GroupNotification) =>
      emit('activity', type, groupNotificationPayload(notification)),
    );
  }
  client.on('change_state', (state: unknown) => emit('activity', 'state.change', { state: String(state) }));
}
