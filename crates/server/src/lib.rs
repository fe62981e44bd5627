//! The Verity server: CLI, web app (pages and JSON API), auth, and the service layer that
//! is the only code writing both the database and (through the indexer) the index.

pub mod access;
pub mod accounts;
pub mod app;
pub mod auth;
pub mod backup;
pub mod blocking;
pub mod check;
pub mod cli;
pub mod csrf;
pub mod diff;
pub mod error;
pub mod export;
pub mod health;
pub mod import;
pub mod indexer;
pub mod limits;
pub mod panics;
pub mod reminders;
pub mod routes;
pub mod scopes;
pub mod service;
pub mod site;
pub mod state;
pub mod sync;
pub mod views;
