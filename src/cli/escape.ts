// Makes text from the network safe to show on a terminal: control characters and the characters
// that reorder or break lines are written as escapes, so a server can never move the cursor,
// recolour, retitle or clear the user's screen, or split one message over several lines.

/**
 * C0 controls except tab, DEL, C1 controls (0x9b is a one-byte CSI on some terminals), the Unicode
 * line and paragraph separators, and the bidirectional embeddings, overrides and isolates.
 */
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(char: string): string {
  if (char === "\n") return "\\n";
  if (char === "\r") return "\\r";
  const code = char.charCodeAt(0);
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** Text with every unsafe character escaped as `\n`, `\r`, `\xHH` or `\uHHHH`; the rest unchanged. */
export function escapeText(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/**
 * JSON text made terminal-safe too: JSON.stringify already escapes C0 controls, this escapes DEL,
 * C1 and the separators and bidi controls as `\uHHHH`, which every JSON parser reads back.
 */
export function escapeJson(json: string): string {
  return json.replace(UNSAFE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
