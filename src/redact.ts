/** Names of environment variables whose values are credentials. */
const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH|SESSION|COOKIE|ASSERTION|_KEY$|^KEY$)/i;
/** Public, non-secret values that merely have a secret-looking name. */
const NOT_SECRET_NAME = /^(GITHUB_TOKEN_PERMISSIONS|ACTIONS_ID_TOKEN_REQUEST_URL|AWS_WEB_IDENTITY_TOKEN_FILE|GOOGLE_APPLICATION_CREDENTIALS|AZURE_FEDERATED_TOKEN_FILE)$/;
const MIN_SECRET_LENGTH = 6;

/** Shapes of well-known credentials, caught even when they did not come from the environment. */
const SECRET_SHAPES: readonly RegExp[] = [
  /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g,
  /\bAIza[0-9A-Za-z_-]{35}\b/g,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  /\b(Bearer|Basic|token)\s+[A-Za-z0-9._~+/=-]{12,}/gi,
];

export const REDACTED = '[REDACTED]';

/**
 * The one choke point between DriftGuard and anything it writes: logs, reports, comments,
 * check runs, summaries and audit artifacts all pass through `scrub`.
 */
export class Redactor {
  private secrets: string[] = [];

  constructor(env: Readonly<Record<string, string | undefined>> = {}) {
    for (const [name, value] of Object.entries(env)) {
      if (value && SECRET_NAME.test(name) && !NOT_SECRET_NAME.test(name)) this.add(value);
    }
  }

  /** Registers a secret learnt at run time (an exchanged token, say). */
  add(secret: string): void {
    const trimmed = secret.trim();
    if (trimmed.length < MIN_SECRET_LENGTH || this.secrets.includes(trimmed)) return;
    this.secrets.push(trimmed);
    this.secrets.sort((a, b) => b.length - a.length);
  }

  scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
      // A secret can also appear JSON-escaped inside serialised output.
      const escaped = JSON.stringify(secret).slice(1, -1);
      if (escaped !== secret && out.includes(escaped)) out = out.split(escaped).join(REDACTED);
    }
    for (const shape of SECRET_SHAPES) {
      out = out.replace(shape, (match, scheme: string | undefined) =>
        typeof scheme === 'string' && /^(bearer|basic|token)$/i.test(scheme) ? `${scheme} ${REDACTED}` : REDACTED,
      );
    }
    return out;
  }

  /** Scrubs every string inside a JSON-like value. */
  scrubValue<T>(value: T): T {
    return JSON.parse(this.scrub(JSON.stringify(value))) as T;
  }
}
