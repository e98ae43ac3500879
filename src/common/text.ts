// Values quoted in messages: errors name the bad value as JSON, cut to fit a log line.

// A value as JSON (as text when it has none: undefined, a function, a BigInt), cut to 80 characters.
export function shown(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined; // a BigInt, a cycle
  }
  text ??= String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
