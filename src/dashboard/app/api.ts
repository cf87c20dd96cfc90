/** Every call the dashboard makes goes through here: the public API, with the key as x-api-key. */

export interface FieldIssue {
  path: string;
  message: string;
}

/** An answer that was not 2xx, as the server explained it ({error:{code,message,details}}). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
  }

  /** The server's words for one form field (`qrTimeout` matches `config.qrTimeout`). */
  issueFor(field: string): string | undefined {
    return this.issues.find((issue) => issue.path.replace(/^config\./, '') === field)?.message;
  }
}

const KEY_STORAGE = 'wamux.apiKey';

export class Api {
  /** Told when the server refuses the key, wherever that happens: the dashboard goes back to sign-in. */
  onUnauthorized: () => void = () => undefined;

  constructor(public key: string | undefined = sessionStorage.getItem(KEY_STORAGE) ?? undefined) {}

  remember(key: string | undefined): void {
    this.key = key;
    if (key === undefined) sessionStorage.removeItem(KEY_STORAGE);
    else sessionStorage.setItem(KEY_STORAGE, key);
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.key === undefined ? extra : { ...extra, 'x-api-key': this.key };
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.raw(method, path, body);
    return (await response.json()) as T;
  }

  /** The answer itself, for bytes (media) and text (metrics); throws ApiError when it is not 2xx. */
  async raw(method: string, path: string, body?: unknown): Promise<Response> {
    const response = await fetch(path, {
      method,
      headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw await errorOf(response, () => this.onUnauthorized());
    return response;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body ?? {});
  }
}

export async function errorOf(response: Response, unauthorized: () => void): Promise<ApiError> {
  if (response.status === 401) unauthorized();
  const text = await response.text();
  try {
    const { error } = JSON.parse(text) as { error?: { code?: string; message?: string; details?: { issues?: FieldIssue[] } } };
    return new ApiError(response.status, error?.code ?? 'HTTP_' + response.status, error?.message ?? text, error?.details?.issues ?? []);
  } catch {
    return new ApiError(response.status, 'HTTP_' + response.status, text || response.statusText);
  }
}

/** A path segment from user-chosen text (session, chat and message ids). */
export const seg = encodeURIComponent;

export function sessionPath(id: string, rest = ''): string {
  return `/api/v1/sessions/${seg(id)}${rest}`;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
