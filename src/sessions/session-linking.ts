import { AppError, ConflictError, describeError } from '../shared/errors.js';
import { withTimeout } from '../shared/timing.js';
import type { SessionLookup } from './working-client.js';

/** How long WhatsApp Web may take to hand out a pairing code. */
const PAIRING_CODE_DEADLINE_MS = 30_000;

/** Linking a session without a camera: a pairing code that the user types on the phone with that number. */
export class SessionLinking {
  constructor(private readonly sessions: SessionLookup) {}

  /** While the session waits to be linked (SCAN_QR_CODE): the 8-character code to enter on the phone. */
  async requestPairingCode(sessionId: string, phone: string): Promise<string> {
    const session = this.sessions.get(sessionId);
    const client = session.client;
    const status = session.status.status;
    if (!client || status !== 'SCAN_QR_CODE') {
      throw new ConflictError(
        'PAIRING_NOT_AVAILABLE',
        `Session '${session.id}' is ${status}: a pairing code can only be asked for while it waits to be linked (SCAN_QR_CODE)`,
        { status },
      );
    }
    try {
      const code = await withTimeout(client.requestPairingCode(phone), PAIRING_CODE_DEADLINE_MS, 'pairing code deadline');
      // the session log is readable through the API: the number is shown only by its last digits
      session.log('info', `pairing code shown for +…${phone.slice(-4)}: enter it on that phone (Linked devices > Link with phone number)`);
      return code;
    } catch (error) {
      if (session.client !== client || session.status.status !== 'SCAN_QR_CODE') {
        throw new ConflictError('PAIRING_NOT_AVAILABLE', `Session '${session.id}' stopped waiting to be linked`, {
          status: session.status.status,
        });
      }
      throw new AppError('PAIRING_CODE_FAILED', 502, `WhatsApp Web gave no pairing code: ${describeError(error)}`);
    }
  }
}
