export { InflateError, MessageDeflater, MessageInflater, SYNC_LIMIT } from "./codec.js";
export { Limiter, zlibJobs } from "./limiter.js";
export type { Agreement, DeflateParams, OfferMode } from "./params.js";
export { buildOffer, parseAgreement, parseExtensions } from "./params.js";
