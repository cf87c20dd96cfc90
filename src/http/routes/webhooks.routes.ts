import { Router } from 'express';
import { NotFoundError } from '../../shared/errors.js';
import type { SessionManager } from '../../sessions/session-manager.js';
import { WebhooksSchema, redactWebhooks } from '../../sessions/session-config.js';
import type { SessionChannels } from '../../events/session-channels.js';
import { checkWebhookTarget } from '../../events/webhooks/webhook-url.js';
import type { OutboundPolicy } from '../../net/outbound-policy.js';
import { DeliveriesQuerySchema, DeliveryParamsSchema } from '../api-schemas.js';
import { parseInput } from '../middleware/validate.js';
import { sessionIdOf } from './sessions.routes.js';

/** `outboundPolicy`: where webhook URLs may point (createWebhookPolicy); checked as written when they are set. */
export function webhooksRouter(manager: SessionManager, channels: SessionChannels, outboundPolicy: OutboundPolicy): Router {
  const router = Router();

  router.get('/sessions/:id/webhooks', (request, response) => {
    const session = manager.get(sessionIdOf(request.params));
    response.json({ id: session.id, webhooks: redactWebhooks(session.config.webhooks) });
  });

  router.put('/sessions/:id/webhooks', async (request, response) => {
    const sessionId = sessionIdOf(request.params);
    const webhooks = parseInput(WebhooksSchema, request.body, 'webhooks (an array of {url, events?, secret?})');
    for (const webhook of webhooks) await checkWebhookTarget(webhook.url, outboundPolicy);
    const session = await manager.setWebhooks(sessionId, webhooks);
    // deliveries still queued for a webhook that was just removed settle now, not at the next event
    channels.get(session.id).dispatcher.notify();
    response.json({ id: session.id, webhooks: redactWebhooks(session.config.webhooks) });
  });

  router.get('/sessions/:id/webhooks/deliveries', (request, response) => {
    const session = manager.get(sessionIdOf(request.params));
    const { limit } = parseInput(DeliveriesQuerySchema, request.query, 'query');
    response.json({ id: session.id, deliveries: channels.get(session.id).log.deliveries(limit) });
  });

  router.post('/sessions/:id/webhooks/deliveries/:deliveryId/retry', (request, response) => {
    const { id, deliveryId } = parseInput(DeliveryParamsSchema, request.params, 'path');
    const session = manager.get(id);
    const channel = channels.get(session.id);
    const delivery = channel.log.requeue(deliveryId);
    if (!delivery) throw new NotFoundError('DELIVERY_NOT_FOUND', `No delivery '${deliveryId}' in session '${session.id}'`);
    channel.dispatcher.retryNow(delivery.webhookKey);
    response.status(202).json(delivery);
  });

  return router;
}
