// What a handler returns; the server writes it after the slow failure's delay, or never (blackhole).
export interface Reply { readonly status: number; readonly headers: Record<string, string>; readonly body: string }

export function json(value: unknown, headers: Record<string, string> = {}, pretty = false, status = 200): Reply {
  return {
    status, headers: { 'Content-Type': 'application/json', ...headers },
    body: pretty ? `${JSON.stringify(value, null, 4)}\n` : JSON.stringify(value),
  };
}

/** Consul's errors are plain text. */
export function text(status: number, message: string): Reply {
  return { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: message };
}
