// The OpenTelemetry example, with the SDK's in-memory exporters: spans and metrics come out.
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import t from "tap";
import { instrumentWschan } from "../../examples/opentelemetry.js";
import * as websocket from "../../src/index.js";
import { echo, startWsPeer } from "../helpers/ws-server.js";

t.setTimeout(60_000);

t.test(
  "a connection becomes a span with its pongs, and messages, RTTs and closes become metrics",
  async (t) => {
    const spans = new InMemorySpanExporter();
    const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }).getTracer(
      "test",
    );
    const reader = new PeriodicExportingMetricReader({
      exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
      exportIntervalMillis: 60_000,
    });
    const meterProvider = new MeterProvider({ readers: [reader] });
    const stop = instrumentWschan(tracer, meterProvider.getMeter("test"));
    t.teardown(async () => {
      stop();
      await meterProvider.shutdown();
    });

    const peer = await startWsPeer({}, echo);
    t.teardown(() => peer.close());
    const client = await websocket.connect(peer.url);
    await client.send("one");
    await client.send(Buffer.from("two"));
    await client.channel().receive();
    await client.channel().receive();
    await client.ping();
    await client.close();

    const connection = spans.getFinishedSpans().find((s) => s.name === "websocket connection");
    t.ok(connection, "the connection span ended");
    t.equal(connection?.attributes["url.full"], client.url);
    t.equal(connection?.attributes["websocket.close.code"], 1000);
    t.same(
      connection?.events.map((e) => e.name),
      ["pong"],
    );

    const dial = spans.getFinishedSpans().find((s) => s.name === "websocket dial");
    t.ok(dial, "the dial span ended when the connection opened");
    t.same(dial?.events.map((e) => e.name).slice(-2), ["tcp", "upgrade"], "with an event per phase");

    const { resourceMetrics } = await reader.collect();
    const metrics = new Map(
      resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m]),
    );
    const points = (name: string) =>
      (metrics.get(name)?.dataPoints ?? []) as { attributes: Record<string, unknown>; value: unknown }[];
    const count = (direction: string) =>
      points("wschan.messages")
        .filter((p) => p.attributes.direction === direction)
        .reduce((sum, p) => sum + (p.value as number), 0);
    t.equal(count("out"), 2);
    t.equal(count("in"), 2);
    t.equal((points("wschan.ping.rtt")[0]!.value as { count: number }).count, 1);
    t.match(points("wschan.closes")[0], { attributes: { code: 1000, clean: true }, value: 1 });
  },
);
