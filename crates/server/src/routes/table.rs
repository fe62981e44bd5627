//! The route table. Every route is added through [`Routes`], so the list actix serves and
//! the list that can be read back ([`super::table`]) are the same list: the permission
//! matrix test walks it, and a route it has no row for fails that test.

use actix_web::http::Method;
use actix_web::{FromRequest, Handler, Responder, web};

/// Where routes are added: actix's `ServiceConfig` (to serve them) or a [`RouteList`]
/// (to read them back).
pub trait Routes {
    fn add<F, Args>(&mut self, method: Method, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static;

    fn get<F, Args>(&mut self, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::GET, path, handler)
    }

    fn post<F, Args>(&mut self, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::POST, path, handler)
    }

    fn put<F, Args>(&mut self, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::PUT, path, handler)
    }

    fn patch<F, Args>(&mut self, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::PATCH, path, handler)
    }

    fn delete<F, Args>(&mut self, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::DELETE, path, handler)
    }
}

impl Routes for web::ServiceConfig {
    fn add<F, Args>(&mut self, method: Method, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(path, web::method(method).to(handler))
    }
}

/// Routes whose paths all start with `prefix` (the JSON API's `/api/v1`).
pub struct Under<'a, R> {
    pub routes: &'a mut R,
    pub prefix: &'static str,
}

impl<R: Routes> Routes for Under<'_, R> {
    fn add<F, Args>(&mut self, method: Method, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.routes.add(method, &format!("{}{path}", self.prefix), handler);
        self
    }
}

/// One route: its method and its path pattern (`/api/v1/cards/{slug}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RouteEntry {
    pub method: Method,
    pub path: String,
}

/// The routes, in the order they are added (which is the order actix tries them in).
#[derive(Debug, Default)]
pub struct RouteList(pub Vec<RouteEntry>);

impl Routes for RouteList {
    fn add<F, Args>(&mut self, method: Method, path: &str, _handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.0.push(RouteEntry { method, path: path.to_owned() });
        self
    }
}
