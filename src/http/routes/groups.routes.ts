import { Router } from 'express';
import type { SessionGroups } from '../../sessions/session-groups.js';
import { CreateGroupSchema, GroupParamsSchema, GroupParticipantsSchema, UpdateGroupSchema } from '../groups-schemas.js';
import { parseInput } from '../middleware/validate.js';
import { sessionIdOf } from './sessions.routes.js';

const INVITE_LINK_BASE = 'https://chat.whatsapp.com/';

/** Groups of a session: create, list, read, manage participants, subject/description, invite code, leave. */
export function groupsRouter(groups: SessionGroups): Router {
  const router = Router();
  const groupParams = (params: unknown) => {
    sessionIdOf(params);
    return parseInput(GroupParamsSchema, params, 'path');
  };

  router.post('/sessions/:id/groups', async (request, response) => {
    const sessionId = sessionIdOf(request.params);
    const { name, participants } = parseInput(CreateGroupSchema, request.body, 'request body');
    response.status(201).json(await groups.create(sessionId, name, participants));
  });

  router.get('/sessions/:id/groups', async (request, response) => {
    const sessionId = sessionIdOf(request.params);
    response.json({ id: sessionId, groups: await groups.list(sessionId) });
  });

  router.get('/sessions/:id/groups/:groupId', async (request, response) => {
    const { id, groupId } = groupParams(request.params);
    response.json(await groups.get(id, groupId));
  });

  router.put('/sessions/:id/groups/:groupId', async (request, response) => {
    const { id, groupId } = groupParams(request.params);
    const changes = parseInput(UpdateGroupSchema, request.body, 'request body');
    response.json(await groups.update(id, groupId, changes));
  });

  router.post('/sessions/:id/groups/:groupId/participants', async (request, response) => {
    const { id, groupId } = groupParams(request.params);
    const { action, ids } = parseInput(GroupParticipantsSchema, request.body, 'request body');
    const { results, group } = await groups.changeParticipants(id, groupId, action, ids);
    response.json({ action, results, group });
  });

  router.get('/sessions/:id/groups/:groupId/invite', async (request, response) => {
    const { id, groupId } = groupParams(request.params);
    const code = await groups.inviteCode(id, groupId);
    response.json({ id: groupId, code, link: `${INVITE_LINK_BASE}${code}` });
  });

  router.post('/sessions/:id/groups/:groupId/leave', async (request, response) => {
    const { id, groupId } = groupParams(request.params);
    await groups.leave(id, groupId);
    response.json({ id: groupId, left: true });
  });

  return router;
}
