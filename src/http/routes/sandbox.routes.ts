import { Router } from 'express';
import { ConflictError } from '../../shared/errors.js';
import type { SessionManager } from '../../sessions/session-manager.js';
import type { SandboxHub } from '../../sandbox/sandbox-hub.js';
import { MessageParamsSchema } from '../message-schemas.js';
import { SandboxAckSchema, SandboxContactsSchema, SandboxEditSchema, SandboxIncomingSchema, SandboxPairSchema, SandboxReactSchema, SandboxScanSchema } from '../sandbox-schemas.js';
import { GroupParamsSchema, SandboxCreateGroupSchema, SandboxGroupParticipantsSchema } from '../groups-schemas.js';
import { parseInput } from '../middleware/validate.js';
import { decodeMediaData } from '../media-schemas.js';

/** The phone's own media: bounded by the body limit of the route; this only guards decoding. */
const MAX_PHONE_MEDIA_BYTES = 1024 * 1024 * 1024;
import { sessionIdOf } from './sessions.routes.js';

/** The simulated phone of a sandbox session: scan its QR, write to it, read what it sent, unlink it. */
export function sandboxRouter(manager: SessionManager, hub: SandboxHub): Router {
  const router = Router();

  const sandboxSessionId = (params: unknown): string => {
    const session = manager.get(sessionIdOf(params));
    if (!session.config.sandbox) {
      throw new ConflictError('NOT_A_SANDBOX_SESSION', `Session '${session.id}' talks to WhatsApp, not to the sandbox`);
    }
    return session.id;
  };

  router.post('/sessions/:id/sandbox/scan', async (request, response) => {
    const sessionId = sandboxSessionId(request.params);
    const input = parseInput(SandboxScanSchema, request.body, 'request body');
    response.json({ account: await hub.scan(sessionId, input) });
  });

  router.post('/sessions/:id/sandbox/pair', async (request, response) => {
    const sessionId = sandboxSessionId(request.params);
    const input = parseInput(SandboxPairSchema, request.body, 'request body');
    response.json({ account: await hub.pair(sessionId, input) });
  });

  // a contact acts on a message: reacts, edits or revokes one of theirs; or its ack moves on
  const messageOf = (params: unknown) => {
    const { id, messageId } = parseInput(MessageParamsSchema, params, 'path');
    return { sessionId: sandboxSessionId({ id }), messageId };
  };
  router.post('/sessions/:id/sandbox/messages/:messageId/react', async (request, response) => {
    const { sessionId, messageId } = messageOf(request.params);
    const input = parseInput(SandboxReactSchema, request.body, 'request body');
    await hub.messageAction(sessionId, messageId, { kind: 'react', ...input });
    response.json({ id: sessionId, messageId, reaction: input.emoji });
  });
  router.post('/sessions/:id/sandbox/messages/:messageId/edit', async (request, response) => {
    const { sessionId, messageId } = messageOf(request.params);
    const { body } = parseInput(SandboxEditSchema, request.body, 'request body');
    await hub.messageAction(sessionId, messageId, { kind: 'edit', body });
    response.json({ id: sessionId, messageId, body });
  });
  router.post('/sessions/:id/sandbox/messages/:messageId/revoke', async (request, response) => {
    const { sessionId, messageId } = messageOf(request.params);
    await hub.messageAction(sessionId, messageId, { kind: 'revoke' });
    response.json({ id: sessionId, messageId, revoked: true });
  });
  router.post('/sessions/:id/sandbox/messages/:messageId/ack', async (request, response) => {
    const { sessionId, messageId } = messageOf(request.params);
    const { ack } = parseInput(SandboxAckSchema, request.body, 'request body');
    await hub.messageAction(sessionId, messageId, { kind: 'ack', ack });
    response.json({ id: sessionId, messageId, ack });
  });
  router.get('/sessions/:id/sandbox/actions', (request, response) => {
    const sessionId = sandboxSessionId(request.params);
    response.json({ id: sessionId, actions: hub.actions(sessionId) });
  });

  router.put('/sessions/:id/sandbox/contacts', async (request, response) => {
    const sessionId = sandboxSessionId(request.params);
    const contacts = parseInput(SandboxContactsSchema, request.body, 'address book (an array of {phone, name, onWhatsApp?, business?, picture?})');
    response.json({ id: sessionId, contacts: await hub.setContacts(sessionId, contacts) });
  });

  router.post('/sessions/:id/sandbox/incoming', async (request, response) => {
    const sessionId = sandboxSessionId(request.params);
    const { media, ...message } = parseInput(SandboxIncomingSchema, request.body, 'request body');
    const decoded = media ? { ...media, data: decodeMediaData(media.data, MAX_PHONE_MEDIA_BYTES).bytes } : undefined;
    const result = await hub.incoming(sessionId, { ...message, media: decoded });
    // 202: the linked device is not connected (its browser is closed); the phone delivers it when it connects
    response.status(result.queued ? 202 : 201).json(result);
  });

  router.post('/sessions/:id/sandbox/expire-media', (request, response) => {
    const sessionId = sandboxSessionId(request.params);
    hub.expireMedia(sessionId);
    response.json({ id: sessionId, expired: true });
  });

  router.get('/sessions/:id/sandbox/endpoint', async (request, response) => {
    const sessionId = sandboxSessionId(request.params);
    response.json({ id: sessionId, host: 'web.whatsapp.com', address: await hub.endpointAddress(sessionId) });
  });

  router.post('/sessions/:id/sandbox/hang-page', (request, response) => {
    const sessionId = sandboxSessionId(request.params);
    response.json({ id: sessionId, pages: hub.hangPages(sessionId) });
  });

  router.get('/sessions/:id/sandbox/outbox', (request, response) => {
    const sessionId = sandboxSessionId(request.params);
    response.json({ id: sessionId, messages: hub.outbox(sessionId), total: hub.sentTotal(sessionId) });
  });

  router.get('/sessions/:id/sandbox/groups', (request, response) => {
    const sessionId = sandboxSessionId(request.params);
    response.json({ id: sessionId, groups: hub.groups(sessionId) });
  });

  router.post('/sessions/:id/sandbox/groups', async (request, response) => {
    const sessionId = sandboxSessionId(request.params);
    const input = parseInput(SandboxCreateGroupSchema, request.body, 'request body');
    response.status(201).json({ id: sessionId, group: await hub.createGroupOnPhone(sessionId, input) });
  });

  router.post('/sessions/:id/sandbox/groups/:groupId/participants', async (request, response) => {
    const sessionId = sandboxSessionId(request.params);
    const { groupId } = parseInput(GroupParamsSchema, request.params, 'path');
    const input = parseInput(SandboxGroupParticipantsSchema, request.body, 'request body');
    response.json(await hub.groupParticipants(sessionId, groupId, input));
  });

  router.post('/sessions/:id/sandbox/logout', async (request, response) => {
    const sessionId = sandboxSessionId(request.params);
    await hub.logout(sessionId);
    response.json({ id: sessionId, loggedOut: true });
  });

  return router;
}
