/**
 * Why a credential (a kubeconfig, a service account key) could not be parsed, without its text. Parsers
 * quote the input around a syntax error (js-yaml prints the offending lines, JSON.parse a snippet), and that
 * message ends in logs and in 90-day audit records: here it becomes the kind of error and where it is
 * (line and column, or position), and any run of the credential's characters that still appears is cut out.
 */

/** Runs of token-like characters a secret is made of; any of them in a message is redacted. */
const SECRET_RUN = /[A-Za-z0-9+/=_.~-]{6,}/g;

/** `message` with every run of 6 or more characters of `secret` replaced by `[redacted]`. */
export function scrub(message: string, secret: string | undefined): string {
  if (!secret) return message;
  const runs = [...new Set(secret.match(SECRET_RUN) ?? [])].sort((a, b) => b.length - a.length);
  let out = message;
  for (const run of runs) out = out.split(run).join('[redacted]');
  // A run cut by the parser's own quoting (`"abc...`) still leaks its prefix: cut every 6-character window too.
  for (let i = 0; i + 6 <= secret.length; i++) {
    const w = secret.slice(i, i + 6);
    if (/^[A-Za-z0-9+/=_.~-]{6}$/.test(w) && out.includes(w)) out = out.split(w).join('[redacted]');
  }
  return out;
}

/** The reason a parser gave, reduced to what it is and where, never what the text said. */
export function parseFailure(e: unknown, secret: string | undefined): string {
  if (!(e instanceof Error)) return 'unreadable';
  const err = e as Error & { reason?: unknown; mark?: { line?: number; column?: number } };
  // js-yaml: `reason` ("bad indentation of a mapping entry") and `mark` (0-based line and column).
  if (typeof err.reason === 'string' && err.mark && typeof err.mark.line === 'number') {
    return scrub(`${err.reason} at line ${err.mark.line + 1}, column ${(err.mark.column ?? 0) + 1}`, secret);
  }
  // JSON.parse: keep "at position N" (or line/column) only.
  if (e instanceof SyntaxError) {
    const at = /(at position \d+(?: \(line \d+ column \d+\))?)/.exec(e.message)?.[1];
    return `not valid JSON${at ? ` ${at}` : ''}`;
  }
  return scrub(`${e.name}: ${e.message}`.slice(0, 300), secret);
}
