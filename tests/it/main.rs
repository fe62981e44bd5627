//! Workspace integration tests: the real app over real HTTP (see `support`).

mod access;
mod accounts;
mod api;
mod browser;
mod content;
mod editor;
mod golden;
mod pages;
mod postgres;
mod search;
mod search_hidden_words;
mod search_limits;
mod search_unicode;
mod support;
mod sync;
mod verification;
