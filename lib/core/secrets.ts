/**
 * Secrets this process holds (the object store's secret key, …), so that whatever it prints — an
 * error, a log line — can be checked for them and blanked: no output may carry a secret.
 */
const secrets = new Set<string>();

/** Remembers a secret (ignored when shorter than 4 characters: blanking it would garble the text). */
export function rememberSecret(secret: string): void {
  if (secret.length >= 4) secrets.add(secret);
}

/** `text` with every remembered secret replaced by `***`. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('***');
  return out;
}
