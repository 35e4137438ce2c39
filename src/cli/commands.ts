// The slash commands of interactive mode, parsed from one typed line. Pure.
import { parseClose } from "./args.js";

/** What one line typed in interactive mode asks for. */
export type Command =
  | { readonly kind: "send"; readonly text: string }
  | { readonly kind: "binary"; readonly data: Buffer }
  | { readonly kind: "ping"; readonly data: string | undefined }
  | { readonly kind: "close"; readonly code: number | undefined; readonly reason: string }
  | { readonly kind: "quit" }
  | { readonly kind: "help" }
  | { readonly kind: "error"; readonly message: string };

/** The text of `/help`. */
export const COMMAND_HELP = `Commands:
  /ping [DATA]                  send a ping (DATA up to 125 bytes) and show the pong's round trip
  /close [CODE [REASON]]        start the closing handshake (default 1000)
  /binary [hex|base64] DATA     send a binary message (hex when not named)
  /quit                         close with the --close code (default 1000) and exit
  /help                         this list
  //TEXT                        send "/TEXT" as a text message
Any other line is sent as a text message. Ctrl-C or Ctrl-D closes; a second Ctrl-C quits at once.`;

const HEX = /^(?:[0-9a-f]{2})*$/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodeBinary(args: string): Buffer | string {
  const words = args
    .trim()
    .split(/\s+/)
    .filter((w) => w !== "");
  let format = "hex";
  if (words[0] === "hex" || words[0] === "base64") format = words.shift()!;
  const text = words.join("");
  if (format === "hex") {
    return HEX.test(text)
      ? Buffer.from(text, "hex")
      : "/binary: expected hex digits in pairs, e.g. /binary 01ff";
  }
  return BASE64.test(text)
    ? Buffer.from(text, "base64")
    : "/binary base64: expected base64, e.g. /binary base64 AQL/";
}

/** Reads one typed line: a slash command, or text to send. */
export function parseCommand(line: string): Command {
  if (!line.startsWith("/")) return { kind: "send", text: line };
  if (line.startsWith("//")) return { kind: "send", text: line.slice(1) };
  const space = line.search(/\s/);
  const name = space < 0 ? line.slice(1) : line.slice(1, space);
  const args = space < 0 ? "" : line.slice(space + 1);
  switch (name) {
    case "ping":
      if (Buffer.byteLength(args) > 125)
        return { kind: "error", message: "/ping: DATA is longer than 125 bytes" };
      return { kind: "ping", data: args === "" ? undefined : args };
    case "close": {
      const trimmed = args.trim();
      if (trimmed === "") return { kind: "close", code: undefined, reason: "" };
      const match = /^(\S+)(?:\s+(.*))?$/.exec(trimmed)!;
      const parsed = parseClose(`${match[1]}:${match[2] ?? ""}`);
      if (parsed === undefined) {
        return {
          kind: "error",
          message:
            "/close: expected CODE 1000-1003, 1007-1014 or 3000-4999 and a REASON of at most 123 bytes",
        };
      }
      return { kind: "close", code: parsed.code, reason: parsed.reason };
    }
    case "binary": {
      const data = decodeBinary(args);
      return typeof data === "string" ? { kind: "error", message: data } : { kind: "binary", data };
    }
    case "quit":
    case "exit":
      return { kind: "quit" };
    case "help":
    case "?":
      return { kind: "help" };
    default:
      return {
        kind: "error",
        message: `unknown command /${name} (try /help; "//" sends a line starting with "/")`,
      };
  }
}
