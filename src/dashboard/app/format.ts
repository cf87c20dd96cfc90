/** How times, sizes and ids read on screen. */

export function ago(fromMs: number, nowMs: number): string {
  const seconds = Math.max(0, Math.round((nowMs - fromMs) / 1000));
  return `${duration(seconds)} ago`;
}

export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

export function mebibytes(bytes: number | undefined): string {
  return bytes === undefined ? '–' : `${Math.round(bytes / 1048576)} MiB`;
}

export function clock(iso: string | number): string {
  const date = new Date(iso);
  return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function dateTime(iso: string | number): string {
  const date = new Date(iso);
  return `${date.toLocaleDateString()} ${clock(iso)}`;
}

/** 15550001111@c.us → +15550001111; groups and other ids as they are. */
export function phoneOf(waId: string | undefined): string {
  if (!waId) return '';
  const match = /^(\d+)@c\.us$/.exec(waId);
  return match ? `+${match[1]}` : waId;
}

/** The CSS modifier of a status badge. */
export function statusTone(status: string): string {
  switch (status) {
    case 'WORKING':
      return 'ok';
    case 'SCAN_QR_CODE':
    case 'STARTING':
    case 'STOPPING':
      return 'busy';
    case 'FAILED':
    case 'CRASHED':
      return 'bad';
    default:
      return 'idle';
  }
}

export function statusLabel(status: string): string {
  return status === 'SCAN_QR_CODE' ? 'SCAN QR' : status;
}
