import type { RequestHandler } from 'express';
import { isLoopbackHost } from '../../config/network-settings.js';
import { AppError } from '../../shared/errors.js';

/** Sec-Fetch-Site values of requests a person made here: this server's own pages, or a typed address. */
const OWN = new Set(['same-origin', 'none']);

/**
 * A server without a key trusts whoever reaches it, meant to be this machine's user; a web page that user opens
 * is not, yet browsers let any page send requests to localhost (a form POST to …/stop needs no body). On such a
 * server the API refuses what a browser marks as sent by another site (Sec-Fetch-Site, or an Origin that is not
 * this server's) and, while it listens on loopback only, requests for a host name that is not a loopback one (a
 * page whose domain was rebound to 127.0.0.1). curl and scripts send none of these headers; the dashboard is
 * same-origin.
 */
export function crossSiteGuard(options: { loopbackOnly: boolean }): RequestHandler {
  return (request, _response, next) => {
    const site = request.header('sec-fetch-site');
    if (site !== undefined && !OWN.has(site)) return next(refused(`it came from another site (Sec-Fetch-Site: ${site === 'same-site' ? 'same-site' : 'cross-site'})`));
    const origin = request.header('origin');
    if (origin !== undefined && origin !== `${request.protocol}://${request.header('host') ?? ''}`) return next(refused('its Origin is not this server'));
    if (options.loopbackOnly && !isLoopbackHost(request.hostname ?? '')) return next(refused('it names a host that is not this machine'));
    next();
  };
}

function refused(why: string): AppError {
  return new AppError(
    'CROSS_SITE_REFUSED',
    403,
    `Refused: this server has no API key, so it answers only requests made on this machine, and ${why}. Set API_KEY to serve other sites or hosts.`,
  );
}
