//! Workspace integration tests: the real app over real HTTP (see `support`).

mod access;
mod accounts;
mod api;
mod auth_hardening;
mod browser;
mod concurrency;
mod content;
mod content_safety;
mod editor;
mod golden;
mod pages;
mod permissions;
mod postgres;
mod search;
mod search_hidden_words;
mod search_limits;
mod search_unicode;
mod security;
mod support;
mod sync;
mod verification;
