// wschan's diagnostics channels as OpenTelemetry spans and metrics, with the official API
// package only: plug in whatever SDK and exporter the application already runs.
//
//   import { trace, metrics } from "@opentelemetry/api";
//   const stop = instrumentWschan(trace.getTracer("my-app"), metrics.getMeter("my-app"));
//
// One span per connection, from open to close (error status when it did not end clean), with an
// event per ping round trip; one span per dial, with an event per phase. Metrics: messages and
// payload bytes in and out by type, ping round-trip times, closes by code.
import { type Meter, type Span, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import { type Client, type MessageEvent, observe, type WebSocketError } from "../src/index.js";

/** An error in the shape OpenTelemetry records, with its stable identifier for a code. */
function exception(error: WebSocketError): { name: string; message: string; code: string } {
  return { name: error.name, message: error.message, code: error.id };
}

/** Starts turning wschan's events into spans and metrics; returns a function that stops it. */
export function instrumentWschan(tracer: Tracer, meter: Meter): () => void {
  const messages = meter.createCounter("wschan.messages", { description: "WebSocket data messages" });
  const bytes = meter.createCounter("wschan.message.bytes", { unit: "By", description: "Payload bytes" });
  const rtt = meter.createHistogram("wschan.ping.rtt", { unit: "ms", description: "Ping round-trip time" });
  const closes = meter.createCounter("wschan.closes", { description: "Connections ended" });

  const connections = new WeakMap<Client, Span>();
  const dials = new Map<string, Span>();
  const count = (direction: "in" | "out", e: MessageEvent): void => {
    messages.add(1, { direction, type: e.type });
    bytes.add(e.size, { direction, type: e.type });
  };

  const stops = [
    observe("wschan:dial:start", (e) => {
      dials.set(e.url, tracer.startSpan("websocket dial", { attributes: { "url.full": e.url } }));
    }),
    observe("wschan:dial:phase", (e) => {
      dials.get(e.url)?.addEvent(e.phase, { "wschan.ms": e.ms });
    }),
    observe("wschan:dial:error", (e) => {
      const span = dials.get(e.url);
      dials.delete(e.url);
      span?.recordException(exception(e.error));
      span?.setStatus({ code: SpanStatusCode.ERROR, message: e.error.id });
      span?.end();
    }),
    observe("wschan:open", (e) => {
      dials.get(e.url)?.end();
      dials.delete(e.url);
      const span = tracer.startSpan("websocket connection", {
        attributes: {
          "url.full": e.url,
          "websocket.protocol": e.protocol,
          "websocket.extensions": e.extensions,
        },
      });
      connections.set(e.client, span);
    }),
    observe("wschan:message:in", (e) => count("in", e)),
    observe("wschan:message:out", (e) => count("out", e)),
    observe("wschan:pong", (e) => {
      rtt.record(e.rtt);
      connections.get(e.client)?.addEvent("pong", { "wschan.rtt_ms": e.rtt });
    }),
    observe("wschan:close", (e) => {
      closes.add(1, { code: e.code, clean: e.clean });
      const span = connections.get(e.client);
      if (span === undefined) return;
      span.setAttribute("websocket.close.code", e.code);
      if (!e.clean) {
        if (e.error !== undefined) span.recordException(exception(e.error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: e.error?.id ?? "not clean" });
      }
      span.end();
    }),
  ];
  return () => {
    for (const stop of stops) stop();
  };
}
