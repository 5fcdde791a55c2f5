//! Slipway router's native data plane: a Node-API addon that runs the HTTP proxy's hot path on a
//! thread of its own (see docs/architecture.md, "Router"). The JS router keeps the control plane
//! (routes, metrics API) and serves whatever this plane hands over.
mod fields;
mod metrics;
mod napi;
mod pages;
mod plane;
mod request;
mod response;
mod routes;
mod sys;
