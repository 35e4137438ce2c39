/**
 * The one empty array that queues start with and go back to, until something is queued: most of
 * a connection's life its queues (the engine's, the outbox's, its channel's) are empty, and an
 * idle connection should not hold arrays for them. Frozen, so that a push onto it throws instead
 * of filling every connection's queue: a queue gets an array of its own before its first push.
 */
// biome-ignore lint/suspicious/noExplicitAny: one shared empty array stands in for queues of every element type.
export const NONE: any[] = Object.freeze([] as any[]) as any[];
