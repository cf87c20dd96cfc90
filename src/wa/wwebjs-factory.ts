import type { WaClientFactory } from './wa-client.js';
import type { WwebjsFactorySettings } from './wwebjs-client.js';

/**
 * Sessions on whatsapp-web.js. The library and puppeteer took a third of the start-up time to load, so they are
 * loaded when the first session starts, after the server answers /health.
 */
export function createWwebjsClientFactory(settings: WwebjsFactorySettings): WaClientFactory {
  let library: Promise<typeof import('./wwebjs-client.js')> | undefined;
  return async (options) => {
    library ??= import('./wwebjs-client.js');
    return (await library).createWwebjsClient(options, settings);
  };
}
