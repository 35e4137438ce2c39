// The text of `wschan --help`. docs/cli.md is the full reference; this is the summary.

export function helpText(version: string): string {
  return `wschan ${version}: a WebSocket client for the command line

Usage: wschan [options] ws[s]://host[:port][/path]

On a terminal (stdin and stdout both TTYs) wschan is interactive: a prompt with line editing and
history, "> " before what you send, "< " before what you receive, and slash commands (/help).
Otherwise it sends each line of standard input as a text message and prints each message
received on one line. When input ends (Ctrl-D, or the end of a pipe) it sends a Close and waits
for the closing handshake. Received text is printed with control characters escaped (\\n, \\x1b);
binary as "[binary N bytes] HEX"; --raw prints payloads byte for byte.

Connection:
  -H, --header "Name: value"   extra handshake header (repeatable)
  -p, --protocol NAME          subprotocol to offer (repeatable, or comma-separated)
  -o, --origin ORIGIN          the Origin header
      --auth USER:PASS         HTTP Basic credentials (Authorization header)
      --compression MODE       permessage-deflate: none (default), context or no-context
      --compression-threshold SIZE  smallest message compressed (default 128 B, 512 B no-context)
      --proxy URL              connect through this proxy: http://, https://, socks5:// or
                               socks5h://, with optional user:pass@ (default: the environment's,
                               HTTPS_PROXY, ALL_PROXY, … and NO_PROXY)
      --no-proxy               connect directly, whatever the environment says
      --unix-socket PATH       connect to this unix domain socket (or use a ws+unix: URL)
      --happy-eyeballs-delay DURATION  stagger between attempts to a name's addresses (default 250ms)
      --http2 MODE             WebSockets over HTTP/2 (RFC 8441): auto (wss:, fall back to
                               HTTP/1.1), on (HTTP/2 only) or off (default)
      --dial-timeout DURATION  bound on connecting and the handshake (default 30s)
      --read-timeout DURATION  longest silence allowed from the server (default none)
      --write-timeout DURATION bound on handing one message to the socket (default none)
      --read-limit SIZE        largest message accepted, e.g. 65536, 64KiB, 16MiB (default 16MiB)
      --keepalive DURATION     the library's keep-alive: ping after this much silence, drop the
                               connection (1006, exit 4) when nothing answers within
      --keepalive-timeout DURATION  (default: the --keepalive value)
TLS:
      --ca FILE                trusted CA certificates (PEM; repeatable), instead of Node's roots
      --cert FILE, --key FILE  client certificate and key (PEM; a key passphrase is read from
                               the WSCHAN_KEY_PASSPHRASE environment variable)
      --servername NAME        name for SNI and the certificate check (default: the URL's host)
      --tls-min 1.2|1.3        lowest TLS version accepted
  -k, --insecure               do not verify the server's certificate (test servers only; warns)
Security policy:
      --no-private-networks    refuse loopback, private, link-local... addresses (exit 6)
      --allow PATTERN          only URLs matching a pattern (repeatable), e.g. "wss://*.example.com"
      --deny PATTERN           refuse URLs matching the pattern (repeatable)
Sending:
  -x, --execute MESSAGE        send this text message once connected (repeatable, in order)
  -b, --binary-stdin           send input lines as binary messages
  -n, --no-input               do not read standard input; stay until the server closes
  -w, --wait DURATION|forever  after input ends, stay this long before closing
      --close CODE[:REASON]    the Close sent when input ends, on Ctrl-C or /quit (default 1000)
  -1, --once                   close after the first message received
      --ping DURATION          ping this often; no pong within --ping-timeout: close with 1001, exit 4
      --ping-timeout DURATION  how long a ping waits (default: --read-timeout, else the interval)
Output:
      --json                   one JSON object per event, with an ISO 8601 "time", on stdout
      --raw                    received payloads byte for byte, nothing escaped or added
      --binary hex|base64      how binary messages are shown (default hex)
  -P, --show-ping-pong         show the pings sent and the pongs received
      --print-ping-rtts        print each ping's round-trip time on standard error
  -q, --quiet                  no "connected"/"closed" notes on standard error
      --no-color               no colour (also: NO_COLOR set, or not a terminal)
      --no-history             keep no history file (also: WSCHAN_NO_HISTORY set)
      --history-file FILE      where history is kept (default ~/.wschan_history)
  -h, --help                   this help
  -V, --version                the version

Durations: 500ms, 5s, 1m30s. Ctrl-C closes like the end of input; a second Ctrl-C quits at once.

Interactive commands: /ping [DATA], /close [CODE [REASON]], /binary [hex|base64] DATA,
  /quit, /help; a line starting with "//" sends the text after the first "/".

Exit codes:
  0    the connection ended with a normal close (1000, 1001, no code, or the echo of --close)
  1    unexpected failure
  2    invalid usage: unknown flag, bad value, bad URL, header or file
  3    connection failed: refused, DNS, proxy, TLS, or the handshake was refused
  4    timed out: dial, read or write timeout, keep-alive, or a ping without a pong
  5    closed by the server with an error code, a protocol error, or connection lost
  6    refused by the security policy (--no-private-networks, --allow, --deny)
  130  interrupted before the connection was open, or by a second Ctrl-C

Examples:
  wschan ws://127.0.0.1:8080/echo                              # interactive on a terminal
  printf 'hello\\nworld\\n' | wschan ws://127.0.0.1:8080/echo   # send two lines, print the echoes
  wschan -n --json --ping 30s wss://example.com/stream | jq .
  wschan -x '{"op":"subscribe"}' -1 wss://example.com/feed     # first reply, then exit
`;
}
