// wschan's diagnostics channels as OpenTelemetry spans and metrics, with the official API
// package only: plug in whatever SDK and exporter the application already runs.
//
//   import { trace, metrics } from "@opentelemetry/api";
//   const stop = instrumentWschan(trace.getTracer("my-app"), metrics.getMeter("my-app"));
//
// One span per connection, from open to close (error status when it did not end clean), with an
// event per ping round trip; one span per dial, with an event per phase. Metrics: messages and
// payload bytes in and out by type, ping round-trip times, closes by code.
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { type Meter, type Span, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import type { Client, WebSocketError } from "../src/index.js";

type Event = Record<string, unknown>;

/** Starts turning wschan's events into spans and metrics; returns a function that stops it. */
export function instrumentWschan(tracer: Tracer, meter: Meter): () => void {
  const messages = meter.createCounter("wschan.messages", { description: "WebSocket data messages" });
  const bytes = meter.createCounter("wschan.message.bytes", { unit: "By", description: "Payload bytes" });
  const rtt = meter.createHistogram("wschan.ping.rtt", { unit: "ms", description: "Ping round-trip time" });
  const closes = meter.createCounter("wschan.closes", { description: "Connections ended" });

  const connections = new WeakMap<Client, Span>();
  const dials = new Map<string, Span>();

  const handlers: Record<string, (event: Event) => void> = {
    "wschan:dial:start": (e) => {
      dials.set(
        String(e.url),
        tracer.startSpan("websocket dial", { attributes: { "url.full": String(e.url) } }),
      );
    },
    "wschan:dial:phase": (e) => {
      dials.get(String(e.url))?.addEvent(String(e.phase), { "wschan.ms": Number(e.ms) });
    },
    "wschan:dial:error": (e) => {
      const span = dials.get(String(e.url));
      dials.delete(String(e.url));
      const error = e.error as WebSocketError;
      span?.recordException(error);
      span?.setStatus({ code: SpanStatusCode.ERROR, message: error.id });
      span?.end();
    },
    "wschan:open": (e) => {
      const url = String(e.url);
      dials.get(url)?.end();
      dials.delete(url);
      const span = tracer.startSpan("websocket connection", {
        attributes: {
          "url.full": url,
          "websocket.protocol": String(e.protocol),
          "websocket.extensions": String(e.extensions),
        },
      });
      connections.set(e.client as Client, span);
    },
    "wschan:message:in": (e) => {
      messages.add(1, { direction: "in", type: String(e.type) });
      bytes.add(Number(e.size), { direction: "in", type: String(e.type) });
    },
    "wschan:message:out": (e) => {
      messages.add(1, { direction: "out", type: String(e.type) });
      bytes.add(Number(e.size), { direction: "out", type: String(e.type) });
    },
    "wschan:pong": (e) => {
      rtt.record(Number(e.rtt));
      connections.get(e.client as Client)?.addEvent("pong", { "wschan.rtt_ms": Number(e.rtt) });
    },
    "wschan:close": (e) => {
      closes.add(1, { code: Number(e.code), clean: Boolean(e.clean) });
      const span = connections.get(e.client as Client);
      if (span === undefined) return;
      span.setAttribute("websocket.close.code", Number(e.code));
      if (e.clean !== true) {
        const error = e.error as WebSocketError | undefined;
        if (error !== undefined) span.recordException(error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error?.id ?? "not clean" });
      }
      span.end();
    },
  };

  const listeners = Object.entries(handlers).map(([name, handle]) => {
    const listener = (message: unknown): void => handle(message as Event);
    subscribe(name, listener);
    return [name, listener] as const;
  });
  return () => {
    for (const [name, listener] of listeners) unsubscribe(name, listener);
  };
}
