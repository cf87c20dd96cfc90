/** A bounded, newest-last list: the recent log lines and messages of one session. */
export class RingBuffer<T> {
  private readonly items: T[] = [];

  constructor(private readonly capacity: number) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.shift();
  }

  /** Newest first, at most limit items. */
  newest(limit = this.capacity): T[] {
    return this.items.slice(-limit).reverse();
  }
}

export type SessionLogLevel = 'info' | 'warn' | 'error';

export interface SessionLogLine {
  at: string;
  level: SessionLogLevel;
  message: string;
}
