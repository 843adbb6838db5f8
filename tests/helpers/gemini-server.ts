import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedAnswer {
  status?: number;
  /** A JSON body, or raw text. */
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

/** The Gemini answer for a JSON text, in the REST wire format. */
export function geminiAnswer(json: unknown, finishReason = 'STOP'): unknown {
  return { candidates: [{ content: { role: 'model', parts: [{ text: typeof json === 'string' ? json : JSON.stringify(json) }] }, finishReason, index: 0 }] };
}

/**
 * A loopback server speaking Gemini's REST wire format: POST /v1beta/models/MODEL:generateContent.
 * Answers come from a script, one per request; when the script is empty it answers `fallback`.
 */
export class GeminiServer {
  readonly requests: RecordedRequest[] = [];
  readonly script: ScriptedAnswer[] = [];
  fallback: ScriptedAnswer = { body: geminiAnswer({ findings: [] }) };
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(raw) as Record<string, unknown>;
        } catch {
          body = {};
        }
        this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        if (req.method !== 'POST' || !/^\/v1beta\/models\/[^/:]+:generateContent/.test(req.url ?? '')) {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 404, message: 'not found', status: 'NOT_FOUND' } }));
          return;
        }
        const answer = this.script.shift() ?? this.fallback;
        const send = () => {
          if (res.destroyed) return;
          const status = answer.status ?? 200;
          const payload = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
          res.writeHead(status, { 'content-type': 'application/json', ...answer.headers });
          res.end(payload);
        };
        if (answer.delayMs) setTimeout(send, answer.delayMs);
        else send();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The prompt text of the last request. */
  lastPrompt(): string {
    const contents = this.requests.at(-1)?.body.contents as Array<{ parts: Array<{ text: string }> }> | undefined;
    return contents?.flatMap((c) => c.parts.map((p) => p.text)).join('\n') ?? '';
  }

  stop(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
