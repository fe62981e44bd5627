//! Workspace integration tests: the real app over real HTTP (see `support`).

mod access;
mod accounts;
mod api;
mod browser;
mod content;
mod content_safety;
mod editor;
mod golden;
mod pages;
mod postgres;
mod search;
mod support;
mod sync;
mod verification;
